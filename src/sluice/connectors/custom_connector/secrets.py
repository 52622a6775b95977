"""What a custom connector reads from its credentials secret (connectors layer).

AppFlow keeps a custom connector profile's credentials in a Secrets Manager secret and hands the
connector only its ARN (`connectorContext.credentials.secretArn`) plus the SDK's authentication
type; the connector calls `GetSecretValue` and reads a flat JSON object, e.g. the SDK example's
`json.loads(secret["SecretString"])["accessToken"]`. Sluice answers that call itself, with
`secret_payload(credentials)` of the profile's stored `CustomConnectorProfileCredentials`:

| authenticationType | keys                                                                   |
|--------------------|------------------------------------------------------------------------|
| OAUTH2             | accessToken, refreshToken, clientId, clientSecret (those present)      |
| APIKEY             | apiKey, apiSecretKey and secretKey (the SDK's `SECRET_KEY` name)       |
| BASIC              | username, userName (the SDK's `USERNAME` name), password               |
| CUSTOM             | every credentialsMap entry, as given                                   |

Both spellings are written where the SDK's constants (`custom_connector_sdk.connector.auth`) and
AppFlow's model name a value differently, so connectors written against either read it. Values
are strings (a secret is text); absent and null values are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.connectors.base import ConnectorError

# AppFlow's AuthenticationType -> the SDK's `AuthenticationType` enum name, which the SDK's
# `Credentials.from_dict` looks up (`AuthenticationType[...]`) on every request it reads.
SDK_AUTHENTICATION_TYPES = {"OAUTH2": "OAuth2", "APIKEY": "ApiKey", "BASIC": "BasicAuth", "CUSTOM": "CustomAuth"}

# AppFlow credential member -> the secret keys its value is written under.
_OAUTH2_KEYS = {"accessToken": ("accessToken",), "refreshToken": ("refreshToken",), "clientId": ("clientId",),
                "clientSecret": ("clientSecret",)}
_API_KEY_KEYS = {"apiKey": ("apiKey",), "apiSecretKey": ("apiSecretKey", "secretKey")}
_BASIC_KEYS = {"username": ("username", "userName"), "password": ("password",)}


def authentication_type(credentials: Mapping[str, Any]) -> str:
    """AppFlow's `authenticationType` of `CustomConnectorProfileCredentials` (OAUTH2, APIKEY, BASIC, CUSTOM)."""
    value = str(credentials.get("authenticationType") or "").upper()
    if value not in SDK_AUTHENTICATION_TYPES:
        raise ConnectorError(
            "InvalidArgument",
            f"CustomConnectorProfileCredentials.authenticationType must be OAUTH2, APIKEY, BASIC or CUSTOM, "
            f"not {credentials.get('authenticationType')!r}",
        )
    return value


def sdk_authentication_type(credentials: Mapping[str, Any]) -> str:
    """The SDK's name for the credentials' type (`OAuth2`, `ApiKey`, `BasicAuth`, `CustomAuth`)."""
    return SDK_AUTHENTICATION_TYPES[authentication_type(credentials)]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _copy(member: Any, keys: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    payload: dict[str, str] = {}
    if not isinstance(member, Mapping):
        return payload
    for name, targets in keys.items():
        value = member.get(name)
        if value is None:
            continue
        for target in targets:
            payload[target] = _text(value)
    return payload


def secret_payload(credentials: Mapping[str, Any]) -> dict[str, str]:
    """The flat JSON object the profile's credentials secret holds (see the module docstring)."""
    kind = authentication_type(credentials)
    if kind == "OAUTH2":
        return _copy(credentials.get("oauth2"), _OAUTH2_KEYS)
    if kind == "APIKEY":
        return _copy(credentials.get("apiKey"), _API_KEY_KEYS)
    if kind == "BASIC":
        return _copy(credentials.get("basic"), _BASIC_KEYS)
    custom = credentials.get("custom")
    entries = custom.get("credentialsMap") if isinstance(custom, Mapping) else None
    if not isinstance(entries, Mapping):
        return {}
    return {str(key): _text(value) for key, value in entries.items() if value is not None}
