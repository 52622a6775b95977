"""Run the fake Vault over https on 127.0.0.1 in a background thread (see __main__ for a process)."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake, RequestLog

from .app import build_app
from .vault import Vault


class FakeVault(HttpsFake):
    """A fake Veeva Vault; `state` is its Vault (`state.username` / `state.password` sign in)."""

    def __init__(self, products: int = 300, documents: int = 30, seed: int = 7, port: int = 0, **options: Any) -> None:
        self.state = Vault(products, documents, seed, **options)
        super().__init__(build_app(self.state), port=port, name="fake-veeva")

    @property
    def log(self) -> RequestLog:
        """The RequestLog of every request."""
        return self.state.log
