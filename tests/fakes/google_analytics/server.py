"""Run the fake Google back end over https on 127.0.0.1 in a background thread (see __main__ for a process)."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake, RequestLog

from .app import build_app
from .backend import Backend


class FakeGoogleAnalytics(HttpsFake):
    """A fake Google Analytics back end; `state` is its Backend (OAuth client, refresh token, rows)."""

    def __init__(self, hours: int = 48, rows_per_hour: int = 10, seed: int = 7, port: int = 0, **options: Any) -> None:
        self.state = Backend(hours, rows_per_hour, seed, **options)
        super().__init__(build_app(self.state), port=port, name="fake-google-analytics")

    @property
    def log(self) -> RequestLog:
        """The RequestLog of every API request."""
        return self.state.log
