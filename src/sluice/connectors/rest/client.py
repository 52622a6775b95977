"""One authenticated HTTP client for a vendor's API (connectors layer, shared REST layer).

`RestClient(api, profile)` sends requests under the vendor's `RestApi` rules and handles what
every SaaS call would otherwise repeat:

* credentials from the profile (`Auth.apply`); a token the vendor calls invalid or expired is
  renewed once per request (`Auth.renew`) and re-sealed through `profile.save_credentials`;
* throttling (429 or the vendor's own signal) and unavailability (502/503/504, timeouts,
  connection errors) are retried up to `SLUICE_REST_MAX_ATTEMPTS`
  attempts, waiting what `Retry-After` (or the vendor's header) says, else a bounded exponential
  backoff with jitter; a POST is re-sent after a read timeout only when the caller says it is safe;
* every other error answer becomes a `ConnectorError` whose message is the vendor's own
  (`RestApi.errors` / `envelope`), with the code `RestApi.classify` gives;
* JSON bodies are parsed once, with orjson.

Calls go through `outbound.vendor_http_client`: https only, public addresses only (unless the
operator allows private endpoints), the vendor's hosts only, TLS trusting SSL_CERT_FILE /
REQUESTS_CA_BUNDLE.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO

import httpx
import orjson

from sluice.connectors import outbound
from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.rest.api import RestApi, VendorError
from sluice.connectors.rest.auth import Bearer
from sluice.settings import current

log = logging.getLogger(__name__)

BACKOFF_CAP = 30.0
# Waits the vendor asks for above this are not sat out inside one request.
MAX_WAIT = 300.0
_UNAVAILABLE = {502, 503, 504}
_IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}


@dataclass(slots=True)
class Request:
    """One request: method, a path (relative to the base URL) or a full URL, query and body."""

    method: str = "GET"
    path: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    data: Mapping[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # True when sending it twice does no harm (searches sent as POST): retried after timeouts.
    idempotent: bool | None = None
    # False for a URL the vendor handed out that carries its own authorization (a report's
    # download link): the profile's credentials are not sent with it.
    authenticated: bool = True
    # A raw body (e.g. SAP's multipart `$batch`), sent as is with the caller's Content-Type.
    content: bytes | None = None

    def replace(self, **changes: Any) -> Request:
        """A copy with `changes` applied (pagination builds the next page's request this way)."""
        values = {"method": self.method, "path": self.path, "params": dict(self.params), "json": self.json,
                  "data": self.data, "headers": dict(self.headers), "idempotent": self.idempotent,
                  "authenticated": self.authenticated, "content": self.content}
        values.update(changes)
        return Request(**values)


@dataclass(slots=True)
class Answer:
    """A successful answer: the response (body read) and its parsed JSON (None when not JSON)."""

    response: httpx.Response
    body: Any


def parse_json(response: httpx.Response) -> Any:
    """The JSON body, or None when the body is empty or not JSON."""
    if not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def retry_after(response: httpx.Response, extra_headers: tuple[str, ...] = ()) -> float | None:
    """Seconds to wait from `Retry-After` (delta seconds or an HTTP date) or a vendor header."""
    for name in ("Retry-After", *extra_headers):
        value = response.headers.get(name)
        if not value:
            continue
        try:
            seconds = float(value)
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                continue
        # A value that looks like an epoch time (a reset instant) is turned into a delay.
        if seconds > 1_000_000_000:
            seconds = seconds / 1000.0 if seconds > 100_000_000_000 else seconds
            seconds -= time.time()
        return max(0.0, seconds)
    return None


class RestClient:
    """Authenticated calls to one vendor for one profile. Thread-safe; close it or use `with`."""

    def __init__(
        self,
        api: RestApi,
        profile: ProfileView,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[str], None] | None = None,
        on_event: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self.api = api
        # The run's log (`RunContext.on_event`), for what a vendor folder tells it (`report`).
        self.on_event = on_event
        # Told of each retry in words (the vendor's status and code, the wait): the run's log.
        self.on_retry = on_retry
        self.profile = profile
        self.base_url = api.url_of(profile)
        self.auth = api.auth_for(profile)
        self.credentials: dict[str, Any] = dict(profile.credentials)
        rest = current().rest
        self.max_attempts = rest.max_attempts
        self.backoff_base = rest.backoff_base
        self._own_http = http is None
        self._http = http or outbound.vendor_http_client(
            allowed_host_suffixes=api.vendor_hosts(), timeout=rest.timeout,
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8, keepalive_expiry=60),
        )
        self._sleep = sleep
        self._lock = threading.Lock()
        self.requests_sent = 0
        self.retries = 0

    # -- public ---------------------------------------------------------------------------

    def call(self, request: Request, *, expect: tuple[int, ...] = (200, 201, 202, 204),
             into: BinaryIO | None = None) -> Answer:
        """Send `request` under the vendor's rules; the answer, or a `ConnectorError`.

        With `into`, an expected answer's body is streamed into that file (rewound and emptied
        before each attempt) instead of being held in memory, and the answer's `body` is None:
        for archives (Amplitude's export) that may be larger than memory.
        """
        method = request.method.upper()
        attempt = 0
        renewed = False
        while True:
            attempt += 1
            if self.auth.needs_token(self.credentials):
                self._renew(None)
            used = self.credentials
            outgoing = self._build(request, method)
            try:
                response = self._http.send(outgoing, stream=into is not None)
                self.requests_sent += 1
                if into is not None:
                    streamed = self._stream(response, into, expect)
                    if streamed is not None:
                        return streamed
            except httpx.TransportError as exc:
                safe = request.idempotent if request.idempotent is not None else method in _IDEMPOTENT
                if attempt >= self.max_attempts or not (safe or isinstance(exc, httpx.ConnectError)):
                    raise self._unreachable(exc, attempt) from None
                self._tell_retry(f"could not reach {self.api.connector_type} ({type(exc).__name__})", attempt)
                self._wait(None, attempt)
                continue
            body = parse_json(response)
            error: VendorError | None = None
            if response.status_code not in expect:
                error = self.api.errors(response, body if body is not None else response.text)
                error = VendorError(error.code, error.message, response.status_code, error.retry_after)
            elif self.api.envelope is not None:
                error = self.api.envelope(response, body)
            if error is None:
                return Answer(response, body)
            if self.api.expired(error) and self.auth.renewable and not renewed:
                renewed = True
                self._renew(used)
                continue
            throttled = self.api.throttled(error)
            if throttled or error.status in _UNAVAILABLE:
                wait = error.retry_after if error.retry_after is not None else retry_after(
                    response, self.api.wait_headers)
                if attempt < self.max_attempts:
                    self._tell_retry(f"{self.api.connector_type} answered {error.status} ({error.code})"
                                     + (f", asking to wait {wait:g} s" if wait is not None else ""), attempt)
                    self._wait(wait, attempt)
                    continue
                raise self._exhausted(error, attempt, throttled, wait)
            raise self._failure(error)

    @staticmethod
    def _stream(response: httpx.Response, into: BinaryIO, expect: tuple[int, ...]) -> Answer | None:
        """Write an expected answer's body into `into`; read any other answer's body (the error) and
        return None so the caller judges it."""
        try:
            if response.status_code not in expect:
                response.read()
                return None
            into.seek(0)
            into.truncate()
            for chunk in response.iter_bytes(1 << 16):
                into.write(chunk)
            into.flush()
            return Answer(response, None)
        finally:
            response.close()

    def report(self, kind: str, message: str, level: str = "info") -> None:
        """Tell the run's log `message` (nothing happens outside a run)."""
        if self.on_event is not None:
            self.on_event(kind, message, level)

    def json(self, request: Request, *, expect: tuple[int, ...] = (200, 201, 202, 204)) -> Any:
        """`call` and return the parsed JSON body (`ServerError` when the answer is not JSON)."""
        answer = self.call(request, expect=expect)
        if answer.body is None and answer.response.status_code != 204:
            raise ConnectorError("ServerError", f"{self.api.vendor} answered {request.method} {request.path} "
                                 "with a body that is not JSON")
        return answer.body

    def get(self, path: str, **params: Any) -> Any:
        """GET `path` with `params`; the parsed JSON body."""
        return self.json(Request("GET", path, dict(params)))

    def authorize(self, auth: Bearer) -> dict[str, Any]:
        """The credentials with an `oAuthRequest` authorization code exchanged for tokens (`Bearer.authorize`)."""
        return auth.authorize(self.credentials, self._http, self.base_url)

    def close(self) -> None:
        """Release the connection pool (only when this client created it)."""
        if self._own_http:
            self._http.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending --------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """A full URL for `path` (a full URL is kept, after the outbound check of the client)."""
        if path.startswith(("https://", "http://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def _build(self, request: Request, method: str) -> httpx.Request:
        headers = {"Accept": "application/json", **self.api.headers, **request.headers}
        content = request.content
        if request.json is not None:
            content = orjson.dumps(request.json)
            headers["Content-Type"] = "application/json"
        outgoing = self._http.build_request(
            method, self.url(request.path), params=request.params or None, content=content,
            data=dict(request.data) if request.data is not None else None, headers=headers,
        )
        if request.authenticated:
            self.auth.apply(self.credentials, outgoing)
        return outgoing

    def _tell_retry(self, what: str, attempt: int) -> None:
        if self.on_retry is not None:
            self.on_retry(f"{what}; retry {attempt} of {self.max_attempts - 1}")

    def _wait(self, wait: float | None, attempt: int) -> None:
        self.retries += 1
        if wait is None:
            delay = min(BACKOFF_CAP, self.backoff_base * (2 ** (attempt - 1)))
            # Jitter, so parallel runs against one limit do not retry in lockstep.
            wait = delay + random.uniform(0, delay / 10) if delay else 0.0
        self._sleep(min(wait, MAX_WAIT))

    def _renew(self, used: Mapping[str, Any] | None) -> None:
        """New credentials, unless another thread already replaced the ones `used`."""
        with self._lock:
            if used is not None and self.credentials is not used:
                return
            if used is None and not self.auth.needs_token(self.credentials):
                return
            renewed = self.auth.renew(self.credentials, self._http, self.base_url)
            self.credentials = renewed
        if self.profile.save_credentials is not None:
            try:
                self.profile.save_credentials(renewed)
            except Exception as exc:  # the run goes on with the token it holds
                log.warning("could not store the renewed %s token for profile %s: %s",
                            self.api.vendor, self.profile.name, type(exc).__name__)

    # -- errors ---------------------------------------------------------------------------

    def _failure(self, error: VendorError) -> ConnectorError:
        code = self.api.classify(error)
        text = f"{error.code}: {error.message}" if error.message and error.code not in error.message else (
            error.message or error.code)
        if code == "InvalidCredentials":
            text = f"{self.api.vendor} refused the credentials ({text}); update the connector profile"
        else:
            text = f"{self.api.vendor} answered HTTP {error.status}: {text}" if error.status else (
                f"{self.api.vendor} answered: {text}")
        return ConnectorError(code, text)

    def _exhausted(self, error: VendorError, attempts: int, throttled: bool, wait: float | None) -> ConnectorError:
        if throttled:
            return ConnectorError(
                "ThrottlingError",
                f"{self.api.vendor} kept refusing requests as over its rate limit ({error.code}: {error.message}) "
                f"after {attempts} attempts; wait for the limit to reset or run the flow less often", wait)
        return ConnectorError(
            "ServerError", f"{self.api.vendor} was unavailable (HTTP {error.status}: {error.message}) after "
            f"{attempts} attempts; run the flow again later", wait)

    def _unreachable(self, exc: httpx.TransportError, attempts: int) -> ConnectorError:
        if isinstance(exc, httpx.TimeoutException):
            return ConnectorError("ServerError", f"{self.api.vendor} at {self.base_url} timed out "
                                  f"({type(exc).__name__}) after {attempts} attempt(s)")
        if isinstance(exc.__cause__, ConnectorError):  # the outbound guard refused the address
            return exc.__cause__
        return outbound.unreachable(self.api.vendor, self.base_url)
