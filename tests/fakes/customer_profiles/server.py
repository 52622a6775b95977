"""Run the fake Customer Profiles API over https: in a background thread for tests (`FakeCustomerProfiles`)."""

from __future__ import annotations

from typing import Any

from tests.fakes.common.https import HttpsFake

from .app import build_app
from .state import CustomerProfilesState


class FakeCustomerProfiles(HttpsFake):
    """A fake Customer Profiles endpoint on https://127.0.0.1:PORT; `state` holds its domains."""

    def __init__(self, seed_objects: int = 0, port: int = 0, state: CustomerProfilesState | None = None,
                 **options: Any) -> None:
        self.state = state or CustomerProfilesState(seed_objects=seed_objects, **options)
        super().__init__(build_app(self.state), port=port, name="fake-customer-profiles")

    @property
    def access_key(self) -> str:
        """A key id the fake accepts."""
        return next(iter(self.state.keys))

    @property
    def secret_key(self) -> str:
        """Its secret."""
        return self.state.keys[self.access_key]
