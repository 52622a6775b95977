"""The fake SAP system for the connector's unit tests, with this process trusting it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sluice.connectors.base import ProfileView
from tests.fakes.sapodata.model import SALES_PATH
from tests.fakes.sapodata.server import FakeSap
from tests.fakes.sapodata.system import CLIENT, PASSWORD, USER
from tests.support.tls import tls_env


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSap]:
    """A small system; the process trusts the test CA and lets the connector call 127.0.0.1."""
    with FakeSap(orders=700, facts=40, products=30) as server:
        for key, value in {**tls_env(), "SLUICE_ALLOW_PRIVATE_ENDPOINTS": "true"}.items():
            monkeypatch.setenv(key, value)
        yield server


@pytest.fixture
def make_profile(fake: FakeSap) -> Callable[..., ProfileView]:
    """A profile for one of the fake's services (basic auth unless `credentials` say otherwise)."""

    def make(path: str = SALES_PATH, credentials: dict[str, Any] | None = None, **properties: Any) -> ProfileView:
        props = {"applicationHostUrl": "https://127.0.0.1", "portNumber": fake.port, "applicationServicePath": path,
                 "clientNumber": CLIENT, **properties}
        return ProfileView(name="sap", connector_type="SAPOData", properties=props, credentials=credentials or {
            "basicAuthCredentials": {"username": USER, "password": PASSWORD}})

    return make
