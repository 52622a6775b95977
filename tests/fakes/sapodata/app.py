"""The Starlette application of the fake SAP system: OAuth token endpoint, OData services, `$batch`.

What it answers, by the docs it follows:

* Logon (SAP Gateway, https://help.sap.com/docs/SAP_NETWEAVER_750 "Authentication"): HTTP basic
  with a user of client `100`, or an OAuth 2.0 bearer token from `/sap/bc/sec/oauth2/token`
  (client credentials, refresh token or authorization code grants, client in basic auth or the
  form). A refused logon is 401 with `WWW-Authenticate` and SAP's HTML "Logon failed" page; an
  expired token is 401 `Bearer error="invalid_token"`. A `sap-client` other than `100` fails the
  logon; `sap-language` is taken as the language of messages.
* Errors (https://help.sap.com/docs/SAP_NETWEAVER_750/68bf513362174d54b58cddec28794093/
  "Error Response"): `{"error": {"code", "message": {"lang", "value"}, "innererror": {...}}}`.
* CSRF protection (SAP Gateway "Cross-Site Request Forgery Protection"): a GET with
  `X-CSRF-Token: Fetch` answers the token in `X-CSRF-Token` and a session cookie; a modifying
  request without the token of its session answers 403, `X-CSRF-Token: Required`, text
  "CSRF token validation failed".
* Service discovery (SAP Gateway "Catalog Service", /IWFND/CATALOGSERVICE;v=2): `ServiceCollection`
  lists the V2 services with their `TechnicalServiceName`, `Title` and `ServiceUrl`.
* Queries: see query.py and wire.py; `$top`, `$skip`, `$skiptoken`, `$inlinecount=allpages` (V2) /
  `$count=true` (V4), `$select`, `$orderby`, `<Set>/$count`; an answer holds at most `page_cap`
  entries and links the rest (`__next` / `@odata.nextLink`).
* ODP delta (SAP BW/4HANA "ODP-Based Data Extraction via OData"): `Prefer: odata.track-changes`
  on a change-tracking set answers `Preference-Applied: odata.track-changes` and a `__delta` link
  (`<Set>?!deltatoken='D..._...'`) on the last page; the link answers the changes since, each
  entry an image with `ODQ_CHANGEMODE` (C/U/D) and `ODQ_ENTITYCNTR`. `Prefer: odata.maxpagesize=N`
  sets the package size.
* Writes (V2): `POST <Set>` (201 with the created entry), `MERGE`/`PATCH`/`PUT <Set>(<key>)` (204),
  and `$batch` (batch.py).
* Rate limiting: 429 with `Retry-After`, SAP's error body.
"""

from __future__ import annotations

import base64
import secrets
import urllib.parse
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import batch, wire
from .model import EntitySet, Service
from .query import FilterError, parse_filter, parse_key
from .system import CLIENT, OAUTH_CLIENT, OAUTH_SECRET, PASSWORD, SID, USER, SapSystem

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "MERGE", "DELETE"]
LOGON_FAILED = ("<html><head><title>Logon Error Message</title></head><body><p>Logon failed</p>"
                "<p>Note: You are not authorized to log on to this system.</p></body></html>")
CATALOG_PATH = "/sap/opu/odata/IWFND/CATALOGSERVICE;v=2"
SAFE = "$'(),!*:"  # left unescaped in the links the service writes, as SAP writes them
MODIFYING = {"POST", "PUT", "PATCH", "MERGE", "DELETE"}


