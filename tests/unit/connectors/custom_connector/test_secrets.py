"""Credential secret payloads: the keys the SDK's connectors read, per authentication type."""

from __future__ import annotations

import pytest
from custom_connector_sdk.connector import auth

from sluice.connectors.base import ConnectorError
from sluice.connectors.custom_connector.secrets import authentication_type, sdk_authentication_type, secret_payload


def test_oauth2_payload_uses_the_sdk_token_keys() -> None:
    payload = secret_payload({"authenticationType": "OAUTH2", "oauth2": {
        "clientId": "cid", "clientSecret": "cs", "accessToken": "at", "refreshToken": "rt",
        "oAuthRequest": {"authCode": "code"}}})
    assert payload == {"accessToken": "at", "refreshToken": "rt", "clientId": "cid", "clientSecret": "cs"}
    assert payload[auth.ACCESS_TOKEN] == "at" and payload[auth.REFRESH_TOKEN] == "rt"


def test_api_key_and_basic_payloads_carry_both_spellings() -> None:
    api = secret_payload({"authenticationType": "APIKEY", "apiKey": {"apiKey": "k", "apiSecretKey": "s"}})
    assert api[auth.API_KEY] == "k" and api[auth.SECRET_KEY] == "s" and api["apiSecretKey"] == "s"
    basic = secret_payload({"authenticationType": "basic", "basic": {"username": "u", "password": "p"}})
    assert basic[auth.USERNAME] == "u" and basic["username"] == "u" and basic[auth.PASSWORD] == "p"


def test_custom_payload_is_the_credentials_map() -> None:
    payload = secret_payload({"authenticationType": "CUSTOM", "custom": {
        "customAuthenticationType": "token", "credentialsMap": {"tenant": "t1", "token": "x", "none": None}}})
    assert payload == {"tenant": "t1", "token": "x"}
    assert secret_payload({"authenticationType": "CUSTOM"}) == {}


def test_authentication_types() -> None:
    assert authentication_type({"authenticationType": "oauth2"}) == "OAUTH2"
    # The SDK's Credentials.from_dict looks these names up in its enum.
    for kind in ("OAUTH2", "APIKEY", "BASIC", "CUSTOM"):
        assert auth.AuthenticationType[sdk_authentication_type({"authenticationType": kind})]
    with pytest.raises(ConnectorError) as raised:
        authentication_type({"authenticationType": "JWT"})
    assert raised.value.code == "InvalidArgument"
