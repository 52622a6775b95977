"""The Starlette application of the fake environment: Api-Token auth, scopes, throttling, request log, routes.

Every `/api/` request is logged, may be throttled (429 with `Retry-After` and Dynatrace's `X-RateLimit-*`
headers), must carry `Authorization: Api-Token <token>` (401 when missing, unknown or revoked) and a token
holding the endpoint's scope (403 otherwise). `/_fake/` routes are test controls for an out-of-process fake.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import inventory, listing, metrics
from .environment import Environment, Token
from .errors import JSON, DynatraceError

Handler = Callable[[Environment, Request], Any]


def _authenticate(env: Environment, request: Request, scope: str | None) -> Token:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if not header:
        raise DynatraceError(401, "Missing authorization parameter.")
    if scheme != "Api-Token" or not secret.strip():
        raise DynatraceError(401, "Unsupported authorization scheme; send 'Authorization: Api-Token <token>'.")
    token = env.tokens.get(secret.strip())
    if token is None or not token.enabled:
        raise DynatraceError(401, "Token Authentication failed")
    if token.expires_ms is not None and token.expires_ms <= env.now_ms():
        raise DynatraceError(401, "Token Authentication failed: the token has expired")
    if scope is not None and scope not in token.scopes:
        raise DynatraceError(403, f"Token is missing required scope. Use one of: {scope}")
    token.last_used_ms = env.now_ms()
    return token


def _api(env: Environment, scope: str | None, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        env.log.add(request.method, request.url.path, {k: request.query_params.getlist(k)
                                                       for k in request.query_params})
        try:
            rule = env.take_throttle(request.url.path)
            if rule is not None:
                retry_after = rule.retry_after if rule.retry_after is not None else 1  # throttle_next always sets it
                reset_us = (env.now_ms() + retry_after * 1000) * 1000
                raise DynatraceError(429, "Too many requests: the environment's request queue is full.", headers={
                    "Retry-After": str(retry_after), "X-RateLimit-Limit": "50",
                    "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset_us)})
            _authenticate(env, request, scope)
            body = handler(env, request)
            if hasattr(body, "__await__"):
                body = await body
            if isinstance(body, Response):
                return body
            return JSONResponse(body, media_type=JSON)
        except DynatraceError as exc:
            return exc.response()
    return endpoint


def _query(request: Request) -> dict[str, str]:
    return dict(request.query_params)


async def _lookup_body(request: Request) -> str:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        raise DynatraceError(400, "Could not map JSON at '' near line 1 column 1") from None
    if not isinstance(body, dict) or not isinstance(body.get("token"), str):
        raise DynatraceError(400, "Constraints violated.", [
            {"path": "token", "message": "must not be null", "parameterLocation": "PAYLOAD_BODY", "location": None}])
    return body["token"]


async def _lookup_v2(env: Environment, request: Request) -> Any:
    token = env.tokens.get(await _lookup_body(request))
    if token is None:
        raise DynatraceError(404, "The requested token does not exist.")
    return env.token_json(token)


async def _lookup_v1(env: Environment, request: Request) -> Any:
    token = env.tokens.get(await _lookup_body(request))
    if token is None:
        raise DynatraceError(404, "The requested token does not exist.")
    return {"id": token.token_id, "name": token.name, "userId": token.owner, "revoked": not token.enabled,
            "created": token.created_ms, "expires": token.expires_ms, "lastUse": token.last_used_ms,
            "scopes": list(token.scopes)}


def _admin_routes(env: Environment) -> list[Route]:
    async def throttle(request: Request) -> Response:
        q = request.query_params
        env.throttle_next(int(q.get("count", 1)), int(q.get("retryAfter", 1)), int(q.get("after", 0)))
        return JSONResponse({"ok": True})

    async def problems(request: Request) -> Response:
        added = env.add_problems(int(request.query_params.get("count", 1)))
        return JSONResponse({"problemIds": [p["problemId"] for p in added]})

    return [Route("/_fake/throttle", throttle, methods=["POST"]), Route("/_fake/problems", problems, methods=["POST"])]


def build_app(env: Environment) -> Starlette:
    """An ASGI app serving `env`."""
    routes = [
        Route("/api/v2/problems", _api(env, "problems.read", lambda e, r: listing.list_problems(e, _query(r)))),
        Route("/api/v2/events", _api(env, "events.read", lambda e, r: listing.list_events(e, _query(r)))),
        Route("/api/v2/metrics", _api(env, "metrics.read", lambda e, r: metrics.list_metrics(e, _query(r)))),
        Route("/api/v2/metrics/query", _api(env, "metrics.read", lambda e, r: metrics.query_metrics(e, _query(r)))),
        Route("/api/v2/metrics/{key:path}", _api(env, "metrics.read",
                                                  lambda e, r: metrics.get_metric(e, r.path_params["key"]))),
        Route("/api/v2/entities", _api(env, "entities.read", lambda e, r: inventory.list_entities(e, _query(r)))),
        Route("/api/v2/entityTypes", _api(env, "entities.read",
                                          lambda e, r: inventory.list_entity_types(e, _query(r)))),
        Route("/api/v2/entityTypes/{type}", _api(env, "entities.read",
                                                 lambda e, r: inventory.get_entity_type(e, r.path_params["type"]))),
        # Looking a token up needs no particular scope ("any Api-Token scope").
        Route("/api/v2/apiTokens/lookup", _api(env, None, _lookup_v2), methods=["POST"]),
        Route("/api/v1/tokens/lookup", _api(env, None, _lookup_v1), methods=["POST"]),
        *_admin_routes(env),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return DynatraceError(404, f"The requested resource {request.url.path} does not exist.").response()

    async def bad_method(request: Request, exc: Exception) -> Response:
        return DynatraceError(405, f"HTTP method {request.method} is not allowed here.").response()

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: bad_method})
    app.state.environment = env
    return app
