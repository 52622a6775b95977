"""The fake's routes: the Web API under `/api/data/v9.2/` and the token endpoint (see the package docstring)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .model import BY_LOGICAL, BY_SET, OWNER, PICKLISTS, TABLES, Column, Environment, Table, index_of
from .query import QueryError, parse

API = "/api/data/v9.2"
ODATA = {"OData-Version": "4.0"}
_DEFINITION = re.compile(r"^EntityDefinitions\(LogicalName='(?P<name>[^']*)'\)$")
_MAX_PAGE = re.compile(r"odata\.maxpagesize=(\d+)")
_COOKIE_LAST = re.compile(r"last%3d%22%7b(?P<key>[0-9A-Fa-f-]+)%7d%22")
FORMATTED = "OData.Community.Display.V1.FormattedValue"
UNSUPPORTED = ("$expand", "$apply", "fetchXml", "$skip", "$search")
TABLE_PROPERTIES = ("LogicalName", "EntitySetName", "DisplayName", "Description", "IsPrivate", "PrimaryIdAttribute",
                    "ObjectTypeCode", "SchemaName")
COLUMN_PROPERTIES = ("LogicalName", "AttributeType", "DisplayName", "Description", "IsPrimaryId", "IsValidForRead",
                     "IsValidForCreate", "IsValidForUpdate", "AttributeOf", "SchemaName")


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """Dataverse's error body."""
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers={**ODATA, **(headers or {})})


def _label(text: str) -> dict[str, Any]:
    localized = {"Label": text, "LanguageCode": 1033, "IsManaged": True,
                 "MetadataId": str(uuid.uuid5(uuid.NAMESPACE_URL, text)), "HasChanged": None}
    return {"LocalizedLabels": [localized] if text else [], "UserLocalizedLabel": localized if text else None}