class SapError(Exception):
    """An error answered with SAP's body."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def response(self) -> Response:
        body = {"error": {"code": self.code, "message": {"lang": "en", "value": self.message},
                          "innererror": {"transactionid": secrets.token_hex(16).upper(),
                                         "timestamp": "20240101000000.0000000",
                                         "errordetails": [{"code": self.code, "message": self.message,
                                                           "severity": "error", "target": ""}]}}}
        return Response(orjson.dumps(body), self.status, {"Content-Type": "application/json", **self.headers})


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, {"Content-Type": "application/json;charset=utf-8",
                                                 "DataServiceVersion": "2.0", **(headers or {})})


def _session_cookie(request: Request) -> str | None:
    return request.cookies.get(f"SAP_SESSIONID_{SID}_{CLIENT}")


def build_app(system: SapSystem) -> Starlette:
    """An ASGI app serving `system`."""

    async def token(request: Request) -> Response:
        system.log.add("POST", request.url.path, {})
        form = await request.form()
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
        if client_id != OAUTH_CLIENT or client_secret != OAUTH_SECRET:
            refusal = {"error": "invalid_client", "error_description": "Client authentication failed"}
            return Response(orjson.dumps(refusal),
                            401, {"Content-Type": "application/json"})
        grant = form.get("grant_type")
        issued = None
        if grant == "client_credentials":
            issued = system.issue_token()
        elif grant == "refresh_token":
            issued = system.refresh(str(form.get("refresh_token") or ""))
        elif grant == "authorization_code" and system.take_code(str(form.get("code") or "")):
            issued = system.issue_token()
        if issued is None:
            return Response(orjson.dumps({"error": "invalid_grant", "error_description": "Invalid grant"}), 400,
                            {"Content-Type": "application/json"})
        return Response(orjson.dumps({"access_token": issued.access, "token_type": "Bearer", "expires_in": 3600,
                                      "refresh_token": issued.refresh, "scope": "ZSLUICE_SALES_SRV_0001"}),
                        200, {"Content-Type": "application/json"})

    def logon(request: Request) -> str | None:
        """The error to answer when the logon fails, else None."""
        client = request.query_params.get("sap-client") or request.headers.get("sap-client")
        header = request.headers.get("Authorization", "")
        if client not in (None, CLIENT):
            return "basic"
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return "basic"
            return None if (user.upper(), password) == (USER, PASSWORD) else "basic"
        if header.startswith("Bearer "):
            return None if system.token_valid(header[7:]) else "bearer"
        return "basic"

    def refused(kind: str) -> Response:
        if kind == "bearer":
            return Response(orjson.dumps({"error": {"code": "/IWFND/CM_CONSUMER/101", "message": {
                "lang": "en", "value": "The access token is invalid or has expired"}}}), 401,
                {"Content-Type": "application/json",
                 "WWW-Authenticate": 'Bearer error="invalid_token", error_description="token expired or invalid"'})
        realm = f"SAP NetWeaver Application Server [{SID}/{CLIENT}]"
        return Response(LOGON_FAILED, 401, {"Content-Type": "text/html; charset=utf-8",
                                            "WWW-Authenticate": f'Basic realm="{realm}"'})

    async def odata(request: Request) -> Response:
        path = "/" + request.path_params["path"]
        query = {k: request.query_params.getlist(k) for k in request.query_params}
        system.log.add(request.method, path, query)
        wait = system.take_throttle(path)
        if wait is not None:
            return SapError(429, "/IWFND/CM_BEC/026", "Rate limit quota violation. Quota limit exceeded",
                            {"Retry-After": str(wait)}).response()
        failure = logon(request)
        if failure:
            return refused(failure)
        if path.startswith(CATALOG_PATH):
            return _catalog(system, path[len(CATALOG_PATH):], str(request.base_url).rstrip("/"))
        service, rest = _service_of(system, path)
        if service is None:
            return SapError(404, "/IWFND/MED/170", f"No service found for namespace '', name '{path}', version '0001'"
                            ).response()
        method = request.headers.get("X-HTTP-Method", request.method).upper()
        session = _session_cookie(request)
        new_session = None
        headers: dict[str, str] = {}
        if method == "HEAD":
            method = "GET"  # answered as GET, without the body (clients fetch CSRF tokens with HEAD too)
        if method == "GET" and request.headers.get("X-CSRF-Token", "").lower() == "fetch":
            if session is None:
                session = new_session = secrets.token_hex(16)
            headers["X-CSRF-Token"] = system.csrf_for(session)
        if method in MODIFYING and path.endswith("/$batch"):
            system.count_batch()
        if method in MODIFYING and not system.csrf_ok(session, request.headers.get("X-CSRF-Token")):
            return Response("CSRF token validation failed", 403, {"Content-Type": "text/plain",
                                                                  "X-CSRF-Token": "Required"})
        try:
            response = await _dispatch(system, service, rest, request, method, str(request.base_url).rstrip("/"))
        except SapError as exc:
            response = exc.response()
        except FilterError as exc:
            response = SapError(400, "/IWBEP/CM_MGW_RT/022", str(exc)).response()
        for name, value in headers.items():
            response.headers[name] = value
        if new_session:
            response.set_cookie(f"SAP_SESSIONID_{SID}_{CLIENT}", new_session, path="/", secure=True, httponly=True)
        return response

    async def authorize(request: Request) -> Response:
        system.log.add("GET", request.url.path, {})
        redirect = request.query_params.get("redirect_uri", "")
        return Response(status_code=302, headers={"Location": f"{redirect}?code={system.issue_code()}"})

    return Starlette(routes=[Route("/sap/bc/sec/oauth2/token", token, methods=["POST"]),
                             Route("/sap/bc/sec/oauth2/authorize", authorize, methods=["GET"]),
                             Route("/{path:path}", odata, methods=METHODS)])


def _catalog(system: SapSystem, rest: str, base: str) -> Response:
    """The V2 catalog service's `ServiceCollection` (SAP Gateway's /IWFND/CATALOGSERVICE): the V2 services."""
    if rest.strip("/") != "ServiceCollection":
        return SapError(404, "/IWFND/CM_MGW/020", f"Resource not found for segment '{rest.strip('/')}'").response()
    results = []
    for service in system.services.values():
        if service.v4:
            continue  # V4 services are published in service groups, not in the V2 catalog
        name = service.path.rsplit("/", 1)[1]
        uri = f"{base}{CATALOG_PATH}/ServiceCollection('{name}_0001')"
        results.append({"__metadata": {"id": uri, "uri": uri, "type": "CATALOGSERVICE.Service"},
                        "ID": f"{name}_0001", "Description": f"Sluice test service {name}", "Title": name,
                        "Author": "SLUICE", "TechnicalServiceVersion": 1, "TechnicalServiceName": name,
                        "MetadataUrl": f"{base}{service.path}/$metadata", "ServiceUrl": f"{base}{service.path}/",
                        "UpdatedDate": "/Date(1704067200000)/", "IsSapService": False})
    return _json({"d": {"results": results}})


def _service_of(system: SapSystem, path: str) -> tuple[Service | None, str]:
    for service_path, service in system.services.items():
        if path == service_path or path.startswith(service_path + "/"):
            return service, path[len(service_path):].lstrip("/")
    return None, ""


async def _dispatch(system: SapSystem, service: Service, rest: str, request: Request, method: str,
                    base: str) -> Response:
    if rest == "":
        sets = list(service.sets)
        if service.v4:
            return _json({"@odata.context": "$metadata", "value": [{"name": s, "url": s} for s in sets]})
        return _json({"d": {"EntitySets": sets}})
    if rest == "$metadata":
        header = ("OData-Version", "4.0") if service.v4 else ("DataServiceVersion", "2.0")
        return Response(wire.metadata(service), 200, {"Content-Type": "application/xml", header[0]: header[1]})
    if rest == "$batch" and method == "POST":
        return await _batch(system, service, request, base)
    name, key_text, suffix = _address(rest)
    entity = service.sets.get(name)
    if entity is None:
        raise SapError(404, "/IWFND/CM_MGW/020", f"Resource not found for segment '{name}'")
    if method == "GET":
        if suffix == "$count":
            return Response(str(len(_matching(entity, request.query_params.get("$filter")))), 200,
                            {"Content-Type": "text/plain"})
        if key_text is not None:
            record = entity.find(parse_key(key_text, entity))
            if record is None:
                raise SapError(404, "/IWBEP/CM_MGW_RT/020", "Resource not found for the segment")
            return _json({"d": wire.v2_entry(base, service, entity, record)})
        return _collection(system, service, entity, request, base)
    if service.v4:
        raise SapError(405, "/IWBEP/CM_V4_RUNTIME/021", "Writes are not enabled for this service")
    body = await request.body()
    reply = _write(system, service, entity, method, key_text, body, base)
    return Response(reply.body, reply.status, reply.headers)


def _address(rest: str) -> tuple[str, str | None, str]:
    """(entity set, key predicate inside or None, what follows) of a resource path."""
    head, _, suffix = rest.partition("/")
    if "(" in head and head.endswith(")"):
        name, _, inside = head.partition("(")
        return name, urllib.parse.unquote(inside[:-1]), suffix
    return head, None, suffix


def _matching(entity: EntitySet, expression: str | None) -> list[dict[str, Any]] | None:
    """The records a `$filter` selects (None: all, not materialised)."""
    if not expression and not entity.changed:
        return None
    records = entity.records()
    if expression:
        predicate = parse_filter(expression, entity)
        return [r for r in records if predicate(r)]
    return list(records)


class _View:
    """Positional access to a result: a list, or the seed generated on demand (no filter, no writes)."""

    def __init__(self, entity: EntitySet, records: list[dict[str, Any]] | None) -> None:
        self.entity, self.records = entity, records

    def __len__(self) -> int:
        return len(self.records) if self.records is not None else self.entity.size

    def slice(self, start: int, end: int) -> list[dict[str, Any]]:
        if self.records is not None:
            return self.records[start:end]
        return [self.entity.generate(i + 1) for i in range(start, min(end, self.entity.size))]


def _order(entity: EntitySet, records: list[dict[str, Any]] | None, orderby: str | None) -> list[dict[str, Any]] | None:
    if not orderby:
        return records
    terms = []
    for term in orderby.split(","):
        name, _, direction = term.strip().partition(" ")
        prop = entity.prop(name)
        if prop is None:
            raise SapError(400, "/IWBEP/CM_MGW_RT/022", f"Property {name} not found in type {entity.type_name}")
        terms.append((name, direction.strip().lower() == "desc"))
    if records is None and terms == [(entity.keys[0], False)] and len(entity.keys) == 1:
        return None  # the seed is already in key order
    rows = list(entity.records()) if records is None else list(records)
    for name, descending in reversed(terms):
        rows.sort(key=lambda r: (r.get(name) is not None, r.get(name) if not isinstance(r.get(name), dict) else ""),
                  reverse=descending)
    return rows


def _int(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if not value.isdigit():
        raise SapError(400, "/IWBEP/CM_MGW_RT/022", f"Invalid value '{value}' for system query option {name}")
    return int(value)


def _prefer(request: Request) -> tuple[bool, int | None]:
    track, size = False, None
    for item in request.headers.get("Prefer", "").split(","):
        item = item.strip()
        if item == "odata.track-changes":
            track = True
        elif item.startswith("odata.maxpagesize="):
            size = int(item.partition("=")[2])
    return track, size


def _collection(system: SapSystem, service: Service, entity: EntitySet, request: Request, base: str) -> Response:
    params = request.query_params
    select = [s.strip() for s in params["$select"].split(",")] if params.get("$select") else None
    for name in select or []:
        if entity.prop(name) is None and name not in entity.navigation:
            raise SapError(400, "/IWBEP/CM_MGW_RT/022", f"Property {name} not found in type {entity.type_name}")
    track, max_page = _prefer(request)
    cap = min(system.page_cap, max_page) if max_page else system.page_cap
    queue_key = f"{service.path}/{entity.name}"
    applied: dict[str, str] = {}
    delta_param = params.get("!deltatoken")
    skiptoken = params.get("$skiptoken")
    new_token = None
    if entity.change_tracking and (track or delta_param or (skiptoken and "." in skiptoken)):
        cap = min(system.page_cap, max_page or system.odp_page_size)
        queue = system.deltas[queue_key]
        if delta_param is not None:
            old = delta_param.strip("'")
            found = queue.since(old)
            if found is None:
                raise SapError(400, "/IWBEP/CM_MGW_RT/022", f"Delta token '{old}' is unknown or expired")
            if skiptoken:
                new_token, _, offset_text = skiptoken.strip("'").rpartition(".")
                start = int(offset_text)
                rows = queue.changes[queue.tokens[old]:queue.tokens[new_token]]
            else:
                rows, end = found
                new_token, start = queue.issue(), 0
                queue.tokens[new_token] = end
        else:
            if skiptoken:
                new_token, _, offset_text = skiptoken.strip("'").rpartition(".")
                start = int(offset_text)
            else:
                new_token, start = queue.issue(), 0
                applied["Preference-Applied"] = "odata.track-changes"
            rows = list(entity.records())
        page = rows[start:start + cap]
        results = [wire.v2_entry(base, service, entity, r, select) for r in page]
        body: dict[str, Any] = {"results": results}
        more = start + cap < len(rows)
        link = f"{base}{service.path}/{entity.name}"
        if more:
            extra = {"!deltatoken": delta_param} if delta_param else {}
            token_param = {**extra, "$skiptoken": f"{new_token}.{start + cap}"}
            body["__next"] = f"{link}?{urllib.parse.urlencode(token_param, safe=SAFE)}"
        else:
            body["__delta"] = f"{link}?!deltatoken='{new_token}'"
        return _json({"d": body}, headers=applied)
    matched = _order(entity, _matching(entity, params.get("$filter")), params.get("$orderby"))
    view = _View(entity, matched)
    skip = _int(request, "$skip") or 0
    top = _int(request, "$top")
    if skiptoken is not None:
        if not skiptoken.isdigit():
            raise SapError(400, "/IWBEP/CM_MGW_RT/022", f"Invalid skiptoken '{skiptoken}'")
        start = int(skiptoken)
    else:
        start = skip
    end = len(view) if top is None else min(len(view), skip + top)
    page_end = min(end, start + cap)
    rows = view.slice(start, page_end)
    more = page_end < end
    next_params = [(k, v) for k, v in params.multi_items() if k != "$skiptoken"]
    next_link = f"{base}{service.path}/{entity.name}?" + urllib.parse.urlencode(
        [*next_params, ("$skiptoken", str(page_end))], safe=SAFE)
    if service.v4:
        out: dict[str, Any] = {"@odata.context": f"$metadata#{entity.name}"}
        if params.get("$count") == "true":
            out["@odata.count"] = len(view)
        out["value"] = [wire.v4_entry(entity, r, select) for r in rows]
        if more:
            out["@odata.nextLink"] = next_link
        return _json(out, headers={"OData-Version": "4.0"})
    body = {"results": [wire.v2_entry(base, service, entity, r, select) for r in rows]}
    if params.get("$inlinecount") == "allpages":
        body["__count"] = str(len(view))
    if more:
        body["__next"] = next_link
    return _json({"d": body})


def _write(system: SapSystem, service: Service, entity: EntitySet, method: str, key_text: str | None,
           body: bytes, base: str) -> batch.Reply:
    """One create or update (also inside a change set); the HTTP reply."""
    try:
        try:
            payload = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError:
            raise SapError(400, "/IWBEP/CM_MGW_RT/004", "Malformed payload: the body is not JSON") from None
        if not isinstance(payload, dict):
            raise SapError(400, "/IWBEP/CM_MGW_RT/004", "Malformed payload")
        try:
            values = wire.incoming(entity, payload)
        except (ValueError, ArithmeticError) as exc:
            raise SapError(400, "/IWBEP/CM_MGW_RT/004", str(exc)) from None
        if method == "POST" and key_text is None:
            if not entity.creatable:
                raise SapError(405, "/IWBEP/CM_MGW_RT/021", f"Create is not supported for entity set {entity.name}")
            message = system.rejection(entity.name, values)
            if message:
                raise SapError(400, "ZSLUICE/001", message)
            record = {p.name: None for p in entity.props}
            record.update(values)
            if not record.get(entity.keys[0]):
                number = entity.size + len(entity.added) + 1
                record[entity.keys[0]] = entity.key_of_index(number)[0]
            key = entity.key(record)
            if entity.find(key) is not None:
                raise SapError(409, "/IWBEP/CM_MGW_RT/021", f"Entity with key {key} already exists")
            if "CreatedAt" in record and record["CreatedAt"] is None:
                record["CreatedAt"] = record["ChangedAt"] = 1_735_689_600_000
            entity.changed[key] = record
            entity.added.append(key)
            entry = wire.v2_entry(base, service, entity, record)
            return batch.Reply(201, "Created", {"Content-Type": "application/json",
                                                "Location": entry["__metadata"]["uri"]}, orjson.dumps({"d": entry}))
        if method in ("PUT", "PATCH", "MERGE") and key_text is not None:
            if not entity.updatable:
                raise SapError(405, "/IWBEP/CM_MGW_RT/021", f"Update is not supported for entity set {entity.name}")
            key = parse_key(key_text, entity)
            current = entity.find(key)
            if current is None:
                raise SapError(404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for key {key_text}")
            merged = dict(current, **values) if method != "PUT" else {**{p.name: None for p in entity.props}, **values}
            merged.update(dict(zip(entity.keys, key, strict=True)))
            message = system.rejection(entity.name, merged)
            if message:
                raise SapError(400, "ZSLUICE/001", message)
            entity.changed[key] = merged
            return batch.Reply(204, "No Content", {}, b"")
        raise SapError(405, "/IWBEP/CM_MGW_RT/021", f"Method {method} is not allowed here")
    except SapError as exc:
        response = exc.response()
        return batch.Reply(exc.status, "Error", {"Content-Type": "application/json"}, bytes(response.body))
    except FilterError as exc:
        return batch.Reply(400, "Bad Request", {"Content-Type": "application/json"},
                           bytes(SapError(400, "/IWBEP/CM_MGW_RT/022", str(exc)).response().body))


async def _batch(system: SapSystem, service: Service, request: Request, base: str) -> Response:
    try:
        parts = batch.parse(await request.body(), request.headers.get("Content-Type", ""))
    except ValueError as exc:
        raise SapError(400, "/IWBEP/CM_MGW_RT/025", str(exc)) from None
    results = []
    for part in parts:
        replies = []
        for operation in part.operations:
            wait = system.take_throttle(service.path + "/$batch/" + operation.url)
            name, key_text, _ = _address(operation.url.split("?")[0].lstrip("/"))
            entity = service.sets.get(name)
            if entity is None:
                reply = batch.Reply(404, "Not Found", {"Content-Type": "application/json"}, bytes(SapError(
                    404, "/IWFND/CM_MGW/020", f"Resource not found for segment '{name}'").response().body))
            elif wait is not None:
                reply = batch.Reply(429, "Too Many Requests", {"Content-Type": "application/json"}, b"{}")
            elif operation.method == "GET":
                record = entity.find(parse_key(key_text, entity)) if key_text else None
                found = orjson.dumps({"d": wire.v2_entry(base, service, entity, record)}) if record else b"{}"
                reply = batch.Reply(200 if record else 404, "OK" if record else "Not Found",
                                    {"Content-Type": "application/json"}, found)
            else:
                reply = _write(system, service, entity, operation.method, key_text, operation.body, base)
            replies.append(reply)
            if part.changeset and reply.status >= 400:
                replies = [reply]  # the change set is rolled back: only its error is answered
                break
        results.append((part, replies))
    body, content_type = batch.compose(results)
    return Response(body, 202, {"Content-Type": content_type, "DataServiceVersion": "2.0"})



