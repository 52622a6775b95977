"""A fake ServiceNow instance for the connector's unit tests (https with the test CA, 127.0.0.1 allowed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.servicenow.server import FakeServiceNow
from tests.support.tls import tls_env

COUNTS = {"sys_user": 30, "sys_user_group": 6, "cmdb_ci": 5, "cmdb_ci_server": 5, "problem": 10,
          "incident": 120, "change_request": 15}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServiceNow]:
    with FakeServiceNow(COUNTS) as server:
        yield server


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in tls_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")
    monkeypatch.setenv("SLUICE_REST_BACKOFF_BASE", "0")
    monkeypatch.setenv("SLUICE_SERVICENOW_PAGE_SIZE", "50")


def basic(fake: FakeServiceNow, password: str | None = None) -> Any:
    """A ProfileView with the fake's admin user (basic auth)."""
    from sluice.connectors.base import ProfileView

    return ProfileView(name="sn", connector_type="Servicenow", properties={"instanceUrl": fake.url},
                       credentials={"username": fake.USER, "password": password or fake.PASSWORD})


def oauth(fake: FakeServiceNow, **oauth_credentials: Any) -> tuple[Any, list[Any]]:
    """A ProfileView with OAuth credentials; saved (re-sealed) credentials land in the list."""
    from sluice.connectors.base import ProfileView

    saved: list[Any] = []
    credentials = {"clientId": fake.CLIENT_ID, "clientSecret": fake.CLIENT_SECRET, **oauth_credentials}
    view = ProfileView(name="sn", connector_type="Servicenow", properties={"instanceUrl": fake.url},
                       credentials={"oAuth2Credentials": credentials}, save_credentials=saved.append)
    return view, saved
