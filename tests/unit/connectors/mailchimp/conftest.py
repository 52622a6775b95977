"""The fake Mailchimp for the connector's unit tests, with this process trusting it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sluice.connectors.base import ProfileView
from tests.fakes.mailchimp.server import FakeMailchimp
from tests.support.tls import tls_env


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMailchimp]:
    """One list of 2,500 members (three pages of 1,000); the process trusts the test CA."""
    with FakeMailchimp(members=2500, campaigns=12, lists=1) as server:
        for key, value in {**tls_env(), "SLUICE_ALLOW_PRIVATE_ENDPOINTS": "true"}.items():
            monkeypatch.setenv(key, value)
        yield server


def api_key_profile(url: str, key: str) -> ProfileView:
    """A profile as cdk-appflow's Mailchimp stack makes it."""
    return ProfileView(name="mc", connector_type="CustomConnector", connector_label="Mailchimp",
                       properties={"profileProperties": {"instanceUrl": url}},
                       credentials={"authenticationType": "CUSTOM", "custom": {
                           "customAuthenticationType": "api_key", "credentialsMap": {"api_key": key}}})


@pytest.fixture
def profile(fake: FakeMailchimp) -> ProfileView:
    return api_key_profile(fake.url, fake.state.api_key)
