"""Serve a fake Zendesk account over https on 127.0.0.1 (a thread for tests; see __main__ for a process)."""

from __future__ import annotations

from tests.fakes.common.https import HttpsFake

from .account import Account
from .app import build_app


class FakeZendesk(HttpsFake):
    """A fake account served over TLS; `state` is its `Account` (controls and request log)."""

    def __init__(self, tickets: int = 300, users: int = 120, organizations: int = 25, groups: int = 6,
                 port: int = 0, account: Account | None = None) -> None:
        self.state = account or Account(tickets, users, organizations, groups)
        super().__init__(build_app(self.state), port, name="fake-zendesk")

    def token(self, scope: str = "read write", expires_in: float | None = None) -> str:
        """A valid OAuth access token, without going through the authorization flow."""
        return self.state.auth.issue(scope, "sluice", expires_in).access
