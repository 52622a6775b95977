"""Asana's host override, its two bearer-token schemes (one renewable) and its error bodies."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sluice.connectors.asana import api
from sluice.connectors.asana.connector import CONNECTOR
from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.rest.client import Request
from tests.fakes.asana.server import FakeAsana
from tests.unit.connectors.asana.conftest import pat_profile

TOKEN_URL = "https://app.asana.com/-/oauth_token"


def oauth_profile(fake: FakeAsana, access: str, refresh: str, saved: list[Any] | None = None) -> ProfileView:
    return ProfileView(
        name="as-oauth", connector_type="CustomConnector", connector_label="Asana",
        properties={"oAuth2Properties": {"oAuth2GrantType": "AUTHORIZATION_CODE", "tokenUrl": TOKEN_URL}},
        credentials={"authenticationType": "OAUTH2", "oauth2": {
            "accessToken": access, "refreshToken": refresh, "clientId": fake.state.client_id,
            "clientSecret": fake.state.client_secret}},
        save_credentials=saved.append if saved is not None else None)


def test_the_base_url_is_asanas_or_the_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLUICE_ENDPOINT_URL_ASANA", raising=False)
    assert api.base_url(pat_profile("t")) == "https://app.asana.com/api/1.0"
    monkeypatch.setenv("SLUICE_ENDPOINT_URL_ASANA", "https://127.0.0.1:9999/")
    assert api.base_url(pat_profile("t")) == "https://127.0.0.1:9999/api/1.0"


def test_a_personal_access_token_is_a_bearer_token() -> None:
    profile = pat_profile("2/123/abc")
    auth = api.auth_for(profile)
    request = httpx.Request("GET", "https://app.asana.com/api/1.0/users/me")
    auth.apply(profile.credentials, request)
    assert request.headers["Authorization"] == "Bearer 2/123/abc" and not auth.renewable


def test_errors_quote_the_message_and_its_help() -> None:
    body = {"errors": [{"message": "Not Authorized", "help": "See https://developers.asana.com/docs/errors"}]}
    error = api.errors(httpx.Response(401), body)
    assert error.message == "Not Authorized (See https://developers.asana.com/docs/errors)"
    assert api.errors(httpx.Response(500), {"errors": [{"message": "Server Error"}]}).message == "Server Error"


def test_a_wrong_token_is_refused_in_asanas_words(fake: FakeAsana) -> None:
    with pytest.raises(ConnectorError) as refused:
        CONNECTOR.check_profile(pat_profile("2/0/wrong"))
    assert refused.value.code == "InvalidCredentials" and "Not Authorized" in refused.value.message
    assert "2/0/wrong" not in refused.value.message


def test_an_expired_oauth_token_is_renewed_at_the_profiles_token_url(fake: FakeAsana) -> None:
    access, refresh = fake.state.issue(expires_in=0)
    checked = CONNECTOR.check_profile(oauth_profile(fake, access, refresh))
    renewed = checked["oauth2"]["accessToken"]
    assert renewed != access and fake.state.valid(renewed)
    assert checked["oauth2"]["refreshToken"] == refresh  # Asana keeps the refresh token
    assert len(fake.log.matching("/-/oauth_token")) == 1
    fake.state.expire_tokens()
    saved: list[Any] = []
    profile = oauth_profile(fake, renewed, refresh, saved)
    with CONNECTOR.client(profile) as client:
        assert client.get("/users/me")["data"]["gid"]
    assert saved and saved[-1]["oauth2"]["accessToken"] not in (access, renewed)


def test_a_revoked_refresh_token_is_invalid_credentials(fake: FakeAsana) -> None:
    access, _ = fake.state.issue(expires_in=0)
    with pytest.raises(ConnectorError) as refused, CONNECTOR.client(oauth_profile(fake, access, "1/revoked")) as c:
        c.call(Request("GET", "/users/me"))
    assert refused.value.code == "InvalidCredentials"
    assert "The refresh token is not valid." in refused.value.message
