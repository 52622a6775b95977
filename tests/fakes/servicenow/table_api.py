"""The Table API of the fake instance: `/api/now/[v1|v2/]table/{tableName}[/{sys_id}]`.

Follows ServiceNow's "Table API" reference (https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI):
list reads take `sysparm_query`, `sysparm_fields`, `sysparm_limit` (default 10000), `sysparm_offset`,
`sysparm_display_value` (false | true | all), `sysparm_exclude_reference_link`,
`sysparm_suppress_pagination_header` and `sysparm_no_count`, and answer `{"result": [...]}` with every value
a string ("" when empty), reference fields as `{"link", "value"}`, the `X-Total-Count` header and a
`Link` header (rel first/prev/next/last, omitted when one page holds everything). Writes: POST (201),
PUT/PATCH (200) and DELETE (204). Errors are `{"error": {"message", "detail"}, "status": "failure"}`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import schema
from .errors import ServiceNowError
from .instance import DEFAULT_LIMIT, Instance

NAME_KEYED = schema.NAME_KEYED


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer as the platform sends it (UTF-8, not ASCII-escaped)."""
    return Response(orjson.dumps(body), status_code=status, headers=headers,
                    media_type="application/json;charset=UTF-8")


def routes(instance: Instance) -> list[Route]:
    """The Table API routes, with and without the API version segment."""

    def guarded(handler: Callable[[Request, str, dict[str, str]], Awaitable[Response]]):
        async def endpoint(request: Request) -> Response:
            instance.log.add(request.method, request.url.path, parse_qs(request.url.query, keep_blank_values=True))
            instance.in_flight += 1  # one event loop: no lock needed
            instance.most_in_flight = max(instance.most_in_flight, instance.in_flight)
            try:
                if instance.latency:
                    await asyncio.sleep(instance.latency)
                user = instance.auth.authenticate(request.headers.get("authorization"))
                headers = instance.admit(user, request.url.path)
                response = await handler(request, user, headers)
            except ServiceNowError as exc:
                return exc.response()
            finally:
                instance.in_flight -= 1
            response.headers.update(headers)
            return response
        return endpoint

    async def collection(request: Request, user: str, headers: dict[str, str]) -> Response:
        name = request.path_params["table"]
        instance.table(name, user)
        if request.method == "POST":
            values = await _body(request)
            row = instance.insert(name, values, user)
            return json_response({"result": _render(instance, request, name, [row])[0]}, 201)
        return _list(instance, request, name)

    async def record(request: Request, user: str, headers: dict[str, str]) -> Response:
        name, record_id = request.path_params["table"], request.path_params["sys_id"]
        instance.table(name, user)
        if request.method == "DELETE":
            instance.delete(name, record_id)
            return Response(status_code=204)
        if request.method in ("PUT", "PATCH"):
            row = instance.update(name, record_id, await _body(request), user)
        else:
            row = instance.record(name, record_id)
        return json_response({"result": _render(instance, request, name, [row])[0]})

    out = []
    for prefix in ("/api/now/table", "/api/now/v1/table", "/api/now/v2/table"):
        out.append(Route(prefix + "/{table}", guarded(collection), methods=["GET", "POST"]))
        out.append(Route(prefix + "/{table}/{sys_id}", guarded(record), methods=["GET", "PUT", "PATCH", "DELETE"]))
    return out


