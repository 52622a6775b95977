"""One authenticated HTTP client for a Salesforce org (connectors layer): REST, Bulk API 2.0, CometD.

`SalesforceClient(profile)` sends requests to the profile's instance with `Authorization: Bearer`
over a keep-alive `httpx.Client` (HTTP/1.1) and handles what every caller would otherwise repeat:

* a `401` (INVALID_SESSION_ID) renews the token once (`auth.refresh`), retries, and stores the new
  credentials through `profile.save_credentials`;
* `429`, `503` and `403 REQUEST_LIMIT_EXCEEDED`, timeouts and connection errors are retried with
  exponential backoff (honouring `Retry-After`) up to `settings.max_attempts()`;
* `Sforce-Limit-Info: api-usage=N/M` is kept in `api_usage`, with a warning above 90 %;
* error bodies (`[{"errorCode", "message"}]`) become `SalesforceApiError`s, a `ConnectorError`
  with a code the service maps once (see `error_code`).

Tokens never appear in messages or logs.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.rest.client import retry_after as retry_after_of
from sluice.connectors.salesforce import auth, settings

log = logging.getLogger(__name__)

# Error codes that mean "the request itself is wrong": the caller's SOQL, fields or types.
_INVALID_ARGUMENT = {
    "MALFORMED_QUERY",
    "INVALID_FIELD",
    "INVALID_TYPE",
    "INVALID_QUERY_FILTER_OPERATOR",
    "INVALID_QUERY_LOCATOR",
    "INVALIDENTITY",
    "INVALID_FIELD_FOR_INSERT_UPDATE",
    "JSON_PARSER_ERROR",
    "API_ERROR",
}
_ACCESS_DENIED = {"INSUFFICIENT_ACCESS", "API_DISABLED_FOR_ORG", "INSUFFICIENT_ACCESS_OR_READONLY"}
_LIMIT = "REQUEST_LIMIT_EXCEEDED"
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")
# Retry-After values above this are not waited out inside one request.
_MAX_RETRY_AFTER = 300.0
# Methods that may be re-sent after the request might have reached Salesforce (a read timeout):
# re-sending a POST could create a second record or job.
_RESENDABLE = {"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}


class SalesforceApiError(ConnectorError):
    """A `ConnectorError` from a Salesforce answer: also the HTTP status and Salesforce's errorCode."""

    def __init__(self, code: str, message: str, status: int, sf_code: str, retry_after: float | None = None) -> None:
        super().__init__(code, message, retry_after)
        self.status = status
        self.sf_code = sf_code


def error_code(status: int, sf_code: str) -> str:
    """The `ConnectorError` code for a Salesforce error answer."""
    if sf_code == "INVALID_SESSION_ID" or status == 401:
        return "InvalidCredentials"
    if sf_code in _INVALID_ARGUMENT or sf_code.startswith("MALFORMED_"):
        return "InvalidArgument"
    if sf_code == "NOT_FOUND" or status == 404:
        return "ResourceNotFound"
    if sf_code in _ACCESS_DENIED:
        return "AccessDenied"
    if sf_code == _LIMIT or status == 429:
        return "ThrottlingError"
    return "ServerError"


