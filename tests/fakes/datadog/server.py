"""Run the fake Datadog API over https: in a background thread for tests (`FakeDatadog`), or in the foreground."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake

from .app import build_app
from .state import DatadogState


class FakeDatadog(HttpsFake):
    """A fake Datadog site on https://127.0.0.1:PORT; `state` is the org, `requests` its request log."""

    def __init__(self, logs: int = 300, events: int = 200, port: int = 0, state: DatadogState | None = None,
                 **options: Any) -> None:
        self.state = state or DatadogState(logs=logs, events=events, **options)
        super().__init__(build_app(self.state), port=port, name="fake-datadog")

    @property
    def requests(self) -> Any:
        """The RequestLog of every call (method, path, query, JSON body)."""
        return self.state.requests

    @property
    def api_key(self) -> str:
        """A valid DD-API-KEY."""
        return next(iter(self.state.api_keys))

    @property
    def app_key(self) -> str:
        """A valid DD-APPLICATION-KEY."""
        return next(iter(self.state.app_keys))