def _schema(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def table_definition(table: Table) -> dict[str, Any]:
    """A table's EntityMetadata (the properties this fake knows)."""
    return {"MetadataId": str(uuid.uuid5(uuid.NAMESPACE_DNS, table.logical)), "LogicalName": table.logical,
            "SchemaName": _schema(table.logical), "EntitySetName": table.entity_set,
            "DisplayName": _label(table.label), "Description": _label(table.description),
            "IsPrivate": table.private, "PrimaryIdAttribute": table.primary,
            "ObjectTypeCode": 1 if table.logical == "account" else 2 if table.logical == "contact" else 11}


def column_definition(table: Table, column: Column) -> dict[str, Any]:
    """A column's AttributeMetadata."""
    return {"@odata.type": f"#Microsoft.Dynamics.CRM.{column.kind}AttributeMetadata",
            "MetadataId": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{table.logical}.{column.name}")),
            "LogicalName": column.name, "SchemaName": _schema(column.name), "AttributeType": column.kind,
            "DisplayName": _label(column.label), "Description": _label(f"{column.label} of the {table.label.lower()}."),
            "IsPrimaryId": column.primary, "IsValidForRead": column.readable, "IsValidForCreate": column.creatable,
            "IsValidForUpdate": column.updatable, "AttributeOf": column.attribute_of}


def _selected(item: dict[str, Any], select: str | None, allowed: tuple[str, ...], kind: str) -> dict[str, Any]:
    if not select:
        return item
    names = [n.strip() for n in select.split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise QueryError(f"Could not find a property named '{unknown[0]}' on type 'Microsoft.Dynamics.CRM.{kind}'.")
    keep = {k: v for k, v in item.items() if k in names or k in ("MetadataId", "@odata.type")}
    return keep


def build_app(state: Environment) -> Starlette:
    """The fake's Starlette app over `state`."""

    def org(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def authorized(request: Request) -> Response | None:
        header = request.headers.get("Authorization") or ""
        token = header[7:] if header.startswith("Bearer ") else ""
        if token and state.valid(token):
            return None
        challenge = (f"Bearer authorization_uri=https://login.microsoftonline.com/{state.tenant}/oauth2/authorize, "
                     f"resource_id={org(request)}/")
        return Response(status_code=401, headers={"WWW-Authenticate": challenge})

    def logged(request: Request) -> None:
        state.log.add(request.method, request.url.path, {k: request.query_params.getlist(k)
                                                          for k in request.query_params})

    def definitions(request: Request) -> Response:
        query = request.query_params
        try:
            items = [table_definition(t) for t in TABLES]
            if query.get("$filter"):
                keep = parse(query["$filter"], TABLE_PROPERTIES, "EntityMetadata")
                items = [i for i in items if keep(i)]
            items = [_selected(i, query.get("$select"), TABLE_PROPERTIES, "EntityMetadata") for i in items]
        except QueryError as exc:
            return error(400, "0x80060888", str(exc))
        select = f"({query['$select']})" if query.get("$select") else ""
        return JSONResponse({"@odata.context": f"{org(request)}{API}/$metadata#EntityDefinitions{select}",
                             "value": items}, headers=ODATA)

    def attributes(request: Request, table: Table) -> Response:
        query = request.query_params
        try:
            items = [_selected(column_definition(table, c), query.get("$select"), COLUMN_PROPERTIES,
                               "AttributeMetadata") for c in table.columns]
        except QueryError as exc:
            return error(400, "0x80060888", str(exc))
        select = f"({query['$select']})" if query.get("$select") else ""
        return JSONResponse({"@odata.context": f"{org(request)}{API}/$metadata#EntityDefinitions('{table.logical}')"
                                               f"/Attributes{select}", "value": items}, headers=ODATA)

    async def web_api(request: Request) -> Response:
        logged(request)
        refused = authorized(request)
        if refused is not None:
            return refused
        fault = state.take_fault()
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
            return error(fault.status, fault.code, fault.message, headers)
        segment = unquote(request.path_params["segment"])
        rest = request.path_params.get("rest") or ""
        if segment == "WhoAmI" and not rest:
            return JSONResponse({"@odata.context": f"{org(request)}{API}/$metadata#Microsoft.Dynamics.CRM."
                                 "WhoAmIResponse", "BusinessUnitId": "1f8e5c2a-0000-4000-8000-0000000000bb",
                                 "UserId": OWNER, "OrganizationId": "9d3c1b2a-0000-4000-8000-0000000000cc"},
                                headers=ODATA)
        if segment == "EntityDefinitions" and not rest:
            return definitions(request)
        match = _DEFINITION.match(segment)
        if match and rest in ("", "Attributes"):
            table = BY_LOGICAL.get(match["name"])
            if table is None:
                return error(404, "0x80060888", f"Could not find entity with LogicalName = {match['name']}.")
            if rest == "Attributes":
                return attributes(request, table)
            definition = table_definition(table)
            try:
                answer = _selected(definition, request.query_params.get("$select"), TABLE_PROPERTIES, "EntityMetadata")
            except QueryError as exc:
                return error(400, "0x80060888", str(exc))
            return JSONResponse({"@odata.context": f"{org(request)}{API}/$metadata#EntityDefinitions/$entity",
                                 **answer}, headers=ODATA)
        table = BY_SET.get(segment)
        if table is None or rest or table.private:
            return error(404, "0x80060888", f"Resource not found for the segment '{segment}'.")
        return rows(request, table)

    def rows(request: Request, table: Table) -> Response:
        query = request.query_params
        state.prefers.append(request.headers.get("Prefer"))
        for option in UNSUPPORTED:
            if option in query:
                return error(400, "0x80060888", f"The query parameter {option} is not supported by this fake.")
        readable = [c for c in table.columns if c.readable and not c.attribute_of]
        known = [c.wire_name for c in readable]
        select = [n.strip() for n in (query.get("$select") or "").split(",") if n.strip()] or known
        unknown = [n for n in select if n not in known]
        if unknown:
            return error(400, "0x80060888", f"Could not find a property named '{unknown[0]}' on type "
                         f"'Microsoft.Dynamics.CRM.{table.logical}'.")
        try:
            keep = parse(query["$filter"], known, table.logical) if query.get("$filter") else None
        except QueryError as exc:
            return error(400, "0x80060888", str(exc))
        prefer = request.headers.get("Prefer") or ""
        if query.get("$orderby"):
            return ordered(request, table, select, known, keep)
        wanted = _MAX_PAGE.search(prefer)
        size = min(int(wanted.group(1)) if wanted else 5000, 5000, state.page_cap)
        top = int(query["$top"]) if (query.get("$top") or "").isdigit() else None
        if top is not None:
            size = min(size, top)
        start = 0
        token = query.get("$skiptoken")
        if token:
            found = _COOKIE_LAST.search(token)
            last = index_of(found["key"]) if found else None
            if last is None:
                return error(400, "0x80060888", "The $skiptoken paging cookie is not valid.")
            start = last + 1
        page, last_index = [], None
        total = state.count(table)
        lower, upper = created_range(query.get("$filter") or "")
        if lower is not None:
            start = max(start, _first_after(state, table, lower, total))
        more = False
        for index, row in _rows(state, table, start, total):
            if upper is not None and row["createdon"] > upper:
                break  # rows are in createdon order: none further can match
            if keep is not None and not keep(row):
                continue
            if len(page) == size:
                more = True
                break
            page.append(_shaped(row, table, select, FORMATTED in prefer or '"*"' in prefer))
            last_index = index
        body: dict[str, Any] = {"@odata.context": f"{org(request)}{API}/$metadata#{table.entity_set}"
                                                  + (f"({','.join(select)})" if query.get("$select") else "")}
        if query.get("$count") == "true":
            matched = sum(1 for _, row in _rows(state, table, 0, total) if keep is None or keep(row))
            body["@odata.count"] = min(matched, 5000)
        body["value"] = page
        if more and top is None and last_index is not None:
            body["@odata.nextLink"] = _next_link(request, table, page, start, last_index)
        headers = dict(ODATA)
        if wanted:
            headers["Preference-Applied"] = f"odata.maxpagesize={size}"
        return JSONResponse(body, headers=headers)

    def ordered(request: Request, table: Table, select: list[str], known: list[str], keep: Any) -> Response:
        """`$orderby` (with `$top`: this fake does not page sorted reads)."""
        query = request.query_params
        top = query.get("$top") or ""
        if not top.isdigit():
            return error(400, "0x80060888", "This fake answers $orderby only with $top.")
        keys = []
        for part in query["$orderby"].split(","):
            name, _, direction = part.strip().partition(" ")
            if name not in known:
                return error(400, "0x80060888", f"Could not find a property named '{name}' on type "
                             f"'Microsoft.Dynamics.CRM.{table.logical}'.")
            keys.append((name, direction.strip().lower() == "desc"))
        found = [row for _, row in _rows(state, table, 0, state.count(table)) if keep is None or keep(row)]
        for name, descending in reversed(keys):  # stable sorts, last key first; nulls sort first, as in SQL Server
            found.sort(key=lambda row, n=name: (row.get(n) is not None, row.get(n) or 0), reverse=descending)
        return JSONResponse({"@odata.context": f"{org(request)}{API}/$metadata#{table.entity_set}",
                             "value": [_shaped(r, table, select, False) for r in found[:int(top)]]}, headers=ODATA)

    async def token(request: Request) -> Response:
        logged(request)
        form = await request.form()
        grant = str(form.get("grant_type") or "")
        if form.get("client_id") != state.client_id or form.get("client_secret") != state.client_secret:
            return _token_error(401, "invalid_client", 7000215, "AADSTS7000215: Invalid client secret provided. "
                                "Ensure the secret being sent in the request is the client secret value.")
        if grant == "refresh_token":
            if form.get("refresh_token") != state.refresh_token:
                return _token_error(400, "invalid_grant", 70000, "AADSTS70000: The provided value for the "
                                    "'refresh_token' is not valid.")
        elif grant == "authorization_code":
            if not state.take_code(str(form.get("code") or "")):
                return _token_error(400, "invalid_grant", 70008, "AADSTS70008: The provided authorization code or "
                                    "refresh token has expired due to inactivity.")
        else:
            return _token_error(400, "unsupported_grant_type", 70003, f"AADSTS70003: The app requested an "
                                f"unsupported grant type '{grant}'.")
        return JSONResponse({"token_type": "Bearer", "scope": str(form.get("scope") or ""), "expires_in": 3599,
                             "ext_expires_in": 3599, "access_token": state.issue(),
                             "refresh_token": state.refresh_token})

    return Starlette(routes=[
        Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
        Route(API + "/{segment}", web_api, methods=["GET"]),
        Route(API + "/{segment}/{rest}", web_api, methods=["GET"]),
    ])


def _token_error(status: int, code: str, number: int, description: str) -> JSONResponse:
    """The Microsoft identity platform's error body."""
    return JSONResponse({"error": code, "error_description": description, "error_codes": [number],
                         "timestamp": "2024-05-01 10:00:00Z", "trace_id": str(uuid.uuid4()),
                         "correlation_id": str(uuid.uuid4()),
                         "error_uri": "https://login.microsoftonline.com/error?code=" + str(number)}, status)


_CREATED_TERM = re.compile(r"^createdon (gt|ge|lt|le) (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z$")


def created_range(text: str) -> tuple[str | None, str | None]:
    """Bounds on `createdon` a `$filter` sets at its top level (`createdon gt|ge X`, `createdon lt|le Y`,
    joined by `and`), as stamps a row's value is compared with: (after, at most). (None, None) when
    there are none or the expression is not a top-level conjunction."""
    terms, depth, current = [], 0, ""
    for word in text.split(" "):
        depth += word.count("(") - word.count(")")
        if word == "and" and depth == 0:
            terms.append(current.strip())
            current = ""
        elif word == "or" and depth == 0:
            return None, None
        else:
            current += " " + word
    terms.append(current.strip())
    lower = upper = None
    for term in terms:
        match = _CREATED_TERM.match(term)
        if match is None:
            continue
        operator, moment, fraction = match.groups()
        stamped = moment + "Z"
        if fraction and fraction.strip(".0"):  # stamps are whole seconds: ge X.5 is gt X, lt Y.5 is le Y
            operator = {"ge": "gt", "lt": "le"}.get(operator, operator)
        if operator in ("gt", "ge"):
            # gt X: rows after X; ge X: rows at X or after, i.e. after the second before.
            lower = stamped if operator == "gt" else _second_before(stamped)
        else:
            upper = stamped if operator == "le" else _second_before(stamped)
    return lower, upper


def _second_before(stamped: str) -> str:
    moment = datetime.strptime(stamped, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return (moment - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _first_after(state: Environment, table: Table, lower: str, total: int) -> int:
    """The first row index whose createdon is after `lower` (binary search: rows are in createdon order)."""
    low, high = 0, total
    while low < high:
        middle = (low + high) // 2
        if state.row(table, middle)["createdon"] > lower:
            high = middle
        else:
            low = middle + 1
    return low


def _rows(state: Environment, table: Table, start: int, total: int) -> Iterator[tuple[int, dict[str, Any]]]:
    for index in range(start, total):
        yield index, state.row(table, index)


def _shaped(row: dict[str, Any], table: Table, select: list[str], formatted: bool) -> dict[str, Any]:
    """A row as the Web API answers it: its etag, the selected columns and always the primary key."""
    out: dict[str, Any] = {"@odata.etag": f'W/"{row.get("versionnumber", 1)}"'}
    for name in select:
        out[name] = row.get(name)
        if formatted:
            value = row.get(name)
            if name in PICKLISTS and value is not None:
                out[f"{name}@{FORMATTED}"] = PICKLISTS[name].get(value, str(value))
            elif isinstance(value, bool):
                out[f"{name}@{FORMATTED}"] = "Yes" if value else "No"
            elif name == "revenue" and value is not None:
                out[f"{name}@{FORMATTED}"] = f"${value:,.2f}"
    out[table.primary] = row[table.primary]
    return out


def _next_link(request: Request, table: Table, page: list[dict[str, Any]], start: int, last_index: int) -> str:
    """The next page's URL: the same query and a `$skiptoken` paging cookie whose `pagingcookie` is the
    inner cookie URL-encoded once more, as Dataverse writes it."""
    first, last = page[0][table.primary].upper(), page[-1][table.primary].upper()
    number = _page_number(request.query_params.get("$skiptoken") or "") + 1
    inner = quote(f'<cookie page="{number - 1}"><{table.primary} last="{{{last}}}" first="{{{first}}}" /></cookie>',
                  safe="")
    inner = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), inner)
    cookie = f'<cookie pagenumber="{number}" pagingcookie="{inner}" istracking="False" />'
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "$skiptoken"]
    params.append(("$skiptoken", cookie))
    base = str(request.base_url).rstrip("/")
    return f"{base}{request.url.path}?{urlencode(params, quote_via=quote, safe='$,')}"


def _page_number(token: str) -> int:
    match = re.search(r'pagenumber="(\d+)"', token)
    return int(match.group(1)) if match else 1
