"""The Starlette application of the fake Infor Nexus REST API.

- `GET /rest/3.1/<Type>/query?oql=...&limit=...&offset=...&dataKey=...` answers
  `{"result": [...], "resultInfo": {"count", "hasMore", "firstRowNumber", "estimatedTotalCount"}}`
  (objects in creation order; `limit` at most 1000, default 100);
- every request must be HMAC-signed (hmac_check.py): otherwise 401;
- errors are `{"message": "...", "status": <code>}`; unknown types 404, unreadable OQL 400;
- a throttled call is 429 with `Retry-After` (seconds) - Infor Nexus does not publish its rate-limit
  answer, so the fake gives the standard HTTP one.
"""

from __future__ import annotations

import datetime as dt
from itertools import islice
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .hmac_check import SignatureError, verify
from .oql import OqlError, compile_oql
from .records import MAKERS
from .state import MAX_LIMIT, InforNexusState


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"message": message, "status": status}, status, headers)


def build_app(state: InforNexusState) -> Starlette:
    """The fake's routes over `state`."""

    async def query(request: Request) -> Response:
        body = await request.body()
        state.requests.add(request.method, request.url.path,
                           {k: request.query_params.getlist(k) for k in request.query_params})
        try:
            verify(state.keys, dict(request.headers), request.method, request.scope.get("raw_path") or b"",
                   request.scope.get("query_string", b""), body, dt.datetime.now(dt.UTC))
        except SignatureError as exc:
            return error(401, f"Authentication failed: {exc}")
        if state.throttles.take(request.url.path) is not None:
            return error(429, "Rate limit exceeded", {"Retry-After": str(state.retry_after)})
        kind = request.path_params["kind"]
        if kind not in MAKERS:
            return error(404, f"Unknown object type {kind}")
        try:
            limit = int(request.query_params.get("limit", "100"))
            offset = int(request.query_params.get("offset", "0"))
            if limit < 1 or limit > MAX_LIMIT or offset < 0:
                raise ValueError
        except ValueError:
            return error(400, f"limit must be 1 to {MAX_LIMIT} and offset 0 or more")
        try:
            keep = compile_oql(request.query_params.get("oql", ""))
        except OqlError as exc:
            return error(400, f"Invalid OQL: {exc}")
        if request.query_params.get("oql", "").strip():
            matching = (r for r in state.scan(kind) if keep(r))
            window = list(islice(matching, offset, offset + limit + 1))
            page, more = window[:limit], len(window) > limit
        else:  # no condition: the page is an index range (big seeded networks stay cheap to page)
            page = [state.record(kind, i) for i in range(offset, min(state.size, offset + limit))]
            more = offset + limit < state.size
        return json_response({"result": page, "resultInfo": {
            "count": len(page), "hasMore": more, "firstRowNumber": offset + 1,
            "estimatedTotalCount": offset + len(page) + (1 if more else 0)}})

    return Starlette(routes=[Route("/rest/3.1/{kind}/query", query, methods=["GET"])])
