"""The Starlette application of the fake: the Salesforce token endpoint and v5 object queries."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .business_unit import BusinessUnit, parse_instant

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000
TIME_FILTERS = {"After": lambda v, b: v > b, "AfterOrEqualTo": lambda v, b: v >= b,
                "Before": lambda v, b: v < b, "BeforeOrEqualTo": lambda v, b: v <= b}
ID_FILTERS = {"idGreaterThan": lambda v, b: v > b, "idGreaterThanOrEqualTo": lambda v, b: v >= b,
              "idLessThan": lambda v, b: v < b, "idLessThanOrEqualTo": lambda v, b: v <= b}
ORDERABLE = ("id", "createdAt", "updatedAt")


class PardotError(Exception):
    """A v5 error answer: `{"code": <number>, "message"}`."""

    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def response(self) -> Response:
        return JSONResponse({"code": self.code, "message": self.message}, self.status, headers=self.headers)


def _invalid(message: str) -> PardotError:
    return PardotError(400, 55, f"Invalid parameter: {message}")


def build_app(unit: BusinessUnit) -> Starlette:
    async def token(request: Request) -> Response:
        form = dict(await request.form())
        unit.log.add("POST", request.url.path, {k: [str(v)] for k, v in form.items()
                                                 if k not in ("refresh_token", "client_secret", "code")})
        grant = form.get("grant_type")
        refresh = grant == "refresh_token" and form.get("refresh_token") == unit.refresh_token
        if not refresh and not (grant == "authorization_code" and form.get("code") == unit.auth_code):
            return JSONResponse({"error": "invalid_grant", "error_description": "expired access/refresh token"}, 400)
        answer: dict[str, Any] = {"access_token": unit.issue_token(), "instance_url": "https://example.my.salesforce.com",
                                  "id": "https://login.salesforce.com/id/00D5e000000/0055e000000",
                                  "token_type": "Bearer", "issued_at": str(int(time.time() * 1000)),
                                  "scope": "pardot_api refresh_token", "signature": "c2lnbmF0dXJl"}
        if grant == "authorization_code":
            answer["refresh_token"] = unit.refresh_token
        return JSONResponse(answer)

    async def objects(request: Request) -> Response:
        name = request.path_params["name"]
        query = {k: request.query_params.getlist(k) for k in request.query_params}
        unit.log.add("GET", request.url.path, query)
        try:
            rule = unit.throttles.take(request.url.path)
            if rule is not None:
                headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
                raise PardotError(429, 66, "Exceeded concurrent request limit: more than five API requests at once",
                                  headers)
            auth = request.headers.get("authorization") or ""
            if not auth.startswith("Bearer ") or not unit.token_valid(auth[len("Bearer "):]):
                raise PardotError(401, 184, "access_token is invalid, unknown, or malformed: Inactive token")
            if request.headers.get("pardot-business-unit-id") != unit.business_unit_id:
                raise PardotError(400, 181, "The Business Unit ID header is missing or invalid")
            if name not in unit.counts:
                raise PardotError(404, 12, f"Object not found: {name}")
            return JSONResponse(_page(unit, name, dict(request.query_params), request))
        except PardotError as exc:
            return exc.response()

    return Starlette(routes=[
        Route("/services/oauth2/token", token, methods=["POST"]),
        Route("/api/v5/objects/{name}", objects, methods=["GET"]),
    ])


def _decode(token: str) -> dict[str, Any]:
    try:
        decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token.encode()))
        return decoded
    except ValueError:
        raise _invalid("nextPageToken") from None


def _page(unit: BusinessUnit, name: str, params: dict[str, str], request: Request) -> dict[str, Any]:
    after = None
    if "nextPageToken" in params:
        state = _decode(params["nextPageToken"])
        params, skip, after = state["params"], state["skip"], state.get("after")
    else:
        skip = 0
    fields = [f.strip() for f in (params.get("fields") or "").split(",") if f.strip()]
    if not fields:
        raise _invalid("fields is required")
    try:
        limit = int(params.get("limit") or DEFAULT_LIMIT)
    except ValueError:
        raise _invalid("limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise _invalid(f"limit must be between 1 and {MAX_LIMIT}")
    sample = unit.record(name, unit.ids(name)[0]) if unit.counts[name] else {}
    for field in fields:
        if field.split(".")[0] not in sample:
            raise _invalid(f"fields: unknown field {field!r} on {name}")
    order = (params.get("orderBy") or "id asc").split()
    if order[0] not in ORDERABLE or (len(order) > 1 and order[1].lower() not in ("asc", "desc")):
        raise _invalid("orderBy")
    descending = len(order) > 1 and order[1].lower() == "desc"
    by_id = order[0] == "id" and not descending
    # In id order a page starts after the last id sent, so big seeds page in linear time.
    matched = _matching(unit, name, params, after if by_id else None)
    if by_id and after is not None:
        skip = 0
    if order[0] != "id":
        ordered = sorted(matched, key=lambda r: parse_instant(r[order[0]]), reverse=descending)
        matched = iter(ordered)
    elif descending:
        matched = iter(sorted(matched, key=lambda r: r["id"], reverse=True))
    page: list[dict[str, Any]] = []
    for position, record in enumerate(matched):
        if position < skip:
            continue
        if len(page) == limit:
            state = {"params": params, "skip": skip + limit, "after": page[-1].get("id")}
            token = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
            return {"nextPageToken": token,
                    "nextPageUrl": f"{unit.base_url}{request.url.path}?{urlencode({'nextPageToken': token})}",
                    "values": page}
        page.append(_project(record, fields))
    return {"nextPageToken": None, "nextPageUrl": None, "values": page}


def _matching(unit: BusinessUnit, name: str, params: dict[str, str],
              after: int | None = None) -> Iterator[dict[str, Any]]:
    deleted = (params.get("deleted") or "false").lower()
    if deleted not in ("true", "false", "all"):
        raise _invalid("deleted")
    checks = []
    for field in ("createdAt", "updatedAt"):
        for suffix, test in TIME_FILTERS.items():
            value = params.get(field + suffix)
            if value is None:
                continue
            try:
                bound = parse_instant(value)
            except ValueError:
                raise _invalid(field + suffix) from None
            checks.append((field, test, bound, True))
    for param, test in ID_FILTERS.items():
        if params.get(param) is not None:
            try:
                checks.append(("id", test, int(params[param]), False))
            except ValueError:
                raise _invalid(param) from None
    start = max([b for f, t, b, _ in checks if f == "id" and t is ID_FILTERS["idGreaterThanOrEqualTo"]] or [0])
    if after is not None:
        start = max(start, int(after) + 1)
    for record in unit.records(name, start_id=start):
        if deleted != "all" and bool(record.get("isDeleted")) != (deleted == "true"):
            continue
        if all(test(parse_instant(record[field]) if timed else record[field], bound)
               for field, test, bound, timed in checks):
            yield record


def _project(record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """Only the named fields; `campaign.id` names a member of a nested object (null stays null)."""
    out: dict[str, Any] = {}
    for field in fields:
        top, _, member = field.partition(".")
        value = record.get(top)
        if not member:
            out[top] = value
        elif value is None:
            out.setdefault(top, None)
        else:
            nested = out.get(top) or {}
            nested[member] = value.get(member)
            out[top] = nested
    return out
