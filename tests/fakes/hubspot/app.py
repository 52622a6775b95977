"""The Starlette application of the fake HubSpot account (wire facts and doc URLs: state.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.common.https import request_body

from .schema import DEFAULTS, SCHEMAS, definitions, object_type
from .search import SearchError, run_search
from .state import HubSpotState
from .writes import batch

LIST_LIMIT = 100
OWNERS = [
    {"id": "41629779", "email": "zoe.muller@example.com", "firstName": "Zoë", "lastName": "Müller",
     "userId": 9_586_504, "createdAt": "2023-02-01T10:00:00.000Z", "updatedAt": "2024-05-01T08:30:00.000Z",
     "archived": False, "teams": [{"id": "368389", "name": "Sales — EMEA", "primary": True}]},
    {"id": "60158084", "email": "jose.garcia@example.com", "firstName": "José", "lastName": "García",
     "userId": 9_586_505, "createdAt": "2023-03-11T12:00:00.000Z", "updatedAt": "2024-06-02T09:00:00.000Z",
     "archived": False, "teams": []},
    {"id": "72850311", "email": "mei@example.com", "firstName": "美咲", "lastName": None,
     "userId": None, "createdAt": "2023-04-21T12:00:00.000Z", "updatedAt": "2023-04-21T12:00:00.000Z",
     "archived": False, "teams": [{"id": "368390", "name": "Support", "primary": False}]},
]
LABELS = {("tickets", "contacts"): [{"category": "HUBSPOT_DEFINED", "typeId": 16, "label": None},
                                    {"category": "USER_DEFINED", "typeId": 37, "label": "Requester — primary"}],
          ("contacts", "companies"): [{"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None},
                                      {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"}]}


def error(state: HubSpotState, status: int, category: str, message: str, **extra: Any) -> JSONResponse:
    """HubSpot's error body."""
    return JSONResponse({"status": "error", "message": message, "correlationId": state.correlation(),
                         "category": category, **extra}, status)


