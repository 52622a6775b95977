"""What every Google API shares (connectors layer, shared REST layer): error bodies and OAuth 2.0.

Used by the Google Analytics (Universal Analytics) and Google Analytics 4 connectors:

* errors - Google's JSON APIs answer `{"error": {"code": 403, "message": "...", "status":
  "PERMISSION_DENIED"}}` (https://cloud.google.com/apis/design/errors#http_mapping); the `status`
  word (UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED, INVALID_ARGUMENT, ...) is the
  vendor code, the `message` Google's own sentence;
* OAuth - access tokens are renewed with a `refresh_token` grant at Google's token endpoint
  (`https://oauth2.googleapis.com/token`), client id and secret in the form
  (https://developers.google.com/identity/protocols/oauth2/web-server#offline); an
  authorization code is exchanged at the same endpoint;
* the endpoint override - one operator URL (`SLUICE_ENDPOINT_URL_<TYPE>`) stands for every Google
  host a connector calls (API hosts and the token host alike): the paths stay Google's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from sluice.connectors import outbound
from sluice.connectors.rest.api import VendorError, json_error
from sluice.connectors.rest.auth import Bearer, refresh_grant

TOKEN_URL = "https://oauth2.googleapis.com/token"


def errors(response: httpx.Response, body: Any) -> VendorError:
    """Google's error body; its `status` word is the code and its `message` the message."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping) and error.get("message"):
        return VendorError(str(error.get("status") or error.get("code") or f"HTTP_{response.status_code}"),
                           str(error["message"]), response.status_code)
    return json_error(response, body)


def host(connector_type: str, default: str) -> str:
    """`default` (a Google base URL), or the operator's endpoint override for the connector type."""
    return outbound.endpoint_override(connector_type) or default


def token_url(connector_type: str, url: str = TOKEN_URL) -> str:
    """The token endpoint `url` (a profile's `tokenUrl`, or Google's), moved to the endpoint
    override's host when the operator set one (the path stays Google's, `/token`)."""
    override = outbound.endpoint_override(connector_type)
    if not override:
        return url
    path = urlsplit(url).path or "/token"
    return f"{override}{path}"


def bearer(token_endpoint: Callable[[], str], *, under: str = "") -> Bearer:
    """Google OAuth 2.0 bearer auth renewed by the refresh-token grant at `token_endpoint()`.

    `under` names the credentials member holding the tokens and client (`oauth2` for a
    CustomConnector profile's `OAuth2Credentials`); "" when they are top-level keys
    (`GoogleAnalyticsConnectorProfileCredentials`).
    """
    prefix = f"{under}." if under else ""
    grant = refresh_grant(lambda base, credentials: token_endpoint(),
                          client_id_key=f"{prefix}clientId", client_secret_key=f"{prefix}clientSecret",
                          refresh_token_key=f"{prefix}refreshToken")
    return Bearer(token_key=f"{prefix}accessToken", refresh_token_key=f"{prefix}refreshToken", grant=grant)
