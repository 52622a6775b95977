"""How Sluice reaches a Marketo subscription (connectors layer, Marketo on the shared REST layer).

* Base URL: the profile's `instanceUrl` (`https://<munchkin id>.mktorest.com`, AppFlow's
  `MarketoConnectorProfileProperties`); only `*.mktorest.com` hosts (plus the operator's
  `SLUICE_ENDPOINT_URL_MARKETO`) are called.
* Auth: `Authorization: Bearer <accessToken>`, the token got from the identity service with the
  profile's clientId/clientSecret (`GET /identity/oauth/token?grant_type=client_credentials`), renewed
  when Marketo answers 601 (invalid) or 602 (expired), and re-sealed in the profile.
* Errors: Marketo answers HTTP 200 with `{"success": false, "errors": [{"code", "message"}]}`
  (https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes). 606 (100 calls
  per 20 s) and 615 (10 concurrent calls) are throttling and retried with backoff, like an HTTP 429 with
  `Retry-After`; 604/608/713 are transient and retried; 607 (daily quota) is a throttling error that is not
  retried, since the quota resets only at midnight US Central time; a full export queue (1029) is waited
out, the daily export allowance (also 1029) is not; other 1xxx/7xx are the caller's mistakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from sluice.connectors.rest.api import RestApi, VendorError, json_error
from sluice.connectors.rest.auth import Bearer, client_credentials_grant

CONNECTOR_TYPE = "Marketo"
HOSTS = ("mktorest.com",)

EXPIRED = {"601", "602"}
THROTTLED = {"606", "615"}
# Transient per the Error Codes page (time-out, temporarily unavailable, transient error): retried
# as an unavailable service would be.
TRANSIENT = {"604", "608", "713", "502"}
# Response-level codes and the AppFlow-facing error code they become.
CLASSES = {
    "601": "InvalidCredentials", "602": "InvalidCredentials", "603": "AccessDenied",
    "606": "ThrottlingError", "607": "ThrottlingError", "615": "ThrottlingError", "1029": "ThrottlingError",
    "610": "ResourceNotFound", "1013": "ResourceNotFound",
}
DAILY_QUOTA = ("the subscription's daily API quota is used up (it resets at midnight US Central time); "
               "run the flow after the reset or ask Marketo for a larger quota")


def envelope(response: httpx.Response, body: Any) -> VendorError | None:
    """The response-level error of an HTTP 200 answer, or None when `success` is not false."""
    if not isinstance(body, Mapping) or body.get("success") is not False:
        return None
    errors = body.get("errors") or []
    first = errors[0] if errors and isinstance(errors[0], Mapping) else {}
    code = str(first.get("code") or "611")
    message = str(first.get("message") or "request failed")
    if code == "607":
        message = f"{message}: {DAILY_QUOTA}"
    # A transient code is treated as HTTP 503 so the client retries it with backoff.
    return VendorError(code, message, 503 if code in TRANSIENT else 0)


def errors(response: httpx.Response, body: Any) -> VendorError:
    """An HTTP-level error: the identity service's `{error, error_description}`, or an envelope (a 429)."""
    found = envelope(response, body) if isinstance(body, Mapping) and "errors" in body else None
    if found is not None:
        return VendorError(found.code, found.message, response.status_code)
    return json_error(response, body)


def classify(error: VendorError) -> str:
    """The ConnectorError code of a Marketo error."""
    if error.code in CLASSES:
        return CLASSES[error.code]
    if error.status == 401:
        return "InvalidCredentials"
    if error.status == 429:
        return "ThrottlingError"
    if error.code[:1] in ("1", "7") or error.code in ("609", "612", "613") or error.status in (413, 414):
        return "InvalidArgument"
    return "ServerError"


def throttled(error: VendorError) -> bool:
    """606 and 615 in the envelope, an HTTP 429, and a full export queue (1029 "Too many jobs in queue",
    which clears as other jobs finish) are waited out and retried; 1029's daily export quota is not."""
    if error.code == "1029":
        return "too many jobs" in error.message.lower()
    return error.code in THROTTLED or error.status == 429


def expired(error: VendorError) -> bool:
    """601/602 in the envelope (or HTTP 401) renew the token once."""
    return error.code in EXPIRED or error.status == 401


def token_url(base_url: str, credentials: Mapping[str, Any]) -> str:
    """The identity endpoint of the subscription (same host as the REST API)."""
    return f"{base_url}/identity/oauth/token"


API = RestApi(
    CONNECTOR_TYPE, "Marketo", hosts=HOSTS,
    auth=Bearer(token_key="accessToken", grant=client_credentials_grant(token_url, style="query")),
    errors=errors, envelope=envelope, classify=classify, throttled=throttled, expired=expired,
)
