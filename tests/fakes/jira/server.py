"""Serve a fake Jira Cloud site over https on 127.0.0.1 (a thread for tests; see __main__ for a process)."""

from __future__ import annotations

from tests.fakes.common.https import HttpsFake

from .app import build_app
from .site import Site


class FakeJira(HttpsFake):
    """A fake site served over TLS; `state` is its `Site` (data, OAuth app, controls, request log)."""

    def __init__(self, issues: int = 300, users: int = 40, port: int = 0, site: Site | None = None) -> None:
        self.state = site or Site(issues, users)
        super().__init__(build_app(self.state), port, name="fake-jira")
