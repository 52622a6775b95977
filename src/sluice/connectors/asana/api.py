"""How the Asana REST API is reached (connectors layer, Asana).

https://developers.asana.com/docs/ ("Authentication", "Errors", "Rate limits"):

* calls go to `https://app.asana.com/api/1.0`; the operator's `SLUICE_ENDPOINT_URL_ASANA` replaces
  `https://app.asana.com` (API and token endpoint alike; paths stay);
* a personal access token (CUSTOM `PAT`, `credentialsMap.patToken`) and an OAuth access token
  (OAUTH2) are both sent as `Authorization: Bearer <token>`. OAuth access tokens expire after an
  hour: a refused one is renewed once with the refresh-token grant at the profile's
  `oAuth2Properties.tokenUrl` (`https://app.asana.com/-/oauth_token`, on the override host when
  one is set), client id and secret in the form, and the new token is sealed into the profile;
* errors are `{"errors": [{"message", "help", "phrase"}]}`; the message (and help) is quoted.
  401 says "Not Authorized"; 429 carries `Retry-After` (seconds), which the client waits out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from sluice.connectors import outbound
from sluice.connectors.base import ProfileView
from sluice.connectors.managed.rest_adapter import oauth2_bearer, token_url
from sluice.connectors.rest.api import RestApi, VendorError, json_error
from sluice.connectors.rest.auth import Auth, Bearer

from . import LABEL

HOST = "https://app.asana.com"
API_PATH = "/api/1.0"
TOKEN_PATH = "/-/oauth_token"


def host() -> str:
    """Asana's host, or the operator's endpoint override for it."""
    return outbound.endpoint_override(LABEL) or HOST


def base_url(profile: ProfileView) -> str:
    """`https://app.asana.com/api/1.0` (or the override host + `/api/1.0`)."""
    return host() + API_PATH


PAT = Bearer(token_key="custom.credentialsMap.patToken")


def oauth(profile: ProfileView) -> Bearer:
    """Bearer OAuth tokens renewed at the profile's token URL (on the override host if set)."""
    return oauth2_bearer(token_url(profile, LABEL, HOST + TOKEN_PATH))


def auth_for(profile: ProfileView) -> Auth:
    """The scheme the profile's `authenticationType` names."""
    kind = str(profile.credentials.get("authenticationType") or "").upper()
    return oauth(profile) if kind == "OAUTH2" else PAT


def errors(response: httpx.Response, body: Any) -> VendorError:
    """Asana's `errors` list: the first message, with its `help` when Asana gives one."""
    found = body.get("errors") if isinstance(body, Mapping) else None
    if isinstance(found, list) and found and isinstance(found[0], Mapping) and found[0].get("message"):
        first = found[0]
        message = str(first["message"])
        if first.get("help"):
            message = f"{message} ({first['help']})"
        return VendorError(f"HTTP_{response.status_code}", message, response.status_code)
    return json_error(response, body)


API = RestApi(LABEL, "Asana", hosts=("app.asana.com",), auth=auth_for, base_url=base_url, errors=errors)
