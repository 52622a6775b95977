"""Run the fake subscription over https on 127.0.0.1 (tests.support.tls certificate), in a thread for tests."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake

from .app import build_app
from .state import MarketoState


class FakeMarketo(HttpsFake):
    """A fake Marketo served by uvicorn; `state` holds the data and the test controls; a context manager.

    Keyword arguments go to `MarketoState` (`leads=`, `activities=`, `seed=`, `rate_limit=`, ...)."""

    def __init__(self, port: int = 0, state: MarketoState | None = None, **kwargs: Any) -> None:
        self.state = state or MarketoState(**kwargs)
        super().__init__(build_app(self.state), port=port, name="fake-marketo")

    def token(self) -> str:
        """A valid access token for the default client, without an identity call."""
        client_id, secret = next(iter(self.state.clients.items()))
        return self.state.issue_token(client_id, secret)[0]

    def __enter__(self) -> FakeMarketo:
        self.start()
        return self
