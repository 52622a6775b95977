"""The Starlette application of the fake Deep Security API: routes, auth, rate limits and error bodies.

Follows the Deep Security API reference (https://automation.deepsecurity.trendmicro.com/) under `/api`:
- every call carries `api-secret-key` (an API key's secret) and `api-version: v1`; a missing or
  unknown key is 401, a missing or other version 400; errors are `{"message": "..."}`.
- `POST /api/<objects>/search` takes a search filter (search.py) and answers `{"<objects>": [...]}`;
  computer searches take `expand` (repeated; default `all`, `none` for basic information only) naming
  the extensions to include;
  `GET /api/apikeys/current` describes the calling key.
- over the rate limit the manager answers 429 with the message "Too many API requests" and no
  Retry-After (https://automation.trendmicro.com/deep-security/Guides/rate-limits).
Trend Micro does not publish its 401 message text; the fake answers "Invalid API Key".
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.common.https import request_body

from .records import OBJECTS
from .search import SearchError
from .state import TrendMicroState

# Computer extensions returned only when `expand` names them (or is `all`), and the valid options
# (the API reference's `Expand` values the fake's computers can carry).
EXPANDABLE = {"computerStatus", "antiMalware", "ec2VirtualMachineSummary"}
EXPAND_OPTIONS = {"none", "all", *EXPANDABLE, "tasks", "securityUpdates", "computerSettings", "firewall",
                  "intrusionPrevention", "interfaces", "allSecurityModules", "allVirtualMachineSummaries"}


def json_response(body: Any, status: int = 200) -> Response:
    """A JSON answer."""
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def error(status: int, message: str) -> Response:
    """Deep Security's error body."""
    return json_response({"message": message}, status)


async def _guard(request: Request, state: TrendMicroState) -> tuple[Response | None, Any]:
    body = await request_body(request)
    state.requests.add(request.method, request.url.path, {k: request.query_params.getlist(k)
                                                         for k in request.query_params}, body)
    if request.headers.get("api-secret-key") not in state.keys:
        return error(401, "Invalid API Key"), body
    if request.headers.get("api-version") != "v1":
        return error(400, "Unsupported or missing api-version header; use v1"), body
    if state.throttles.take(request.url.path) is not None:
        return error(429, "Too many API requests"), body
    return None, body


def build_app(state: TrendMicroState) -> Starlette:
    """The fake's routes over `state`."""

    async def search(request: Request) -> Response:
        refused, body = await _guard(request, state)
        if refused is not None:
            return refused
        kind = request.path_params["objects"]
        if kind not in OBJECTS:
            return error(404, f"Unknown resource: {kind}")
        if body is not None and not isinstance(body, dict):
            return error(400, "The request body is not a search filter.")
        try:
            found = state.search(kind, body or {})
        except SearchError as exc:
            return error(400, str(exc))
        if kind == "computers":
            expand = request.query_params.getlist("expand") or ["all"]
            unknown = [e for e in expand if e not in EXPAND_OPTIONS]
            if unknown:
                return error(400, f"Invalid expand option: {unknown[0]}")
            if "all" not in expand:
                found = [{k: v for k, v in c.items() if k not in EXPANDABLE or k in expand} for c in found]
        return json_response({OBJECTS[kind][0]: found})

    async def current_key(request: Request) -> Response:
        refused, _ = await _guard(request, state)
        if refused is not None:
            return refused
        return json_response({"ID": 1, "keyName": "sluice", "active": True, "roleID": 2, "locale": "en-US",
                              "timeZone": "UTC", "serviceAccount": False, "secretKey": None})

    return Starlette(routes=[
        Route("/api/apikeys/current", current_key, methods=["GET"]),
        Route("/api/{objects}/search", search, methods=["POST"]),
    ])
