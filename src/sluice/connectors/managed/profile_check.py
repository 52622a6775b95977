"""A managed connector's profile against its declaration (connectors layer).

AppFlow checks a custom connector's profile against the connector's `ConnectorConfiguration`
before it asks the connector anything: the authentication type must be one the connector
supports, a CUSTOM scheme one it declares (with every required `authParameters` key in the
`credentialsMap`, and a value the connector supplies where it offers a choice), an OAUTH2
profile's `oAuth2Properties.tokenUrl` one of its `oAuth2Defaults.tokenUrls` with a grant type it
supports, and every required CONNECTOR_PROFILE runtime setting present in `profileProperties`.
`check_profile` does those checks for a managed label; keys a connector does not declare are
left alone (the connector's own validation decides about those, as the SDK's does).

Talking to the vendor (an OAuth code exchange, a credentials test) is the data path's business:
a label whose data path is built chains its own `check_profile` after this one
(`sluice.connectors.managed.spec`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.managed.declaration import Managed

_FLAGS = {"OAUTH2": "isOAuth2Supported", "APIKEY": "isApiKeyAuthSupported", "BASIC": "isBasicAuthSupported",
          "CUSTOM": "isCustomAuthSupported"}
# The credentials member each authentication type fills.
_MEMBERS = {"OAUTH2": "oauth2", "APIKEY": "apiKey", "BASIC": "basic", "CUSTOM": "custom"}


def _refuse(declaration: Managed, message: str) -> ConnectorError:
    return ConnectorError("InvalidArgument", f"The {declaration.label} connector profile {message}")


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def token_url_pattern(template: str) -> re.Pattern[str]:
    """A declared token URL as a pattern: each `{{name}}` stands for one URL segment (no `/`)."""
    parts = re.split(r"\{\{[^}]*\}\}", template)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def check_properties(declaration: Managed, properties: Mapping[str, Any]) -> None:
    """Every required CONNECTOR_PROFILE runtime setting is in `profileProperties`."""
    given = properties.get("profileProperties") or {}
    missing = [s.key for s in declaration.profile_settings() if s.required and not _filled(given.get(s.key))]
    if missing:
        raise _refuse(declaration, f"needs profileProperties {', '.join(missing)} "
                                   "(connectorProfileConfig.connectorProfileProperties.CustomConnector).")


def _check_custom(declaration: Managed, credentials: Mapping[str, Any]) -> None:
    custom = credentials.get("custom") or {}
    chosen = str(custom.get("customAuthenticationType") or "")
    schemes = {scheme.name: scheme for scheme in declaration.custom}
    scheme = schemes.get(chosen)
    if scheme is None:
        raise _refuse(declaration, f"uses customAuthenticationType {chosen!r}, which the connector does not "
                                   f"declare (it declares {', '.join(schemes)}).")
    values = custom.get("credentialsMap") or {}
    missing = [p.key for p in scheme.params if p.required and not _filled(values.get(p.key))]
    if missing:
        raise _refuse(declaration, f"needs credentialsMap {', '.join(missing)} for customAuthenticationType {chosen}.")
    for param in scheme.params:
        value = values.get(param.key)
        if param.choices and _filled(value) and str(value) not in param.choices:
            raise _refuse(declaration, f"sets credentialsMap {param.key} to {value!r}; the connector supports "
                                       f"{', '.join(param.choices)}.")


def _check_oauth2(declaration: Managed, properties: Mapping[str, Any], credentials: Mapping[str, Any]) -> None:
    assert declaration.oauth2 is not None  # the support flag was checked first
    oauth = properties.get("oAuth2Properties") or {}
    url, grant = str(oauth.get("tokenUrl") or ""), str(oauth.get("oAuth2GrantType") or "")
    if not url or not grant:
        raise _refuse(declaration, "uses OAUTH2 and needs oAuth2Properties with tokenUrl and oAuth2GrantType.")
    declared = declaration.oauth2.token_urls
    if not any(token_url_pattern(template).fullmatch(url) for template in declared):
        raise _refuse(declaration, f"names the token URL {url!r}, which is not one of the connector's "
                                   f"({', '.join(declared)}).")
    if grant not in declaration.oauth2.grants:
        raise _refuse(declaration, f"uses the OAuth 2.0 grant {grant}; the connector supports "
                                   f"{', '.join(declaration.oauth2.grants)}.")
    oauth2 = credentials.get("oauth2") or {}
    if grant == "CLIENT_CREDENTIALS":
        if not (_filled(oauth2.get("clientId")) and _filled(oauth2.get("clientSecret"))):
            raise _refuse(declaration, "uses the CLIENT_CREDENTIALS grant and needs oauth2 clientId and clientSecret.")
    elif not any(_filled(oauth2.get(key)) for key in ("accessToken", "refreshToken")) and not (
            _filled((oauth2.get("oAuthRequest") or {}).get("authCode"))):
        raise _refuse(declaration, "uses the AUTHORIZATION_CODE grant and needs an oauth2 accessToken, a "
                                   "refreshToken or an oAuthRequest.authCode.")


def check_credentials(declaration: Managed, properties: Mapping[str, Any], credentials: Mapping[str, Any]) -> None:
    """The credentials use a scheme the connector supports, with what that scheme needs."""
    kind = str(credentials.get("authenticationType") or "").upper()
    if kind not in _FLAGS:
        raise _refuse(declaration, "needs authenticationType OAUTH2, APIKEY, BASIC or CUSTOM.")
    auth = declaration.configuration["authenticationConfig"]
    if not auth.get(_FLAGS[kind]):
        offered = [name for name, flag in _FLAGS.items() if auth.get(flag)]
        raise _refuse(declaration, f"uses {kind} authentication, which the connector does not support "
                                   f"(it supports {', '.join(offered)}).")
    if not isinstance(credentials.get(_MEMBERS[kind]), Mapping):
        raise _refuse(declaration, f"uses {kind} authentication and needs the {_MEMBERS[kind]} credentials member.")
    if kind == "CUSTOM":
        _check_custom(declaration, credentials)
    elif kind == "OAUTH2":
        _check_oauth2(declaration, properties, credentials)


def check_profile(declaration: Managed, profile: ProfileView) -> dict[str, Any]:
    """`ConnectorSpec.check_profile` for a managed label: the credentials to store, unchanged.

    Without credentials (an update that keeps them) only the properties are checked.
    """
    check_properties(declaration, profile.properties or {})
    credentials = dict(profile.credentials or {})
    if credentials:
        check_credentials(declaration, profile.properties or {}, credentials)
    return credentials