def build_app(state: HubSpotState) -> Starlette:
    """An ASGI app serving `state`."""

    def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            state.log.add(request.method, request.url.path, parse_qs(request.url.query))
            rule = state.throttles.take(request.url.path)
            if rule is not None:
                headers = {"X-HubSpot-RateLimit-Interval-Milliseconds": "10000", "X-HubSpot-RateLimit-Max": "100",
                           "X-HubSpot-RateLimit-Remaining": "0"}
                if rule.retry_after is not None:
                    headers["Retry-After"] = str(rule.retry_after)
                return JSONResponse({"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                                     "errorType": "RATE_LIMIT", "correlationId": state.correlation(),
                                     "policyName": "TEN_SECONDLY_ROLLING", "groupName": "publicapi:oauth:sluice"},
                                    429, headers=headers)
            refused = state.auth.check(request.headers.get("Authorization"))
            if refused == "EXPIRED_AUTHENTICATION":
                return error(state, 401, refused, "The OAuth token used to make this call expired 0 hour(s) ago.")
            if refused:
                return error(state, 401, refused, "Authentication credentials not found. This API supports OAuth 2.0 "
                             "authentication and you can find more details at https://developers.hubspot.com/docs/"
                             "methods/auth/oauth-overview")
            return await handler(request)

        return endpoint

    def kind_of(request: Request) -> str | None:
        return object_type(request.path_params["objectType"])

    def unknown(request: Request) -> JSONResponse:
        name = request.path_params.get("objectType", "")
        return error(state, 400, "VALIDATION_ERROR",
                     f"Unable to infer object type from: {name}")

    async def token(request: Request) -> Response:
        state.log.add(request.method, request.url.path, {})
        form = await request.form()
        if form.get("client_id") != state.auth.client_id or form.get("client_secret") != state.auth.client_secret:
            return JSONResponse({"status": "BAD_CLIENT_ID", "message": "missing or invalid client_id",
                                 "correlationId": state.correlation()}, 400)
        if form.get("grant_type") == "authorization_code":
            if form.get("code") not in state.auth.codes or not form.get("redirect_uri"):
                return JSONResponse({"status": "BAD_AUTH_CODE", "message": "missing or unknown auth code",
                                     "correlationId": state.correlation()}, 400)
            state.auth.codes.discard(str(form["code"]))
            refresh = "r-" + state.auth.issue()
            state.auth.refresh_tokens.add(refresh)
            return JSONResponse({"token_type": "bearer", "refresh_token": refresh, "access_token": state.auth.issue(),
                                 "expires_in": 1800})
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") not in state.auth.refresh_tokens:
            return JSONResponse({"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token",
                                 "correlationId": state.correlation()}, 400)
        state.auth.refreshes += 1
        return JSONResponse({"token_type": "bearer", "refresh_token": form["refresh_token"],
                             "access_token": state.auth.issue(), "expires_in": 1800})

    async def properties(request: Request) -> Response:
        kind = kind_of(request)
        if kind is None:
            return unknown(request)
        return JSONResponse({"results": [p.shape(kind, i) for i, p in enumerate(SCHEMAS[kind])]})

    def shaped(kind: str, record: dict[str, Any], wanted: list[str] | None) -> dict[str, Any]:
        names = wanted if wanted is not None else list(DEFAULTS[kind])
        known = definitions(kind)
        record["properties"] = {n: record["properties"].get(n) for n in names if n in known}
        return record

    async def list_objects(request: Request) -> Response:
        kind = kind_of(request)
        if kind is None:
            return unknown(request)
        query = request.query_params
        try:
            limit = int(query.get("limit") or 10)
            offset = int(query.get("after") or 0)
        except ValueError:
            return error(state, 400, "VALIDATION_ERROR", "limit and after must be numbers")
        if limit > LIST_LIMIT:
            return error(state, 400, "VALIDATION_ERROR", f"limit must be at most {LIST_LIMIT}")
        wanted = None
        raw = request.query_params.getlist("properties")
        if raw:
            wanted = [p for part in raw for p in part.split(",") if p]
        # `after` is the position after the last record of the previous page (HubSpot's is opaque).
        page = []
        more = False
        for record in state.all(kind, offset):
            if len(page) == limit:
                more = True
                break
            page.append(shaped(kind, record, wanted))
        body: dict[str, Any] = {"results": page}
        if more:
            after = str(offset + limit)
            link = f"{request.base_url}crm/v3/objects/{kind}?after={after}"
            body["paging"] = {"next": {"after": after, "link": link}}
        return JSONResponse(body)

    async def get_object(request: Request) -> Response:
        kind = kind_of(request)
        if kind is None:
            return unknown(request)
        record = state.get(kind, request.path_params["objectId"])
        if record is None:
            return error(state, 404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.")
        raw = request.query_params.get("properties")
        return JSONResponse(shaped(kind, record, raw.split(",") if raw else None))

    async def search(request: Request) -> Response:
        kind = kind_of(request)
        if kind is None:
            return unknown(request)
        body = await request_body(request)
        state.bodies.append((request.url.path, body))
        try:
            total, page, after = run_search(state, kind, body if isinstance(body, dict) else {})
        except SearchError as exc:
            return error(state, 400, "VALIDATION_ERROR", str(exc))
        answer: dict[str, Any] = {"total": total, "results": page}
        if after is not None:
            answer["paging"] = {"next": {"after": after, "link": f"?after={after}"}}
        return JSONResponse(answer)

    async def write(request: Request) -> Response:
        kind = kind_of(request)
        if kind is None:
            return unknown(request)
        body = await request_body(request)
        state.bodies.append((request.url.path, body))
        status, answer = batch(state, kind, request.path_params["operation"], body)
        if status >= 400:
            return error(state, status, answer["category"], answer["message"], **answer.get("extra", {}))
        return JSONResponse(answer, status)

    async def owners(request: Request) -> Response:
        limit = int(request.query_params.get("limit") or 100)
        offset = int(request.query_params.get("after") or 0)
        page = OWNERS[offset:offset + limit]
        body: dict[str, Any] = {"results": page}
        if offset + limit < len(OWNERS):
            body["paging"] = {"next": {"after": str(offset + limit)}}
        return JSONResponse(body)

    async def labels(request: Request) -> Response:
        source, target = object_type(request.path_params["fromType"]), object_type(request.path_params["toType"])
        if source is None or target is None:
            return error(state, 400, "VALIDATION_ERROR", "Unknown object type")
        found = LABELS.get((source, target)) or [{"category": "HUBSPOT_DEFINED", "typeId": 1000 + len(source + target),
                                                  "label": None}]
        return JSONResponse({"results": found})

    async def not_found(request: Request, exc: Exception) -> Response:
        return error(state, 404, "OBJECT_NOT_FOUND", f"No route for {request.method} {request.url.path}")

    routes = [
        Route("/oauth/v1/token", token, methods=["POST"]),
        Route("/crm/v3/properties/{objectType}", guarded(properties), methods=["GET"]),
        Route("/crm/v3/owners", guarded(owners), methods=["GET"]),
        Route("/crm/v3/owners/", guarded(owners), methods=["GET"]),
        Route("/crm/v3/objects/{objectType}/search", guarded(search), methods=["POST"]),
        Route("/crm/v3/objects/{objectType}/batch/{operation}", guarded(write), methods=["POST"]),
        Route("/crm/v3/objects/{objectType}/{objectId}", guarded(get_object), methods=["GET"]),
        Route("/crm/v3/objects/{objectType}", guarded(list_objects), methods=["GET"]),
        Route("/crm/v4/associations/{fromType}/{toType}/labels", guarded(labels), methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
