"""HTTP plumbing of the fake Zendesk: JSON answers, Zendesk-shaped errors, and the per-request guard.

Error bodies follow "Errors" in https://developer.zendesk.com/api-reference/introduction/requests/ :
`{"error": "...", "description": "..."}`, with `details` (field -> [{description, error}]) for
422 `RecordInvalid`. Authentication failures answer 401 `{"error": "Couldn't authenticate you"}`
(Basic) or the OAuth `invalid_token` body (Bearer); a token without the `write` scope gets 403 on
writes. Rate limiting (https://developer.zendesk.com/api-reference/introduction/rate-limits/):
every answer carries `X-Rate-Limit` / `X-Rate-Limit-Remaining`; over the limit the API answers
429, text/plain "Number of allowed API requests per minute exceeded", with `Retry-After` seconds.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from .account import Account

Handler = Callable[[Request], Awaitable[Response]]

FORBIDDEN = ("You do not have access to this page. Please contact the account owner of this help desk for "
             "further help.")
INVALID_TOKEN = "The access token provided is expired, revoked, malformed or invalid for other reasons."
RATE_LIMITED = "Number of allowed API requests per minute exceeded"


class ZendeskError(Exception):
    """An error answered with Zendesk's envelope."""

    def __init__(self, status: int, error: str, description: str | None = None, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.body: dict[str, Any] = {"error": error}
        if description is not None:
            self.body["description"] = description
        if details is not None:
            self.body["details"] = details
        self.headers = headers or {}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer (orjson: the benchmark's pages are large)."""
    return Response(orjson.dumps(body), status_code=status, media_type="application/json; charset=utf-8",
                    headers=headers)


def base_url(request: Request) -> str:
    """The account URL as the client reached it (links in answers point back here)."""
    return str(request.base_url).rstrip("/")


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or 400 as Zendesk answers unparsable bodies."""
    raw = await request.body()
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        raise ZendeskError(400, "InvalidJSON", "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ZendeskError(400, "InvalidJSON", "The request body must be a JSON object")
    return body


def guarded(account: Account, handler: Handler, write: bool = False) -> Handler:
    """`handler` behind Zendesk's front door: request log, forced 429s, authentication, rate headers."""

    async def endpoint(request: Request) -> Response:
        query = {k: request.query_params.getlist(k) for k in request.query_params}
        account.log.add(request.method, request.url.path, query)
        remaining = account.count_request()
        limits = {"X-Rate-Limit": str(account.RATE_LIMIT), "X-Rate-Limit-Remaining": str(remaining)}
        throttle = account.take_throttle(request.url.path)
        if throttle is not None:
            return Response(RATE_LIMITED, status_code=429, media_type="text/plain",
                            headers={"Retry-After": str(throttle.retry_after), "X-Rate-Limit": limits["X-Rate-Limit"],
                                     "X-Rate-Limit-Remaining": "0"})
        try:
            authenticate(account, request, write)
            response = await handler(request)
        except ZendeskError as exc:
            response = json_response(exc.body, exc.status, exc.headers)
        response.headers.update(limits)
        return response

    return endpoint


def authenticate(account: Account, request: Request, write: bool) -> None:
    """Accept a live OAuth bearer token (with `write` for writes) or Basic `{email}/token` API-token auth."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        token = account.auth.bearer(value.strip())
        if token is None:
            raise _invalid_token()
        if write and "write" not in token.scopes:
            raise ZendeskError(403, "Forbidden", FORBIDDEN)
        return
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            user, password = "", ""
        if account.auth.api_token_ok(user, password):
            return
    raise ZendeskError(401, "Couldn't authenticate you")


def _invalid_token() -> ZendeskError:
    err = ZendeskError(401, "invalid_token", headers={"WWW-Authenticate": 'Bearer realm="Web", error="invalid_token"'})
    err.body["error_description"] = INVALID_TOKEN
    return err
