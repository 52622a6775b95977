"""Run the fake Dynamics 365 environment over https on 127.0.0.1 in a background thread."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake, RequestLog

from .app import build_app
from .model import Environment


class FakeDynamics365(HttpsFake):
    """A fake Dataverse environment and token endpoint; `state` is its `Environment`."""

    def __init__(self, accounts: int = 300, contacts: int = 120, seed: int = 7, port: int = 0,
                 **options: Any) -> None:
        self.state = Environment(accounts=accounts, contacts=contacts, seed=seed, **options)
        super().__init__(build_app(self.state), port=port, name="fake-dynamics365")

    @property
    def log(self) -> RequestLog:
        """The RequestLog of every request."""
        return self.state.log
