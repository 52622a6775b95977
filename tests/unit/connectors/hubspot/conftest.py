"""The fake HubSpot for the connector's unit tests, with this process trusting it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sluice.connectors.base import ProfileView
from tests.fakes.hubspot.server import FakeHubSpot
from tests.support.endpoints import use_fake


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHubSpot]:
    """A small account; the process trusts the test CA and lets the connector call 127.0.0.1."""
    with FakeHubSpot(records=60, search_cap=50) as server:
        use_fake(monkeypatch, "HUBSPOT", server.url)
        yield server


@pytest.fixture
def profile(fake: FakeHubSpot) -> ProfileView:
    return ProfileView(name="hs", connector_type="CustomConnector", connector_label="HubSpot",
                       properties={"oAuth2Properties": {"tokenUrl": "https://api.hubapi.com/oauth/v1/token",
                                                        "oAuth2GrantType": "AUTHORIZATION_CODE"}},
                       credentials={"authenticationType": "OAUTH2", "oauth2": {
                           "accessToken": fake.token(), "refreshToken": "hubspot-refresh-0000",
                           "clientId": "hubspot-client", "clientSecret": "hubspot-secret"}})
