"""Run the fake environment over https on 127.0.0.1 in a background thread (see __main__ for a process)."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake, RequestLog

from .app import build_app
from .environment import Environment


class FakeDynatrace(HttpsFake):
    """A fake Dynatrace environment; `state` is its Environment, `token` a valid API token."""

    def __init__(self, problems: int = 300, events: int = 300, entities: int = 40, seed: int = 7, port: int = 0,
                 environment: Environment | None = None, **options: Any) -> None:
        self.state = environment or Environment(problems, events, entities, seed, **options)
        super().__init__(build_app(self.state), port=port, name="fake-dynatrace")

    @property
    def token(self) -> str:
        """The default API token (all read scopes)."""
        return self.state.default_token

    @property
    def log(self) -> RequestLog:
        """The RequestLog of every API request."""
        return self.state.log
