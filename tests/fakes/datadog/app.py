"""The Starlette application of the fake Datadog API: routes, auth, rate limits and error bodies.

Paths, parameters and answers follow https://docs.datadoghq.com/api/latest/:
- `GET /api/v1/validate` checks only DD-API-KEY: `{"valid": true}`, or 403 `{"errors": ["Forbidden"]}`
  (https://docs.datadoghq.com/api/latest/authentication/).
- every other route needs DD-API-KEY and DD-APPLICATION-KEY; a bad or missing key is 403 Forbidden.
- errors are `{"errors": ["..."]}` with 400 (bad request), 403, 404 and 429.
- rate-limited calls carry X-RateLimit-Limit / -Period / -Remaining / -Reset / -Name; a limited call is a
  429 whose X-RateLimit-Reset says how many seconds to wait (https://docs.datadoghq.com/api/latest/rate-limits/).
  Datadog documents no Retry-After header, so the fake sends none.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.common.https import request_body

from . import events, logs, metrics_routes
from .errors import DatadogError
from .state import DatadogState

Handler = Callable[[Request, DatadogState, Any], Awaitable[Any]]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer (orjson: the benchmarks push hundreds of thousands of logs through the fake)."""
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """Datadog's error body: `{"errors": [message]}`."""
    return json_response({"errors": [message]}, status, headers)


def _endpoint(state: DatadogState, handler: Handler, limit: str, need_app_key: bool = True
              ) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        body = await request_body(request)
        state.requests.add(request.method, request.url.path, _query(request), body)
        if not state.authorised(request.headers.get("dd-api-key"), request.headers.get("dd-application-key"),
                                need_app_key):
            return error_response(403, "Forbidden")
        bucket = state.limits[limit]
        reset = state.take_throttle()
        if reset is not None:
            return error_response(429, "Too many requests",
                                  bucket.headers(time.time(), reset=reset, exhausted=True))
        headers = bucket.headers(time.time())
        if isinstance(body, str):
            return error_response(400, "Invalid JSON body", headers)
        try:
            answer = await handler(request, state, body)
        except DatadogError as exc:
            return error_response(exc.status, exc.message, headers)
        return json_response(answer, headers=headers)

    return endpoint


def _query(request: Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        out.setdefault(key, []).append(value)
    return out


async def _validate(request: Request, state: DatadogState, body: Any) -> Any:
    return {"valid": True}


def build_app(state: DatadogState) -> Starlette:
    """An ASGI app serving `state`."""

    async def not_found(request: Request, exc: Exception) -> Response:
        return error_response(404, "Not found")

    async def bad_method(request: Request, exc: Exception) -> Response:
        return error_response(405, "Method Not Allowed")

    routes = [
        Route("/api/v1/validate", _endpoint(state, _validate, "validate", need_app_key=False), methods=["GET"]),
        Route("/api/v2/logs/events/search", _endpoint(state, logs.search_post, "logs_list"), methods=["POST"]),
        Route("/api/v2/logs/events", _endpoint(state, logs.search_get, "logs_list"), methods=["GET"]),
        Route("/api/v1/events", _endpoint(state, events.list_v1, "events_list"), methods=["GET"]),
        Route("/api/v2/events", _endpoint(state, events.list_v2, "events_list"), methods=["GET"]),
        Route("/api/v1/query", _endpoint(state, metrics_routes.query, "metrics_query"), methods=["GET"]),
        Route("/api/v1/metrics", _endpoint(state, metrics_routes.active, "metrics_query"), methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: bad_method})
    app.state.datadog = state
    return app
