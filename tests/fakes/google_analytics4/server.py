"""Run the fake Google Analytics 4 back end over https on 127.0.0.1 in a background thread (see __main__)."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake, RequestLog

from .app import build_app
from .state import Backend


class FakeGoogleAnalytics4(HttpsFake):
    """A fake GA4 back end; `state` is its Backend (OAuth client, refresh token, properties, events)."""

    def __init__(self, events: int = 500, days: int = 10, seed: int = 4, port: int = 0, **options: Any) -> None:
        self.state = Backend(events, days, seed, **options)
        super().__init__(build_app(self.state), port=port, name="fake-google-analytics4")

    @property
    def log(self) -> RequestLog:
        """The RequestLog of every API request."""
        return self.state.log
