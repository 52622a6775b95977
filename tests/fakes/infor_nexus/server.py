"""Run the fake Infor Nexus API over https in a background thread for tests (`FakeInforNexus`)."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake

from .app import build_app
from .hmac_check import Keys
from .state import InforNexusState


class FakeInforNexus(HttpsFake):
    """A fake network on https://127.0.0.1:PORT (its REST API under /rest/3.1)."""

    def __init__(self, records: int = 300, port: int = 0, state: InforNexusState | None = None,
                 **options: Any) -> None:
        self.state = state or InforNexusState(records=records, **options)
        super().__init__(build_app(self.state), port=port, name="fake-infornexus")

    @property
    def requests(self) -> Any:
        return self.state.requests

    @property
    def keys(self) -> Keys:
        """The valid credentials."""
        return next(iter(self.state.keys.values()))
