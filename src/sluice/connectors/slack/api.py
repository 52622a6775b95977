"""How Sluice reaches Slack's Web API (connectors layer, Slack): base URL, token, error bodies.

Every method is `<instanceUrl>/api/<method>` (the workspace URL, e.g. `https://acme.slack.com`, serves
the Web API as `https://slack.com` does). The bearer token is the profile's `accessToken` (or one
obtained from `oAuthRequest`'s code through `oauth.v2.access`); with Slack's token rotation on, the
refresh token that exchange returns renews an expired token (`token_expired`) and the new pair is
re-sealed in the profile. Slack answers most failures with HTTP 200 and `{"ok": false, "error":
"<code>"}` (https://docs.slack.dev/apis/web-api/#responses), and rate limits with 429 + `Retry-After`
(https://docs.slack.dev/apis/web-api/rate-limits); both become `ConnectorError`s naming Slack's code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from sluice.connectors.rest.api import RestApi, VendorError
from sluice.connectors.rest.auth import Bearer, refresh_grant

# Slack's error codes, what they mean (in Sluice's words), and the ConnectorError code each becomes.
_ERRORS: Mapping[str, tuple[str, str]] = {
    "not_authed": ("no token was sent", "InvalidCredentials"),
    "invalid_auth": ("the token is not valid for this workspace", "InvalidCredentials"),
    "token_revoked": ("the token was revoked", "InvalidCredentials"),
    "token_expired": ("the token expired", "InvalidCredentials"),
    "account_inactive": ("the token belongs to a deleted user or workspace", "InvalidCredentials"),
    "invalid_refresh_token": ("the refresh token is not valid", "InvalidCredentials"),
    "invalid_code": ("the authorization code is not valid or was used", "InvalidCredentials"),
    "bad_client_secret": ("the client secret does not match the client id", "InvalidCredentials"),
    "invalid_client_id": ("the client id is not known", "InvalidCredentials"),
    "missing_scope": ("the token lacks a scope this call needs", "AccessDenied"),
    "not_in_channel": ("the app is not a member of the conversation; invite it first", "AccessDenied"),
    "no_permission": ("the token may not read this", "AccessDenied"),
    "access_denied": ("access was denied", "AccessDenied"),
    "ekm_access_denied": ("the workspace's keys deny access", "AccessDenied"),
    "channel_not_found": ("no conversation has this id (or the token cannot see it)", "ResourceNotFound"),
    "thread_not_found": ("no message has this ts", "ResourceNotFound"),
    "user_not_found": ("no user has this id", "ResourceNotFound"),
    "ratelimited": ("too many calls of this method", "ThrottlingError"),
    "invalid_cursor": ("the page cursor is not valid", "InvalidArgument"),
    "invalid_arguments": ("an argument is missing or not valid", "InvalidArgument"),
    "invalid_ts_oldest": ("`oldest` is not a timestamp", "InvalidArgument"),
    "invalid_ts_latest": ("`latest` is not a timestamp", "InvalidArgument"),
    "invalid_limit": ("`limit` is not valid", "InvalidArgument"),
    "invalid_types": ("`types` names an unknown conversation type", "InvalidArgument"),
    "limit_required": ("the collection is too large to read without paging", "InvalidArgument"),
    "unknown_method": ("the workspace URL does not serve this Web API method", "ResourceNotFound"),
}


def vendor_error(body: Any, status: int) -> VendorError:
    """A `VendorError` from a Slack body: its `error` code, a plain-words reason and Slack's details."""
    code = str(body.get("error") or f"HTTP_{status}") if isinstance(body, Mapping) else f"HTTP_{status}"
    reason = _ERRORS.get(code, ("", ""))[0]
    details = []
    if isinstance(body, Mapping):
        if body.get("needed"):
            details.append(f"needed: {body['needed']}; token has: {body.get('provided') or 'no scopes'}")
        messages = (body.get("response_metadata") or {}).get("messages") if isinstance(
            body.get("response_metadata"), Mapping) else None
        if messages:
            details.extend(str(m) for m in messages[:3])
    message = "; ".join(part for part in (reason, *details) if part) or code
    return VendorError(code, f"{code} ({message})" if message != code else code, status)


def errors(response: httpx.Response, body: Any) -> VendorError:
    """An error answer with a non-200 status (429, 404 `unknown_method`, 5xx)."""
    return vendor_error(body, response.status_code)


def envelope(response: httpx.Response, body: Any) -> VendorError | None:
    """Slack's HTTP 200 failures: `{"ok": false, "error": ...}`."""
    if isinstance(body, Mapping) and body.get("ok") is False:
        return vendor_error(body, 0)
    return None


def classify(error: VendorError) -> str:
    """The `ConnectorError` code for a Slack error code (by status for codes Slack does not list)."""
    known = _ERRORS.get(error.code)
    if known:
        return known[1]
    if error.status == 429:
        return "ThrottlingError"
    if error.status in (401, 403):
        return "InvalidCredentials"
    return "ServerError"  # internal_error, fatal_error, service_unavailable, request_timeout, 5xx


def throttled(error: VendorError) -> bool:
    """Slack's rate limiting: HTTP 429 (`ratelimited`), waited out per `Retry-After`."""
    return error.status == 429 or error.code == "ratelimited"


def expired(error: VendorError) -> bool:
    """A rotating token past its 12 hours: renewed with the refresh token, when the profile has one."""
    return error.code == "token_expired"


API = RestApi(
    connector_type="Slack",
    vendor="Slack",
    hosts=("slack.com",),
    # Slack's token endpoint takes the client in the form (or Basic auth) and answers `ok`/`error`.
    auth=Bearer(grant=refresh_grant(lambda base, credentials: f"{base}/api/oauth.v2.access")),
    default_url="https://slack.com",
    errors=errors,
    envelope=envelope,
    classify=classify,
    throttled=throttled,
    expired=expired,
)
