"""Serve a fake Stripe account over https on 127.0.0.1 (a thread for tests; see __main__ for a process)."""

from __future__ import annotations

from tests.fakes.common.https import HttpsFake

from .account import Account
from .app import build_app


class FakeStripe(HttpsFake):
    """A fake account served over TLS; `state` is its `Account` (objects, controls, request log)."""

    def __init__(self, charges: int = 300, port: int = 0, account: Account | None = None) -> None:
        self.state = account or Account(charges)
        super().__init__(build_app(self.state), port, name="fake-stripe")
