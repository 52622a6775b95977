"""check_profile: OAuth2 flows against a token endpoint, then the connector's own validation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.custom_connector import profile as profile_module
from sluice.connectors.custom_connector.profile import api_version, check_profile, refresh_if_needed
from tests.unit.connectors.custom_connector.memory_connector import (
    SECRET_ARN,
    InProcessInvoker,
    MemoryConnector,
    make_profile,
)

TOKEN_URL = "https://acme.auth.example/oauth/token"
OAUTH_CONFIG = {"authenticationConfig": {"isOAuth2Supported": True, "oAuth2Defaults": {
    "tokenUrls": ["https://{{tenant}}.auth.example/oauth/token"], "oauthScopes": ["read", "write"],
    "oauth2GrantTypesSupported": ["AUTHORIZATION_CODE", "CLIENT_CREDENTIALS"]}}}


class TokenEndpoint:
    """An OAuth2 token endpoint (httpx MockTransport) that records the forms it was sent."""

    def __init__(self, status: int = 200, answer: dict[str, Any] | None = None) -> None:
        self.forms: list[dict[str, str]] = []
        self.urls: list[str] = []
        self.status = status
        self.answer = answer or {"access_token": "good-token", "refresh_token": "rt-2", "expires_in": 3600}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        self.urls.append(str(request.url))
        self.forms.append(dict(httpx.QueryParams(request.content.decode())))
        return httpx.Response(self.status, json=self.answer)


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> TokenEndpoint:
    token = TokenEndpoint()
    monkeypatch.setattr(profile_module, "http_client", lambda: httpx.Client(transport=httpx.MockTransport(token)))
    return token


def oauth_profile(connector: MemoryConnector, oauth2: dict[str, Any], grant: str = "AUTHORIZATION_CODE",
                  url: str = TOKEN_URL, saved: list[dict[str, Any]] | None = None) -> Any:
    properties = {"profileProperties": {"region": "eu"}, "oAuth2Properties": {
        "tokenUrl": url, "oAuth2GrantType": grant, "tokenUrlCustomProperties": {"audience": "api"}}}
    return make_profile(connector, {"authenticationType": "OAUTH2", "oauth2": oauth2}, properties, OAUTH_CONFIG,
                        saved=saved)


def test_api_key_profile_is_validated_by_the_connector() -> None:
    connector = MemoryConnector()
    invoker = InProcessInvoker(connector.handler)
    credentials = {"authenticationType": "APIKEY", "apiKey": {"apiKey": "key-1"}}
    assert check_profile(make_profile(connector, credentials), invoker=invoker) == credentials
    settings, validate = invoker.events
    assert settings == {"type": "ValidateConnectorRuntimeSettingsRequest", "scope": "CONNECTOR_PROFILE",
                        "connectorRuntimeSettings": {"region": "eu"}}
    assert validate == {"type": "ValidateCredentialsRequest", "connectorRuntimeSettings": {"region": "eu"},
                        "credentials": {"secretArn": SECRET_ARN, "authenticationType": "ApiKey"}}


def test_refused_credentials_carry_the_connectors_message() -> None:
    connector = MemoryConnector()
    profile = make_profile(connector, {"authenticationType": "BASIC", "basic": {"username": "u", "password": "no"}})
    with pytest.raises(ConnectorError) as raised:
        check_profile(profile, invoker=InProcessInvoker(connector.handler))
    assert raised.value.code == "InvalidCredentials" and raised.value.message == "the vendor said: 401 Unauthorized"


def test_refused_profile_properties_name_the_setting() -> None:
    connector = MemoryConnector()
    profile = make_profile(connector, properties={"profileProperties": {"region": "bad"}})
    with pytest.raises(ConnectorError) as raised:
        check_profile(profile, invoker=InProcessInvoker(connector.handler))
    assert raised.value.code == "InvalidArgument" and "region: must not be 'bad'" in raised.value.message


def test_authorization_code_is_exchanged_and_stored_tokens_returned(endpoint: TokenEndpoint) -> None:
    connector = MemoryConnector()
    saved: list[dict[str, Any]] = []
    profile = oauth_profile(connector, {"clientId": "cid", "clientSecret": "cs", "oAuthRequest": {
        "authCode": "code-1", "redirectUri": "https://app.example/cb", "codeVerifier": "v"}}, saved=saved)
    stored = check_profile(profile, invoker=InProcessInvoker(connector.handler))
    assert endpoint.urls == [TOKEN_URL]
    assert endpoint.forms == [{"audience": "api", "grant_type": "authorization_code", "code": "code-1",
                               "redirect_uri": "https://app.example/cb", "code_verifier": "v", "client_id": "cid",
                               "client_secret": "cs"}]
    assert stored["oauth2"] == {"clientId": "cid", "clientSecret": "cs", "accessToken": "good-token",
                                "refreshToken": "rt-2"}
    assert saved == [stored]  # saved before ValidateCredentials, so the connector's secret held the token


def test_client_credentials_grant(endpoint: TokenEndpoint) -> None:
    connector = MemoryConnector()
    profile = oauth_profile(connector, {"clientId": "cid", "clientSecret": "cs"}, grant="CLIENT_CREDENTIALS")
    stored = check_profile(profile, invoker=InProcessInvoker(connector.handler))
    assert endpoint.forms[0]["grant_type"] == "client_credentials" and endpoint.forms[0]["scope"] == "read write"
    assert stored["oauth2"]["accessToken"] == "good-token"


def test_an_access_token_given_as_is_is_only_validated(endpoint: TokenEndpoint) -> None:
    connector = MemoryConnector()
    stored = check_profile(oauth_profile(connector, {"accessToken": "good-token"}),
                           invoker=InProcessInvoker(connector.handler))
    assert endpoint.forms == [] and stored["oauth2"] == {"accessToken": "good-token"}


def test_token_url_must_be_one_the_connector_declares(endpoint: TokenEndpoint) -> None:
    connector = MemoryConnector()
    profile = oauth_profile(connector, {"clientId": "c", "oAuthRequest": {"authCode": "x"}},
                            url="https://evil.example/oauth/token")
    with pytest.raises(ConnectorError, match="not one of the token URLs") as raised:
        check_profile(profile, invoker=InProcessInvoker(connector.handler))
    assert raised.value.code == "InvalidArgument" and endpoint.forms == []


def test_a_refused_grant_is_invalid_credentials(endpoint: TokenEndpoint) -> None:
    endpoint.status, endpoint.answer = 400, {"error": "invalid_grant", "error_description": "code expired"}
    connector = MemoryConnector()
    with pytest.raises(ConnectorError) as raised:
        check_profile(oauth_profile(connector, {"clientId": "c", "oAuthRequest": {"authCode": "x"}}),
                      invoker=InProcessInvoker(connector.handler))
    assert raised.value.code == "InvalidCredentials" and raised.value.message.endswith("code expired")


def test_refresh_if_needed(endpoint: TokenEndpoint) -> None:
    connector = MemoryConnector()
    assert refresh_if_needed(oauth_profile(connector, {"accessToken": "old"})) is None  # nothing to refresh with
    assert refresh_if_needed(make_profile(connector)) is None  # not OAUTH2
    refreshed = refresh_if_needed(oauth_profile(connector, {"accessToken": "old", "refreshToken": "rt"}))
    assert refreshed is not None and refreshed.credentials["oauth2"]["accessToken"] == "good-token"
    assert endpoint.forms[-1]["grant_type"] == "refresh_token"


def test_api_version_is_the_latest_in_natural_order() -> None:
    connector = MemoryConnector()
    assert api_version(make_profile(connector, configuration={"supportedApiVersions": ["v9.0", "v10.0", "v2"]})) \
        == "v10.0"


def test_authentication_types_the_connector_does_not_offer_are_refused() -> None:
    connector = MemoryConnector()
    config = {"authenticationConfig": {"isApiKeyAuthSupported": False, "isCustomAuthSupported": True,
                                       "customAuthConfigs": [{"customAuthenticationType": "tenant-token"}]}}
    invoker = InProcessInvoker(connector.handler)
    with pytest.raises(ConnectorError, match="does not support APIKEY"):
        check_profile(make_profile(connector, configuration=config), invoker=invoker)
    custom = {"authenticationType": "CUSTOM", "custom": {"customAuthenticationType": "other", "credentialsMap": {}}}
    with pytest.raises(ConnectorError, match="'other' is not one the connector declares"):
        check_profile(make_profile(connector, custom, configuration=config), invoker=invoker)
    assert invoker.events == []