def error_of(response: httpx.Response) -> tuple[str, str]:
    """(Salesforce errorCode, message) of an error answer, whatever its body looks like."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()[:300] if response.content else ""
        return f"HTTP_{response.status_code}", text or f"HTTP {response.status_code}"
    if isinstance(body, list) and body and isinstance(body[0], Mapping):
        first = body[0]
        return str(first.get("errorCode") or first.get("statusCode") or "ERROR"), str(first.get("message") or "")
    if isinstance(body, Mapping):
        code = body.get("errorCode") or body.get("error") or f"HTTP_{response.status_code}"
        message = body.get("message") or body.get("error_description") or ""
        return str(code), str(message)
    return f"HTTP_{response.status_code}", f"HTTP {response.status_code}"


class SalesforceClient:
    """Authenticated requests to one org. Thread-safe; close it (or use `with`) when done."""

    def __init__(
        self,
        profile: ProfileView,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        self.profile = profile
        # Told of each retry in words (Salesforce's status and errorCode, the wait): the run's log.
        self.on_retry = on_retry
        self._creds = auth.member(profile.credentials)
        self._props = auth.member(profile.properties)
        self.instance_url = auth.instance_url_of(self._creds, self._props)
        self.access_token: str | None = self._creds.get("accessToken") or None
        if not self.instance_url and not self._can_obtain():
            raise ConnectorError("InvalidArgument", "the Salesforce connector profile has no instanceUrl")
        self._own_http = http is None
        self._http = http or settings.http_client(
            limits=httpx.Limits(max_keepalive_connections=8, keepalive_expiry=60),
        )
        self._sleep = sleep
        self._lock = threading.Lock()
        self.api_usage: tuple[int, int] | None = None
        self._warned_usage = False

    # -- public ---------------------------------------------------------------------------

    def data_path(self, suffix: str) -> str:
        """`/services/data/v59.0/<suffix>`."""
        return f"/services/data/v{settings.API_VERSION}/{suffix.lstrip('/')}"

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        expect: tuple[int, ...] = (200, 201, 204),
    ) -> httpx.Response:
        """Send a request (path relative to the instance, or a full URL); the answer, body read.

        Raises `SalesforceApiError` for an answer whose status is not in `expect`.
        """
        return self._send(method, path_or_url, params, json, content, headers, expect, stream=False)

    @contextmanager
    def stream(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> Iterator[httpx.Response]:
        """Like `request`, but the body is not read: iterate `iter_bytes()` / `iter_raw()` inside."""
        response = self._send(method, path_or_url, params, json, content, headers, expect, stream=True)
        try:
            yield response
        finally:
            response.close()

    def close(self) -> None:
        """Release the connection pool (only when this client created it)."""
        if self._own_http:
            self._http.close()

    def __enter__(self) -> SalesforceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending --------------------------------------------------------------------------

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.instance_url}/{path_or_url.lstrip('/')}"

    def _send(
        self,
        method: str,
        path_or_url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        content: bytes | str | None,
        headers: Mapping[str, str] | None,
        expect: tuple[int, ...],
        *,
        stream: bool,
    ) -> httpx.Response:
        method = method.upper()
        limit = settings.max_attempts()
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            if not self.access_token:
                self._renew(None)
            token = self.access_token
            request = self._http.build_request(
                method,
                self._url(path_or_url),
                params=dict(params) if params else None,
                json=json,
                content=content,
                headers={"Accept": "application/json", **(headers or {}), "Authorization": f"Bearer {token}"},
            )
            try:
                response = self._http.send(request, stream=stream)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                resendable = method in _RESENDABLE or isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                if attempt >= limit or not resendable:
                    what = "timed out" if isinstance(exc, httpx.TimeoutException) else "could not be reached"
                    raise ConnectorError(
                        "ServerError",
                        f"Salesforce at {self.instance_url} {what} ({type(exc).__name__}) after {attempt} attempt(s); "
                        "check the org's availability and the network, then run the flow again",
                    ) from None
                self._tell_retry(f"Salesforce could not be reached ({type(exc).__name__})", attempt, limit)
                self._sleep(self._backoff(attempt))
                continue
            self._note_usage(response)
            if response.status_code in expect:
                return response
            if stream:
                response.read()
                response.close()
            sf_code, message = error_of(response)
            status = response.status_code
            if status == 401 and not refreshed:
                refreshed = True
                self._renew(token)
                continue
            throttled = status == 429 or (status == 403 and sf_code == _LIMIT)
            unavailable = status == 503 or (status in (500, 502, 504) and method in _RESENDABLE)
            if throttled or unavailable:
                retry_after = retry_after_of(response)
                if attempt >= limit:
                    raise self._exhausted(status, sf_code, message, attempt, retry_after, throttled)
                self._tell_retry(f"Salesforce answered {status} ({sf_code or 'no errorCode'})"
                                 + (f", asking to wait {retry_after:g} s" if retry_after is not None else ""),
                                 attempt, limit)
                self._sleep(min(retry_after, _MAX_RETRY_AFTER) if retry_after is not None else self._backoff(attempt))
                continue
            code = error_code(status, sf_code)
            text = f"{sf_code}: {message}" if message else sf_code
            if code == "InvalidCredentials":
                text = (
                    f"Salesforce refused the access token ({text}) even after renewing it; "
                    "update the connector profile's credentials"
                )
            raise SalesforceApiError(code, text, status, sf_code)

    def _exhausted(
        self, status: int, sf_code: str, message: str, attempts: int, retry_after: float | None, throttled: bool
    ) -> SalesforceApiError:
        if throttled:
            text = (
                f"Salesforce kept refusing requests ({sf_code if sf_code != f'HTTP_{status}' else f'HTTP {status}'}: "
                f"{message}) after {attempts} attempts; the org's API request limit is used up - wait for the "
                "org's API limit to reset or lower the flow's frequency"
            )
            return SalesforceApiError("ThrottlingError", text, status, sf_code, retry_after)
        text = (
            f"Salesforce was unavailable (HTTP {status}: {message or sf_code}) after {attempts} attempts; "
            "run the flow again later"
        )
        return SalesforceApiError("ServerError", text, status, sf_code, retry_after)

    def _tell_retry(self, what: str, attempt: int, limit: int) -> None:
        if self.on_retry is not None:
            self.on_retry(f"{what}; retry {attempt} of {limit - 1}")

    def _backoff(self, attempt: int) -> float:
        delay = min(settings.BACKOFF_CAP, settings.backoff_base() * (2 ** (attempt - 1)))
        # A little jitter so parallel runs hitting the same limit do not retry in lockstep.
        return delay + random.uniform(0, delay / 10) if delay else 0.0

    # -- tokens and limits ----------------------------------------------------------------

    def _can_obtain(self) -> bool:
        return self._creds.get("oAuth2GrantType") in ("CLIENT_CREDENTIALS", "JWT_BEARER")

    def _renew(self, used_token: str | None) -> None:
        """Get a new access token, unless another thread already replaced `used_token`."""
        with self._lock:
            if used_token is not None and self.access_token and self.access_token != used_token:
                return
            if used_token is None and self.access_token:
                return
            if used_token is None:
                new = auth.member(auth.obtain_tokens(self._view(), self._http))
            else:
                new = auth.refresh({**self._creds, "instanceUrl": self.instance_url}, self._props, self._http,
                                   self.profile.aws)
            self._creds = new
            self.access_token = new["accessToken"]
            self.instance_url = new.get("instanceUrl") or self.instance_url
        if self.profile.save_credentials is not None:
            try:
                self.profile.save_credentials(auth.wrap_like(self.profile.credentials, new))
            except Exception as exc:  # the run can go on with the token it holds
                log.warning("could not store the renewed Salesforce token for profile %s: %s",
                            self.profile.name, type(exc).__name__)

    def _view(self) -> ProfileView:
        return ProfileView(
            name=self.profile.name,
            connector_type=self.profile.connector_type,
            properties=self._props,
            credentials=self._creds,
            aws=self.profile.aws,
        )

    def _note_usage(self, response: httpx.Response) -> None:
        header = response.headers.get("Sforce-Limit-Info")
        if not header:
            return
        match = _USAGE.search(header)
        if not match:
            return
        used, most = int(match.group(1)), int(match.group(2))
        self.api_usage = (used, most)
        if most and used > 0.9 * most and not self._warned_usage:
            self._warned_usage = True
            log.warning("the Salesforce org at %s has used %d of its %d daily API requests",
                        self.instance_url, used, most)
