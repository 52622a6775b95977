"""The Starlette application of the fake: token endpoint, Admin API accountSummaries, Data API metadata and
runReport."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.google_analytics.app import token as google_token

from .data import metadata
from .enums import metric_types_as_numbers, wants_numbers
from .errors import GoogleError
from .reports import run_realtime_report, run_report
from .state import Backend

Handler = Callable[[Backend, Request], Awaitable[Response]]
QUOTA_MESSAGE = ("Exhausted property tokens per hour. This property has used its hourly token quota; "
                 "try again later (https://developers.google.com/analytics/devguides/reporting/data/v1/quotas).")
DENIED = ("User does not have sufficient permissions for this property. To learn more about Property ID, see "
          "https://developers.google.com/analytics/devguides/reporting/data/v1/property-id.")


def _api(backend: Backend, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        logged: dict[str, list[str]] = {k: request.query_params.getlist(k) for k in request.query_params}
        if request.method == "POST":
            logged["body"] = [(await request.body()).decode("utf-8", "replace")]  # what was pushed down
        backend.log.add(request.method, request.url.path, logged)
        try:
            scheme, _, presented = request.headers.get("authorization", "").partition(" ")
            if scheme != "Bearer" or not backend.valid(presented):
                raise GoogleError(401, "Request had invalid authentication credentials. Expected OAuth 2 access "
                                  "token, login cookie or other valid authentication credential. See "
                                  "https://developers.google.com/identity/sign-in/web/devconsole-project.")
            if backend.throttles.take(request.url.path) is not None:
                raise GoogleError(429, QUOTA_MESSAGE)
            return await handler(backend, request)
        except GoogleError as exc:
            return exc.response()
    return endpoint


async def account_summaries(backend: Backend, request: Request) -> Response:
    """`GET /v1beta/accountSummaries`: pageSize (default 50, at most 200) and pageToken (an opaque offset)."""
    try:
        size = int(request.query_params.get("pageSize") or 50)
        start = int(request.query_params.get("pageToken") or 0)
    except ValueError:
        raise GoogleError(400, "Invalid pageSize or pageToken.") from None
    size = min(max(size, 1), 200)
    items = [{"name": f"accountSummaries/{a['id']}", "account": f"accounts/{a['id']}", "displayName": a["name"],
              **({"propertySummaries": [{"property": f"properties/{p}", "displayName": n,
                                         "propertyType": "PROPERTY_TYPE_ORDINARY", "parent": f"accounts/{a['id']}"}
                                        for p, n in a["properties"]]} if a["properties"] else {})}
             for a in backend.accounts]
    answer: dict[str, Any] = {"accountSummaries": items[start:start + size]}
    if start + size < len(items):
        answer["nextPageToken"] = str(start + size)
    return JSONResponse(answer)


async def properties(backend: Backend, request: Request) -> Response:
    """`GET /v1beta/properties/{id}/metadata`, `POST /v1beta/properties/{id}:runReport` and
    `POST /v1beta/properties/{id}:runRealtimeReport`."""
    tail = request.path_params["tail"]
    found = re.fullmatch(r"(\d+)(/metadata|:runReport|:runRealtimeReport)", tail)
    if found is None:
        raise GoogleError(404, f"Method not found: /v1beta/properties/{tail}")
    property_id, method = found.groups()
    if method == "/metadata" and request.method == "GET":
        if property_id != "0" and not backend.readable(property_id):
            raise GoogleError(403, DENIED)
        return _answer(request, metadata(property_id, include_custom=property_id != "0"))
    if method == "/metadata" or request.method != "POST":
        raise GoogleError(404, f"Method not found: {request.method} /v1beta/properties/{tail}")
    if not backend.readable(property_id):
        raise GoogleError(403, DENIED)
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise GoogleError(400, "Invalid JSON payload received.") from None
    if not isinstance(body, dict):
        raise GoogleError(400, "Invalid JSON payload received.")
    run = run_report if method == ":runReport" else run_realtime_report
    answer = run(backend.events(property_id), body, backend.clock())
    if body.get("returnPropertyQuota"):
        answer["propertyQuota"] = backend.quota(1 + int(answer.get("rowCount") or 0) // 1000)
        answer["kind"] = answer.pop("kind")  # keep `kind` last, as Google's answers have it
    return _answer(request, answer)


def _answer(request: Request, answer: dict[str, Any]) -> Response:
    if wants_numbers(request.query_params.get("$alt")):
        answer = metric_types_as_numbers(answer)
    return JSONResponse(answer)


def build_app(backend: Backend) -> Starlette:
    """The fake's routes."""

    async def token(request: Request) -> Response:
        return await google_token(backend, request)  # type: ignore[arg-type]

    return Starlette(routes=[
        Route("/token", token, methods=["POST"]),
        Route("/v1beta/accountSummaries", _api(backend, account_summaries), methods=["GET"]),
        Route("/v1beta/properties/{tail:path}", _api(backend, properties), methods=["GET", "POST"]),
    ])
