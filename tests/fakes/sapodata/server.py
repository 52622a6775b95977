"""Serve a fake SAP system over https on 127.0.0.1 (a thread for tests; see __main__ for a process)."""

from __future__ import annotations

from tests.fakes.common.https import HttpsFake

from .app import build_app
from .system import SapSystem


class FakeSap(HttpsFake):
    """A fake SAP system served over TLS; `state` is its `SapSystem` (controls and request log)."""

    def __init__(self, orders: int = 300, partners: int = 25, facts: int = 120, products: int = 60, port: int = 0,
                 system: SapSystem | None = None) -> None:
        self.state = system or SapSystem(orders, partners, facts, products)
        super().__init__(build_app(self.state), port, name="fake-sap")
