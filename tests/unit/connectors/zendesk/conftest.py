"""The fake Zendesk for the connector's unit tests, with this process trusting it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sluice.connectors.base import ProfileView
from tests.fakes.zendesk.server import FakeZendesk
from tests.support.endpoints import use_fake


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeZendesk]:
    """A small account; the process trusts the test CA and lets the connector call 127.0.0.1."""
    with FakeZendesk(tickets=40, users=20, organizations=2500, groups=3) as server:
        use_fake(monkeypatch, "ZENDESK", server.url)
        yield server


@pytest.fixture
def profile(fake: FakeZendesk) -> ProfileView:
    return ProfileView(name="zd", connector_type="Zendesk", properties={"instanceUrl": fake.url},
                       credentials={"clientId": "sluice", "clientSecret": "sluice-secret", "accessToken": fake.token()})
