"""Serve a fake HubSpot account over https on 127.0.0.1 (a thread for tests; see __main__ for a process)."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake

from .app import build_app
from .state import HubSpotState


class FakeHubSpot(HttpsFake):
    """A fake account served over TLS; `state` is its `HubSpotState` (controls and request log)."""

    def __init__(self, records: int = 300, port: int = 0, **options: Any) -> None:
        self.state = HubSpotState(records, **options)
        super().__init__(build_app(self.state), port, name="fake-hubspot")

    def token(self) -> str:
        """A valid access token, without the OAuth dance."""
        return self.state.auth.issue()
