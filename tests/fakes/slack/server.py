"""Serve a fake Slack workspace over https on 127.0.0.1 (in a thread for tests)."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake, RequestLog

from .app import build_app
from .state import SlackState


class FakeSlack(HttpsFake):
    """A fake workspace: `url` + "/api/" is the Web API base, `state` the controls, `log` the calls seen.

    Constructor arguments other than `port` and `state` go to `SlackState` (seed size among them).
    """

    def __init__(self, *, port: int = 0, state: SlackState | None = None, **seed: Any) -> None:
        self.state = state or SlackState(**seed)
        self.log = RequestLog()
        super().__init__(build_app(self.state, self.log), port=port, name="fake-slack")

    @property
    def api_url(self) -> str:
        """The Web API base URL (what `slack_sdk.WebClient(base_url=...)` takes)."""
        return self.url + "/api/"

    def token(self, **kwargs: Any) -> str:
        """A valid bot token."""
        return str(self.state.token(**kwargs))

    def __enter__(self) -> FakeSlack:
        self.start()
        return self
