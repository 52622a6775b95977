"""Run the fake project over https on 127.0.0.1 in a background thread (see __main__ for a process)."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake, RequestLog

from .app import build_app
from .project import Project


class FakeAmplitude(HttpsFake):
    """A fake Amplitude project; `state` is its Project (api_key / secret_key are its valid keys)."""

    def __init__(self, events: int = 500, seed: int = 7, port: int = 0, **options: Any) -> None:
        self.state = Project(events, seed, **options)
        super().__init__(build_app(self.state), port=port, name="fake-amplitude")

    @property
    def log(self) -> RequestLog:
        """The RequestLog of every API request."""
        return self.state.log
