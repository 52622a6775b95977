"""Vault's session authentication and error envelope (connectors layer, Veeva).

Veeva's docs (https://developer.veevavault.com/api/24.1/):

* Authentication - `POST /api/{version}/auth` with the form fields `username` and `password` answers
  `{"responseStatus": "SUCCESS", "sessionId": ..., "userId": ..., "vaultId": ...}`; later calls send
  `Authorization: <sessionId>`. A session times out after a period of inactivity that varies by Vault;
  a call with a dead session answers `INVALID_SESSION_ID`, after which Sluice signs in again (once per call).
* Errors - an answer (often HTTP 200) with `"responseStatus": "FAILURE"` and
  `"errors": [{"type": "...", "message": "..."}]` (`USERNAME_OR_PASSWORD_INCORRECT`, `INVALID_SESSION_ID`,
  `INSUFFICIENT_ACCESS`, `INVALID_DATA`, `PARAMETER_REQUIRED`, `MALFORMED_URL`, `API_LIMIT_EXCEEDED`...).
* Rate limits - https://developer.veevavault.com/docs/#api-rate-limits : every answer carries
  `X-VaultAPI-BurstLimit` / `X-VaultAPI-BurstLimitRemaining`; an exhausted limit answers
  `API_LIMIT_EXCEEDED` (HTTP 429); Sluice waits (`Retry-After` when sent, else backoff) and retries.

The session id lives in the profile's credentials under `sluiceSessionId` (sealed with them, never shown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.api import VendorError, default_classify, json_error
from sluice.connectors.rest.auth import Auth

API_VERSION = "v24.1"
SESSION_KEY = "sluiceSessionId"
CREDENTIAL_ERRORS = {"INVALID_SESSION_ID", "USERNAME_OR_PASSWORD_INCORRECT", "PASSWORD_CHANGE_REQUIRED",
                     "USER_LOCKED_OUT", "INACTIVE_USER", "NO_PERMISSION"}
ARGUMENT_ERRORS = {"INVALID_DATA", "PARAMETER_REQUIRED", "MALFORMED_URL", "METHOD_NOT_SUPPORTED",
                   "OPERATION_NOT_ALLOWED", "INVALID_DOCUMENT", "ATTRIBUTE_NOT_SUPPORTED"}


def failure(body: Any) -> tuple[str, str] | None:
    """(type, message) of a `FAILURE` envelope's first error; None for a success or a non-JSON body."""
    if not isinstance(body, Mapping) or body.get("responseStatus") != "FAILURE":
        return None
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], Mapping) else {}
    return str(first.get("type") or "FAILURE"), str(first.get("message") or body.get("responseMessage") or "")


def vault_error(response: httpx.Response, body: Any) -> VendorError:
    """An error answer (non-2xx): the envelope's first error, else the common shapes."""
    found = failure(body)
    if found is not None:
        return VendorError(found[0], found[1], response.status_code)
    return json_error(response, body)


def envelope(response: httpx.Response, body: Any) -> VendorError | None:
    """A 2xx answer that is a `FAILURE` envelope (Vault answers most errors with HTTP 200)."""
    found = failure(body)
    return None if found is None else VendorError(found[0], found[1], response.status_code)


def classify(error: VendorError) -> str:
    """Vault's error types -> the connector error codes (by HTTP status when the type is unknown)."""
    if error.code in CREDENTIAL_ERRORS:
        return "InvalidCredentials"
    if error.code == "INSUFFICIENT_ACCESS":
        return "AccessDenied"
    if error.code == "API_LIMIT_EXCEEDED":
        return "ThrottlingError"
    if error.code in ARGUMENT_ERRORS:
        return "InvalidArgument"
    return default_classify(error) if error.status >= 300 else "ServerError"


def throttled(error: VendorError) -> bool:
    return error.status == 429 or error.code == "API_LIMIT_EXCEEDED"


def expired(error: VendorError) -> bool:
    return error.code == "INVALID_SESSION_ID" or error.status == 401


@dataclass(frozen=True)
class VaultSession(Auth):
    """`Authorization: <sessionId>`, signed in again with the user name and password when it expires."""

    version: str = API_VERSION

    @property
    def renewable(self) -> bool:  # type: ignore[override]
        return True

    def apply(self, credentials: Mapping[str, Any], request: httpx.Request) -> None:
        request.headers["Authorization"] = str(credentials.get(SESSION_KEY) or "")

    def needs_token(self, credentials: Mapping[str, Any]) -> bool:
        return not credentials.get(SESSION_KEY)

    def renew(self, credentials: Mapping[str, Any], http: httpx.Client, base_url: str) -> dict[str, Any]:
        username, password = str(credentials.get("username") or ""), str(credentials.get("password") or "")
        if not username or not password:
            raise ConnectorError("InvalidCredentials", "the Veeva profile needs a username and a password")
        url = f"{base_url}/api/{self.version}/auth"
        try:
            response = http.post(url, data={"username": username, "password": password},
                                 headers={"Accept": "application/json"})
        except httpx.HTTPError:
            from sluice.connectors.outbound import unreachable

            raise unreachable("Veeva Vault", base_url) from None
        try:
            body = orjson.loads(response.content) if response.content else {}
        except orjson.JSONDecodeError:
            body = {}
        found = failure(body)
        session = body.get("sessionId") if isinstance(body, Mapping) else None
        if found is not None or response.status_code != 200 or not session:
            kind, message = found or (f"HTTP_{response.status_code}", "no session id in the answer")
            code = "ThrottlingError" if kind == "API_LIMIT_EXCEEDED" or response.status_code == 429 else (
                "InvalidCredentials")
            raise ConnectorError(code, f"Veeva Vault refused the sign-in ({kind}: {message})")
        return {**credentials, SESSION_KEY: str(session)}
