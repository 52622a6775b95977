"""How Sluice reaches a Dynamics 365 environment (dynamics365/api.py): URLs, the override host, token grant, errors."""

from __future__ import annotations

import httpx
import pytest

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.dynamics365 import api
from sluice.connectors.rest.auth import Bearer

TOKEN_URL = "https://login.microsoftonline.com/common/oauth2/v2.0/token"


def profile(instance: str = "https://contoso.crm.dynamics.com/", token_url: str = TOKEN_URL) -> ProfileView:
    return ProfileView(name="p", connector_type="CustomConnector", connector_label="MicrosoftDynamics365",
                       properties={"profileProperties": {"instanceUrl": instance},
                                   "oAuth2Properties": {"oAuth2GrantType": "AUTHORIZATION_CODE",
                                                        "tokenUrl": token_url}},
                       credentials={"authenticationType": "OAUTH2", "oauth2": {"accessToken": "a"}})


def test_the_web_api_is_under_the_instance_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLUICE_ENDPOINT_URL_MICROSOFTDYNAMICS365", raising=False)
    assert api.base_url(profile()) == "https://contoso.crm.dynamics.com/api/data/v9.2"
    assert api.token_url(profile()) == TOKEN_URL
    assert api.API.url_of(profile()) == "https://contoso.crm.dynamics.com/api/data/v9.2"


def test_the_override_moves_both_hosts_and_keeps_the_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_ENDPOINT_URL_MICROSOFTDYNAMICS365", "https://127.0.0.1:8443/")
    assert api.base_url(profile()) == "https://127.0.0.1:8443/api/data/v9.2"
    assert api.token_url(profile()) == "https://127.0.0.1:8443/common/oauth2/v2.0/token"


def test_an_instance_url_outside_dynamics_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLUICE_ENDPOINT_URL_MICROSOFTDYNAMICS365", raising=False)
    with pytest.raises(ConnectorError, match="not one of the vendor's hosts"):
        api.API.url_of(profile("https://crm.example.com"))
    with pytest.raises(ConnectorError, match="instanceUrl"):
        api.instance_url(profile(""))


def test_the_refresh_grant_asks_for_the_environment_scope() -> None:
    auth = api.choose_auth(profile())
    assert isinstance(auth, Bearer) and auth.grant is not None and auth.token_key == "oauth2.accessToken"
    assert auth.grant.extra == {"scope": "https://contoso.crm.dynamics.com/.default offline_access"}
    assert auth.grant.refresh_token_key == "oauth2.refreshToken" and auth.grant.client_id_key == "oauth2.clientId"


def test_dataverse_errors_and_the_bare_401() -> None:
    refused = httpx.Response(404, json={"error": {"code": "0x80060888", "message": "Resource not found for the "
                                                  "segment 'widgets'."}})
    error = api.errors(refused, refused.json())
    assert (error.code, error.message) == ("0x80060888", "Resource not found for the segment 'widgets'.")
    bare = httpx.Response(401, headers={"WWW-Authenticate": "Bearer authorization_uri=https://login.microsoftonline"
                                                            ".com/common/oauth2/authorize"})
    assert "authorization_uri=https://login.microsoftonline.com" in api.errors(bare, None).message
