"""How HubSpot's API is reached (connectors layer, HubSpot).

Calls go to `https://api.hubapi.com` (or the operator's `SLUICE_ENDPOINT_URL_HUBSPOT`), with the
profile's OAuth access token as a bearer token. A 401 (`INVALID_AUTHENTICATION`,
`EXPIRED_AUTHENTICATION`) renews it with the refresh token at the profile's
`oAuth2Properties.tokenUrl` (form POST, client id and secret in the form), sent to the endpoint
override's host when one is set so tests reach their fake. Errors are HubSpot's
`{"status": "error", "message", "correlationId", "category"}`; a 429 is
`{"errorType": "RATE_LIMIT", "policyName": ...}`: the ten-secondly and secondly policies are
retried (after `Retry-After` when given, else with backoff), the `DAILY` one is not - it resets at
midnight. https://developers.hubspot.com/docs/api-reference/error-handling,
https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines,
https://developers.hubspot.com/docs/api-reference/auth/oauth/guide.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from sluice.connectors import outbound
from sluice.connectors.base import ProfileView
from sluice.connectors.managed.rest_adapter import oauth2_bearer, token_url
from sluice.connectors.rest.api import RestApi, VendorError, default_classify, json_error
from sluice.connectors.rest.auth import Bearer

from . import LABEL

API_URL = "https://api.hubapi.com"
TOKEN_URL = f"{API_URL}/oauth/v1/token"


def auth_for(profile: ProfileView) -> Bearer:
    """Bearer auth with the profile's OAuth tokens (`credentials.oauth2`), renewed at its token URL
    (on the override host when there is one)."""
    return oauth2_bearer(token_url(profile, LABEL, TOKEN_URL))


def errors(response: httpx.Response, body: Any) -> VendorError:
    """HubSpot's error body: `category` (or a 429's `policyName`) is the code, `message` the message."""
    if isinstance(body, Mapping) and body.get("message"):
        code = body.get("category") or body.get("policyName") or body.get("errorType") or body.get("status")
        return VendorError(str(code or f"HTTP_{response.status_code}"), str(body["message"]), response.status_code)
    return json_error(response, body)


def throttled(error: VendorError) -> bool:
    """Rolling-window limits are retried; the daily limit is not (it resets at midnight)."""
    return error.status == 429 and error.code != "DAILY"


def classify(error: VendorError) -> str:
    """The `ConnectorError` code for a HubSpot error."""
    if error.code in ("INVALID_AUTHENTICATION", "EXPIRED_AUTHENTICATION"):
        return "InvalidCredentials"
    if error.code == "MISSING_SCOPES":
        return "AccessDenied"
    return default_classify(error)


API = RestApi(
    LABEL, "HubSpot", hosts=("hubapi.com", "hubspot.com"), default_url=API_URL,
    base_url=lambda profile: outbound.endpoint_override(LABEL) or API_URL,
    auth=auth_for, errors=errors, classify=classify, throttled=throttled,
)
