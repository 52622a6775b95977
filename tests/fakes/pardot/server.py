"""Run the fake business unit over https on 127.0.0.1 in a background thread (see __main__ for a process)."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake, RequestLog

from .app import build_app
from .business_unit import BusinessUnit


class FakePardot(HttpsFake):
    """A fake Pardot business unit and Salesforce login host; `state` is its BusinessUnit."""

    def __init__(self, prospects: int = 300, seed: int = 7, port: int = 0, **options: Any) -> None:
        self.state = BusinessUnit(prospects, seed, **options)
        super().__init__(build_app(self.state), port=port, name="fake-pardot")
        self.state.base_url = self.url

    @property
    def log(self) -> RequestLog:
        """The RequestLog of every request."""
        return self.state.log
