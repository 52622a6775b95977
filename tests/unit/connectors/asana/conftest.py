"""The fake Asana for the connector's unit tests, with this process trusting it and calling it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sluice.connectors.base import ProfileView
from tests.fakes.asana.server import FakeAsana
from tests.support.endpoints import use_fake


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAsana]:
    """A small account; SLUICE_ENDPOINT_URL_ASANA points at it."""
    with FakeAsana(tasks=250, projects=3) as server:
        use_fake(monkeypatch, "ASANA", server.url)
        yield server


def pat_profile(token: str) -> ProfileView:
    """A profile as cdk-appflow's Asana stack makes it."""
    return ProfileView(name="as", connector_type="CustomConnector", connector_label="Asana",
                       properties={"profileProperties": {}},
                       credentials={"authenticationType": "CUSTOM", "custom": {
                           "customAuthenticationType": "PAT", "credentialsMap": {"patToken": token}}})


@pytest.fixture
def profile(fake: FakeAsana) -> ProfileView:
    return pat_profile(fake.state.pat)
