"""Run the fake Asana over https on 127.0.0.1 in a background thread (see __main__ for a process)."""

from __future__ import annotations

from tests.fakes.common.https import HttpsFake, RequestLog

from .account import AsanaAccount
from .app import build_app


class FakeAsana(HttpsFake):
    """A fake Asana; `state` is its AsanaAccount (tokens, records, controls)."""

    def __init__(self, tasks: int = 300, projects: int = 6, port: int = 0) -> None:
        self.state = AsanaAccount(tasks=tasks, projects=projects)
        super().__init__(build_app(self.state), port=port, name="fake-asana")

    @property
    def log(self) -> RequestLog:
        """The RequestLog of every API request."""
        return self.state.log
