"""The Starlette app of the fake: `/api/<method>` over GET (query string) or POST (form or JSON body).

Slack's Web API takes every method at `https://slack.com/api/<method>` (or the workspace's own
`https://<team>.slack.com/api/<method>`), arguments in the query string or a form-encoded POST body
(JSON bodies too, with the token only in the `Authorization` header), and answers
`{"ok": true, ...}` or `{"ok": false, "error": ...}` (https://docs.slack.dev/apis/web-api/). An unknown
method is HTTP 404 `unknown_method`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.common.https import RequestLog

from .errors import SlackError
from .state import SlackState


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, headers=headers,
                    media_type="application/json; charset=utf-8")


async def _arguments(request: Request) -> tuple[dict[str, str], str | None]:
    """The call's arguments (query string, then body) and the token it presents (header, or form field)."""
    args = dict(request.query_params)
    args.pop("token", None)  # a query-string token is refused for apps created after 2021-02-24
    body_token = None
    if request.method == "POST":
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/json":
            raw = await request.body()
            try:
                data = json.loads(raw) if raw else {}
            except ValueError:
                raise SlackError("invalid_json") from None
            if not isinstance(data, dict):
                raise SlackError("invalid_json")
            data.pop("token", None)  # JSON bodies carry the token in the header only
            args.update({k: v if isinstance(v, str) else json.dumps(v) if isinstance(v, (dict, list))
                         else str(v).lower() if isinstance(v, bool) else str(v) for k, v in data.items()})
        elif kind == "application/x-www-form-urlencoded":
            fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
            body_token = fields.pop("token", None)
            args.update(fields)
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else body_token
    return args, token


def build_app(state: SlackState, log: RequestLog) -> Starlette:
    """An ASGI app serving `state`; every call is recorded in `log` (arguments, never the token)."""

    async def call(request: Request) -> Response:
        method = request.path_params["method"]
        try:
            args, token = await _arguments(request)
            log.add(request.method, request.url.path, {k: [v] for k, v in args.items()})
            state.limits.check(method)
            if method == "oauth.v2.access":
                header = request.headers.get("authorization", "")
                basic = header[6:].strip() if header[:6].lower() == "basic " else None
                return _json({"ok": True, **state.methods.oauth_v2_access(args, basic)})
            handler = state.methods.table.get(method)
            if handler is None:
                return _json({"ok": False, "error": "unknown_method", "req_method": method}, status=404)
            presented = state.auth.check(token)
            body = handler(args, presented)
            return _json({"ok": True, **body}, headers={"X-OAuth-Scopes": ",".join(presented.scopes)})
        except SlackError as error:
            return _json(error.body(), status=error.status, headers=error.headers)

    return Starlette(routes=[Route("/api/{method}", call, methods=["GET", "POST"])])
