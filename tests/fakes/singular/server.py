"""Run the fake account over https on 127.0.0.1 in a background thread (see __main__ for a process)."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake, RequestLog

from .account import Account
from .app import build_app


class FakeSingular(HttpsFake):
    """A fake Singular account; `state` is its Account (`state.api_key` its valid key)."""

    def __init__(self, rows_per_day: int = 40, days: int = 5, seed: int = 7, port: int = 0, **options: Any) -> None:
        self.state = Account(rows_per_day, days, seed, **options)
        super().__init__(build_app(self.state), port=port, name="fake-singular")

    @property
    def log(self) -> RequestLog:
        """The RequestLog of every request."""
        return self.state.log