async def _body(request: Request) -> dict:
    try:
        body = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError:
        raise ServiceNowError(400, "Exception while reading request", "The payload is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ServiceNowError(400, "Exception while reading request", "The payload must be a JSON object.")
    return body


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ServiceNowError(400, f"{name.removeprefix('sysparm_')} is {raw}", f"Invalid {name} value") from None


def _list(instance: Instance, request: Request, name: str) -> Response:
    limit = _int_param(request, "sysparm_limit", DEFAULT_LIMIT)
    offset = _int_param(request, "sysparm_offset", 0)
    if offset < 0:
        raise ServiceNowError(400, f"offset is {offset}", "Negative offset is not supported")
    if limit < 0:
        raise ServiceNowError(400, f"limit is {limit}", "Negative limit is not supported")
    total, rows = instance.query(name, request.query_params.get("sysparm_query", ""), limit, offset)
    headers: dict[str, str] = {}
    if not _flag(request, "sysparm_no_count"):
        headers["X-Total-Count"] = str(total)
    if not _flag(request, "sysparm_suppress_pagination_header") and limit > 0 and (offset > 0 or total > limit):
        headers["Link"] = _links(request, total, limit, offset)
    return json_response({"result": _render(instance, request, name, rows)}, headers=headers)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").lower() == "true"


def _links(request: Request, total: int, limit: int, offset: int) -> str:
    """The `Link` header: the same request at other offsets."""
    base = str(request.base_url).rstrip("/") + request.url.path
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("sysparm_offset", "sysparm_limit")]

    def url(at: int) -> str:
        return base + "?" + urlencode([*params, ("sysparm_offset", str(at)), ("sysparm_limit", str(limit))])

    last = max(0, (total - 1) // limit * limit)
    links = [f'<{url(0)}>;rel="first"']
    if offset > 0:
        links.append(f'<{url(max(0, offset - limit))}>;rel="prev"')
    if offset + limit < total:
        links.append(f'<{url(offset + limit)}>;rel="next"')
    links.append(f'<{url(last)}>;rel="last"')
    return ",".join(links)


def _render(instance: Instance, request: Request, table: str, rows: list[dict]) -> list[dict]:
    """Rows as the Table API shows them, honouring sysparm_fields / display_value / exclude_reference_link."""
    columns = {c.element: c for c in schema.columns(table)}
    requested = [f.strip() for f in request.query_params.get("sysparm_fields", "").split(",") if f.strip()]
    fields = [f for f in requested if f in columns or _walk(columns, f)] if requested else list(columns)
    mode = request.query_params.get("sysparm_display_value", "false").lower()
    mode = mode if mode in ("true", "all") else "false"
    no_link = _flag(request, "sysparm_exclude_reference_link")
    base = str(request.base_url).rstrip("/")

    # Referenced records' display values and dot-walked fields, one lookup per referenced table and column.
    lookups: dict[str, dict[str, object]] = {}
    for f in fields:
        head, _, tail = f.partition(".")
        column = columns[head]
        if column.internal_type != "reference" or (table, head) in NAME_KEYED:
            continue
        wanted = tail or (_display_column(column.reference) if mode != "false" else "")
        if wanted:
            lookups[f] = instance.lookup(column.reference or "", (str(r[head]) for r in rows if r.get(head)), wanted)

    out = []
    for row in rows:
        record: dict[str, object] = {}
        for f in fields:
            head, _, tail = f.partition(".")
            if tail:
                ref = row.get(head)
                record[f] = _text(lookups.get(f, {}).get(str(ref))) if ref else ""
                continue
            record[f] = _field(columns[f], row.get(f), table, mode, no_link, base, lookups.get(f, {}))
        out.append(record)
    return out


def _walk(columns: dict[str, schema.Column], name: str) -> bool:
    head, _, tail = name.partition(".")
    column = columns.get(head)
    if column is None or column.internal_type != "reference" or column.reference not in schema.BY_NAME:
        return False
    return any(c.element == tail for c in schema.columns(column.reference or ""))


def _display_column(table: str | None) -> str:
    for column in schema.columns(table or ""):
        if column.display:
            return column.element
    return "sys_id"


def _field(column: schema.Column, value: object, table: str, mode: str, no_link: bool, base: str,
           displays: dict[str, object]) -> object:
    raw = _text(value)
    if column.internal_type == "reference":
        if raw == "":
            return "" if mode != "all" else {"display_value": "", "value": ""}
        name_keyed = (table, column.element) in NAME_KEYED
        shown = raw if name_keyed else _text(displays.get(raw, ""))
        link = f"{base}/api/now/table/{column.reference}/{raw}"
        if mode == "false":
            return raw if no_link else {"link": link, "value": raw}
        if mode == "true":
            return shown if no_link else {"display_value": shown, "link": link}
        entry = {"display_value": shown, "value": raw}
        return entry if no_link else {**entry, "link": link}
    if mode == "false":
        return raw
    shown = _display(column, value, raw)
    return shown if mode == "true" else {"display_value": shown, "value": raw}


def _text(value: object) -> str:
    """A stored value as the Table API's string."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _display(column: schema.Column, value: object, raw: str) -> str:
    if raw == "":
        return ""
    if column.choices:
        return column.choices.get(raw, raw)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return raw
