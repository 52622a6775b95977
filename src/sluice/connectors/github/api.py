"""How the GitHub REST API is reached (connectors layer, GitHub).

* Host: `https://api.github.com`, or the operator's `SLUICE_ENDPOINT_URL_GITHUB`; every request
  sends `Accept: application/vnd.github+json` and `X-GitHub-Api-Version: 2022-11-28`
  (https://docs.github.com/en/rest/about-the-rest-api/api-versions).
* Auth (`auth_for`), as the managed catalog declares it: OAUTH2 - `Authorization: Bearer` with the
  profile's access token. An OAuth app's token does not expire; a GitHub App's user token does
  (eight hours) and comes with a refresh token, renewed with the `refresh_token` grant at the
  profile's `oAuth2Properties.tokenUrl` (https://github.com/login/oauth/access_token), sent to the
  endpoint override's host when one is set, path kept
  (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens).
  CUSTOM `BasicAuthPersonalAccessToken` - HTTP basic with `username` and `personalAccessToken`
  (https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api#using-basic-authentication).
* Errors are `{"message", "documentation_url"}` (`errors` adds validation details): 401 "Bad
  credentials", 404 "Not Found" also for a private repository the token cannot see, 403 for a
  missing permission (https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api).
* Rate limits (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api):
  primary - 403 or 429 with `x-ratelimit-remaining: 0`, wait until `x-ratelimit-reset` (epoch
  seconds); secondary - 403 or 429 with `retry-after` (seconds), or without it a message naming
  the secondary rate limit: wait at least a minute (`SECONDARY_WAIT`). The client retries both,
  each wait bounded by the REST layer's `MAX_WAIT`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from sluice.connectors import outbound
from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.rest.api import RestApi, VendorError, default_classify
from sluice.connectors.rest.auth import Auth, Basic, Bearer, refresh_grant

from . import LABEL

PUBLIC_URL = "https://api.github.com"
TOKEN_URL = "https://github.com/login/oauth/access_token"
HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
# GitHub: "If the retry-after response header is not present, wait for at least one minute".
SECONDARY_WAIT = 60.0
PRIMARY = "PrimaryRateLimit"
SECONDARY = "SecondaryRateLimit"


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None and value.strip() else None
    except ValueError:
        return None


def rate_limit_wait(response: httpx.Response, message: str, now: float | None = None) -> tuple[str, float] | None:
    """(which limit, seconds to wait) when a 403/429 answer is a rate limit; None otherwise."""
    if response.status_code not in (403, 429):
        return None
    headers = response.headers
    retry = _number(headers.get("retry-after"))
    if retry is not None:
        return SECONDARY, max(0.0, retry)
    if _number(headers.get("x-ratelimit-remaining")) == 0:
        reset = _number(headers.get("x-ratelimit-reset"))
        current = time.time() if now is None else now
        return PRIMARY, max(0.0, reset - current) if reset is not None else SECONDARY_WAIT
    if "secondary rate limit" in message.lower():
        return SECONDARY, SECONDARY_WAIT
    if response.status_code == 429 or "rate limit" in message.lower():
        return SECONDARY, SECONDARY_WAIT
    return None


def github_error(response: httpx.Response, body: Any) -> VendorError:
    """GitHub's error body as a `VendorError`; rate limits carry their wait."""
    status = response.status_code
    message = ""
    if isinstance(body, Mapping):
        message = str(body.get("message") or "")
        details = body.get("errors")
        if isinstance(details, list) and details:
            said = [str(d.get("message") or f"{d.get('resource', '')} {d.get('field', '')} {d.get('code', '')}".strip())
                    if isinstance(d, Mapping) else str(d) for d in details[:3]]
            message = f"{message} ({'; '.join(said)})" if message else "; ".join(said)
    elif isinstance(body, str):
        message = body.strip()[:300]
    message = message or f"HTTP {status}"
    limited = rate_limit_wait(response, message)
    if limited is not None:
        return VendorError(limited[0], message, status, limited[1])
    return VendorError(f"HTTP_{status}", message, status)


def classify(error: VendorError) -> str:
    """The `ConnectorError` code: rate limits are throttling whatever their status."""
    if error.code in (PRIMARY, SECONDARY):
        return "ThrottlingError"
    return default_classify(error)


def throttled(error: VendorError) -> bool:
    """Primary and secondary rate limits are retried after their wait."""
    return error.code in (PRIMARY, SECONDARY) or error.status == 429


def token_url(profile: ProfileView) -> str:
    """Where a refresh-token grant goes: the profile's tokenUrl, on the endpoint override's host when set."""
    declared = str((profile.properties.get("oAuth2Properties") or {}).get("tokenUrl") or TOKEN_URL)
    override = outbound.endpoint_override(LABEL)
    if not override:
        return declared
    path = urlsplit(declared).path or "/login/oauth/access_token"
    return f"{override}{path}"


def _oauth(profile: ProfileView) -> Mapping[str, Any]:
    member = profile.credentials.get("oauth2")
    return member if isinstance(member, Mapping) else {}


def auth_for(profile: ProfileView) -> Auth:
    """The scheme the profile's credentials use (see the module docstring)."""
    kind = str(profile.credentials.get("authenticationType") or "").upper()
    if kind == "CUSTOM":
        return Basic(username_key="custom.credentialsMap.username",
                     password_key="custom.credentialsMap.personalAccessToken")
    if kind != "OAUTH2":
        raise ConnectorError("InvalidArgument", "the GitHub connector profile needs OAUTH2 or CUSTOM "
                             "(BasicAuthPersonalAccessToken) credentials")
    oauth = _oauth(profile)
    request = oauth.get("oAuthRequest")
    code = request.get("authCode") if isinstance(request, Mapping) else None
    if not (oauth.get("refreshToken") or code):
        # An OAuth app's token never expires: a refusal is final, reported with GitHub's message.
        return Bearer(token_key="oauth2.accessToken")
    url = token_url(profile)
    return Bearer(token_key="oauth2.accessToken", refresh_token_key="oauth2.refreshToken",
                  grant=refresh_grant(lambda base, credentials: url, client_id_key="oauth2.clientId",
                                      client_secret_key="oauth2.clientSecret",
                                      refresh_token_key="oauth2.refreshToken"))


API = RestApi(
    LABEL, "GitHub", hosts=("api.github.com", "github.com"), auth=auth_for, default_url=PUBLIC_URL,
    base_url=lambda profile: outbound.endpoint_override(LABEL) or PUBLIC_URL,
    errors=github_error, classify=classify, throttled=throttled, headers=HEADERS,
)
