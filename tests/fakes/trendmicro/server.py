"""Run the fake Deep Security API over https: in a background thread for tests (`FakeTrendMicro`)."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake

from .app import build_app
from .state import TrendMicroState


class FakeTrendMicro(HttpsFake):
    """A fake manager on https://127.0.0.1:PORT/api; `state` holds its objects, `requests` its request log."""

    def __init__(self, records: int = 300, port: int = 0, state: TrendMicroState | None = None,
                 **options: Any) -> None:
        self.state = state or TrendMicroState(records=records, **options)
        super().__init__(build_app(self.state), port=port, name="fake-trendmicro")

    @property
    def api_url(self) -> str:
        """The API's base URL (what SLUICE_ENDPOINT_URL_TRENDMICRO names)."""
        return f"{self.url}/api"

    @property
    def requests(self) -> Any:
        return self.state.requests

    @property
    def key(self) -> str:
        """A valid API secret key."""
        return next(iter(self.state.keys))
