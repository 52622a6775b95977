"""AWS Signature Version 4 verification as pure ASGI middleware (protocol layer).

`SigV4Middleware` buffers the request body, checks the signature in the `Authorization` header
(or a presigned query string) against the secret `resolve_key(access_key_id)` returns, and puts
one `RequestContext` in `scope[CONTEXT_KEY]` before calling the app. The canonical request and
string to sign come from botocore's own `SigV4Auth`, fed the raw path as received and the query
pairs for botocore to re-encode, so Sluice canonicalises exactly as the SDK that signed. The pairs
are decoded by `query.parse_query`, the request parser's own reading, so the query that is signed
is the query the app acts on. Only the final HMAC (with a cached signing key) is computed here.
The credential scope's region must look like a region (or be a configured one). Every failure
is an AWS REST-JSON error, and every response, from here or from the app, carries
`x-amzn-RequestId`.
See https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4-signing-request.html.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from sluice.protocol.context import CONTEXT_KEY, RequestContext
from sluice.protocol.errors import ProtocolError, unknown_operation
from sluice.protocol.query import parse_query
from sluice.protocol.serializer import request_id_header, serialize_error

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
KeyResolver = Callable[[str], tuple[str, str] | None]

log = logging.getLogger(__name__)

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "appflow"
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
_MAX_PRESIGNED_EXPIRES = 7 * 24 * 3600
# The region becomes part of every ARN the caller's resources get, so it must look like one:
# `us-east-1:999999999999` would otherwise mint ARNs naming another account.
REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")

_INVALID_TOKEN = "The security token included in the request is invalid."
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method."
)


def _unrecognized() -> ProtocolError:
    return ProtocolError("UnrecognizedClientException", _INVALID_TOKEN, 403)


def _invalid(message: str) -> ProtocolError:
    return ProtocolError("InvalidSignatureException", message, 403)


def _incomplete(message: str) -> ProtocolError:
    return ProtocolError("IncompleteSignatureException", message, 400)


class _ReceivedRequestSigner(SigV4Auth):
    """botocore's SigV4 canonicalisation over exactly the headers the client said it signed.

    botocore, as a client, picks the headers itself (and adds `host`); a server must use the
    client's `SignedHeaders` list, so the request is built with only those and used as is. The
    payload hash is the body's, computed once by the middleware.
    """

    def __init__(self, secret: str, region: str, payload_hash: str, service: str = SERVICE) -> None:
        super().__init__(Credentials("", secret), service, region)
        self._payload_hash = payload_hash

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        return request.headers

    def payload(self, request: AWSRequest) -> str:
        return self._payload_hash


@lru_cache(maxsize=1024)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


@dataclass(frozen=True, slots=True)
class _Auth:
    """The signature parts of one request, from its header or its presigned query."""

    credential: str
    signed_headers: str
    signature: str
    query: list[tuple[str, str]]  # decoded pairs, without X-Amz-Signature
    timestamp: str | None = None  # X-Amz-Date of a presigned query
    expires: int | None = None  # X-Amz-Expires of a presigned query


def _parse_auth(headers: dict[str, str], raw_query: bytes) -> _Auth:
    # The same reading of the query as the request parser's: what is signed is what is meant.
    query = parse_query(raw_query)
    header = headers.get("authorization")
    if header is None:
        q = dict(query)
        if "X-Amz-Signature" not in q:
            raise _unrecognized()
        if q.get("X-Amz-Algorithm") != ALGORITHM:
            raise _incomplete(f"Unsupported AWS 'algorithm': '{q.get('X-Amz-Algorithm')}'")
        try:
            expires = int(q.get("X-Amz-Expires", "900"))
        except ValueError:
            expires = -1
        if not 0 <= expires <= _MAX_PRESIGNED_EXPIRES:
            raise _incomplete(f"X-Amz-Expires must be an integer from 0 to {_MAX_PRESIGNED_EXPIRES}.")
        return _Auth(
            q.get("X-Amz-Credential", ""),
            q.get("X-Amz-SignedHeaders", ""),
            q["X-Amz-Signature"],
            [(k, v) for k, v in query if k != "X-Amz-Signature"],
            q.get("X-Amz-Date"),
            expires,
        )
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{algorithm}'")
    fields: dict[str, str] = {}
    for item in rest.split(","):
        name, _, value = item.strip().partition("=")
        fields[name] = value
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if not fields.get(n)]
    if missing:
        raise _incomplete(" ".join(f"Authorization header requires '{n}' parameter." for n in missing))
    return _Auth(fields["Credential"], fields["SignedHeaders"], fields["Signature"], query)


@lru_cache(maxsize=256)
def _parse_stamp(stamp: str) -> dt.datetime:
    """`20261123T101010Z` as an aware UTC datetime (cached: strptime is slow, stamps repeat)."""
    return dt.datetime.strptime(stamp, SIGV4_TIMESTAMP).replace(tzinfo=dt.UTC)


def _request_time(auth: _Auth, headers: dict[str, str]) -> str:
    """The signing timestamp in `20261123T101010Z` form, from X-Amz-Date or Date."""
    stamp = auth.timestamp or headers.get("x-amz-date")
    if stamp is not None:
        try:
            _parse_stamp(stamp)
        except ValueError:
            raise _incomplete(f"Date must be in ISO-8601 'basic format'. Got '{stamp}'.") from None
        return stamp
    date = headers.get("date")
    if date is None:
        raise _incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    try:
        parsed = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        raise _incomplete(f"Date header is not a valid HTTP date: '{date}'.") from None
    if parsed.tzinfo is None:  # "-0000", as botocore's formatdate writes, means UTC
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).strftime(SIGV4_TIMESTAMP)


def _check_time(stamp: str, now: float, skew: int, expires: int | None) -> None:
    signed = _parse_stamp(stamp)
    current = dt.datetime.fromtimestamp(now, dt.UTC)
    minutes = f"{skew // 60} min."

    def fmt(t: dt.datetime) -> str:
        return t.strftime(SIGV4_TIMESTAMP)

    earliest = current - dt.timedelta(seconds=skew)
    latest = current + dt.timedelta(seconds=skew)
    if expires is not None:  # presigned: valid from its date for `expires` seconds
        if signed + dt.timedelta(seconds=expires) < current:
            raise _invalid(f"Signature expired: {stamp} is now earlier than {fmt(current)} (X-Amz-Expires).")
    elif signed < earliest:
        raise _invalid(
            f"Signature expired: {stamp} is now earlier than {fmt(earliest)} ({fmt(current)} - {minutes})"
        )
    if signed > latest:
        raise _invalid(
            f"Signature not yet current: {stamp} is still later than {fmt(latest)} "
            f"({fmt(current)} + {minutes})"
        )


class SigV4Middleware:
    """Verify SigV4 on every HTTP request and attach the caller's `RequestContext`.

    `resolve_key(access_key_id)` returns `(secret_access_key, account_id)`, or None for an
    unknown key. Exactly the paths in `exempt_paths` (e.g. "/health", not "/healthz" or
    "/health/x") skip authentication and get no context. Bodies larger than `max_body_bytes` are
    refused with 413. The credential scope's region must be one of `regions` when given, else
    shaped like an AWS region (`REGION_PATTERN`).
    """

    def __init__(
        self,
        app: ASGIApp,
        resolve_key: KeyResolver,
        clock_skew_seconds: int = 900,
        *,
        exempt_paths: Iterable[str] = (),
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        clock: Callable[[], float] = time.time,
        service: str = SERVICE,
        regions: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.regions = frozenset(regions)
        self.service = service
        self.resolve_key = resolve_key
        self.clock_skew_seconds = clock_skew_seconds
        self.exempt_paths = frozenset(exempt_paths)
        self.max_body_bytes = max_body_bytes
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        send = _with_request_id(send, request_id)
        try:
            body = await _read_body(receive, self.max_body_bytes)
            if body is None:
                return  # the client went away
            context = self._authenticate(scope, body, request_id)
        except ProtocolError as exc:
            log.info("request %s refused: %s %s", request_id, exc.code, exc.message)
            await send_response(send, serialize_error(exc.code, exc.message, exc.status, request_id))
            return
        except Exception:  # e.g. resolve_key failing: logged, never shown to the caller
            log.exception("request %s: authentication failed unexpectedly", request_id)
            error = serialize_error("InternalServerException", "Internal server error", 500, request_id)
            await send_response(send, error)
            return
        await self.app({**scope, CONTEXT_KEY: context}, _replay(body, receive), send)

    def _known_region(self, region: str) -> bool:
        if self.regions:
            return region in self.regions
        return REGION_PATTERN.fullmatch(region) is not None

    def _authenticate(self, scope: Scope, body: bytes, request_id: str) -> RequestContext:
        if any(segment in (".", "..") for segment in scope["path"].split("/")):
            # The signature covers the path with dot segments removed (RFC 3986, as botocore signs
            # it) while the router would act on it as written: refuse rather than let them differ.
            raise unknown_operation(scope["method"], scope["path"])
        pairs = [(n.decode("latin-1").lower(), v.decode("latin-1")) for n, v in scope["headers"]]
        headers = dict(pairs)
        auth = _parse_auth(headers, scope.get("query_string", b""))

        access_key, _, rest = auth.credential.partition("/")
        scope_parts = rest.split("/")
        if len(scope_parts) != 4 or scope_parts[3] != "aws4_request":
            raise _incomplete(f"Credential should be scoped to a valid region, not '{auth.credential}'.")
        cred_date, region, service, _ = scope_parts
        if not self._known_region(region):
            raise _invalid("Credential should be scoped to a valid region.")
        found = self.resolve_key(access_key)
        if found is None:
            raise _unrecognized()
        secret, account_id = found
        if service != self.service:
            raise _invalid(f"Credential should be scoped to correct service: '{self.service}'.")

        stamp = _request_time(auth, headers)
        if stamp[:8] != cred_date:
            raise _invalid(
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
                f"HTTP: '{cred_date}' != '{stamp[:8]}', from '{stamp}'."
            )
        _check_time(stamp, self.clock(), self.clock_skew_seconds, auth.expires)

        body_hash = hashlib.sha256(body).hexdigest()
        declared_hash = headers.get("x-amz-content-sha256")
        if declared_hash is not None and declared_hash != body_hash:
            raise _invalid("The provided 'x-amz-content-sha256' header does not match what was computed.")

        expected = _signature(scope, pairs, body_hash, auth, stamp, region, secret, self.service)
        if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
            raise _invalid(_MISMATCH)
        return RequestContext(
            request_id=request_id,
            account_id=account_id,
            region=region,
            access_key_id=access_key,
            caller_arn=f"arn:aws:iam::{account_id}:root",
        )


def _signature(
    scope: Scope,
    headers: list[tuple[str, str]],
    body_hash: str,
    auth: _Auth,
    stamp: str,
    region: str,
    secret: str,
    service: str = SERVICE,
) -> str:
    """The signature the client should have sent, from botocore's string to sign."""
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    path = raw_path.split(b"?", 1)[0].decode("latin-1")
    wanted = set(auth.signed_headers.split(";"))
    signed = HTTPHeaders()
    for name, value in headers:
        if name in wanted:
            signed[name] = value  # repeated headers stay repeated; botocore joins them with ','
    request = AWSRequest(method=scope["method"], url=f"http://sluice{path}")
    request.headers = signed
    # botocore re-encodes the decoded query pairs into the canonical form (RFC 3986, sorted).
    request.params = auth.query
    request.context["timestamp"] = stamp
    signer = _ReceivedRequestSigner(secret, region, body_hash, service)
    string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
    key = _signing_key(secret, stamp[:8], region, service)
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ProtocolError("RequestEntityTooLargeException", f"Request body exceeds {limit} bytes", 413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the buffered body once, then defers to the server."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _with_request_id(send: Send, request_id: str) -> Send:
    """A `send` that adds `x-amzn-RequestId` to a response that does not carry one yet."""
    header = request_id_header(request_id)

    async def send_with_id(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            if not any(name.lower() == header[0] for name, _ in headers):
                headers.append(header)
                message = {**message, "headers": headers}
        await send(message)

    return send_with_id


async def send_response(send: Send, response: tuple[int, list[tuple[bytes, bytes]], bytes]) -> None:
    """Send a `(status, headers, body)` triple from the serializer as one ASGI response."""
    status, headers, body = response
    headers = [*headers, (b"content-length", str(len(body)).encode("latin-1"))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
