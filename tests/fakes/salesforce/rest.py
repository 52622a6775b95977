"""REST API routes of the fake org: versions, describe, query/queryAll paging, records, collections, limits."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import SalesforceError
from .org import Org
from .schema import BY_PREFIX, make_id

PAGE = 2000
CURSOR_TTL = 15 * 60
MAX_COLLECTION = 200
_SEASONS = ["Winter", "Spring", "Summer"]


def versions() -> list[dict]:
    """`GET /services/data/`: v20.0..v62.0 labelled by release, as Salesforce lists them."""
    out = []
    for n in range(20, 63):
        off = n - 59  # v59.0 is Winter '24; three releases a year
        out.append({"label": f"{_SEASONS[off % 3]} '{24 + off // 3:02d}", "url": f"/services/data/v{n}.0",
                    "version": f"{n}.0"})
    return out


def rest_datetime(value: str | None) -> str | None:
    """REST JSON spells datetimes `2024-01-31T10:00:00.000+0000` (Bulk CSV uses `...000Z`)."""
    return value[:-1] + "+0000" if value and value.endswith("Z") else value


def _version(request: Request) -> str:
    version = request.path_params.get("version", "")
    if not re.fullmatch(r"\d{2}\.0", version) or not 20 <= int(version[:2]) <= 62:
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
    return version


@dataclass
class Cursor:
    """An open query: the remaining rows, plus the last page kept so a retried page URL answers the same."""

    object_name: str
    columns: list[str]
    types: list[str]
    rows: Iterator[tuple]
    total: int
    position: int = 0
    last: tuple[int, list[dict], int] | None = None  # (offset, records, next position)
    expires: float = field(default_factory=lambda: time.monotonic() + CURSOR_TTL)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Cursors:
    """Query locators -> cursors, expiring 15 minutes after last use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cursors: dict[str, Cursor] = {}
        self._ids = itertools.count(1)

    def add(self, cursor: Cursor) -> str:
        locator = make_id("01g", next(self._ids))
        with self._lock:
            now = time.monotonic()
            for key in [k for k, c in self._cursors.items() if c.expires < now]:
                del self._cursors[key]
            self._cursors[locator] = cursor
        return locator

    def get(self, locator: str) -> Cursor:
        with self._lock:
            cursor = self._cursors.get(locator)
            if cursor is None or cursor.expires < time.monotonic():
                raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
            cursor.expires = time.monotonic() + CURSOR_TTL
            return cursor

    def drop(self, locator: str) -> None:
        with self._lock:
            self._cursors.pop(locator, None)


def _batch_size(request: Request) -> int:
    """`Sforce-Query-Options: batchSize=N` lowers the page size (200..2000)."""
    m = re.search(r"batchSize\s*=\s*(\d+)", request.headers.get("sforce-query-options", ""))
    return max(200, min(PAGE, int(m.group(1)))) if m else PAGE


async def _json_body(request: Request):
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except ValueError as exc:
        raise SalesforceError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}") from exc


def routes(org: Org) -> list[Route]:
    """The `/services/data` routes."""
    cursors = Cursors()
    base = "/services/data/v{version}"

    def api(kind: str, fn: Callable, body: bool = False, auth: bool = True) -> Callable:
        """An endpoint: guard (faults, auth, usage), parse JSON, run `fn` in the threadpool, map errors."""

        async def endpoint(request: Request) -> Response:
            try:
                if auth:
                    await org.aguard(request, kind)
                else:
                    org.count(kind)
                payload = await _json_body(request) if body else None
                args = (request, payload) if body else (request,)
                result = await run_in_threadpool(fn, *args)
            except SalesforceError as exc:
                return org.error_response(exc)
            return result if isinstance(result, Response) else org.json(result)

        return endpoint

    def url_of(version: str, obj: str, rid: str) -> str:
        return f"/services/data/v{version}/sobjects/{obj}/{rid}"

    def page(cursor: Cursor, version: str, size: int) -> list[dict]:
        """The next `size` records of a cursor as REST JSON records."""
        records = []
        stamps = [i for i, t in enumerate(cursor.types) if t == "datetime"]
        for row in itertools.islice(cursor.rows, size):
            rec = {"attributes": {"type": cursor.object_name, "url": url_of(version, cursor.object_name, row[-1])}}
            rec.update(zip(cursor.columns, row, strict=False))
            for i in stamps:
                rec[cursor.columns[i]] = rest_datetime(row[i])
            records.append(rec)
        return records

    def answer(locator: str | None, cursor: Cursor, offset: int, records: list[dict], version: str, all_: bool):
        cursor.last = (offset, records, cursor.position)
        done = cursor.position >= cursor.total
        out: dict = {"totalSize": cursor.total, "done": done}
        if done:
            if locator:
                cursors.drop(locator)
        else:
            locator = locator or cursors.add(cursor)
            out["nextRecordsUrl"] = f"/services/data/v{version}/{'queryAll' if all_ else 'query'}/{locator}-" \
                                    f"{cursor.position}"
        out["records"] = records
        return out

    def run_query(request: Request, all_: bool) -> dict:
        version = _version(request)
        q = request.query_params.get("q")
        if not q:
            raise SalesforceError(400, "MALFORMED_QUERY", "A query string has to be specified")
        result = org._run(q, include_deleted=all_, extra_id=True)
        if result.is_count:
            return {"totalSize": result.total_size, "done": True, "records": []}
        cursor = Cursor(result.object_name, result.columns, result.field_types, iter(result.rows), result.total_size)
        records = page(cursor, version, _batch_size(request))
        cursor.position = len(records)
        return answer(None, cursor, 0, records, version, all_)

    def query_more(request: Request, all_: bool) -> dict:
        version = _version(request)
        locator, _, offset_text = request.path_params["locator"].partition("-")
        cursor = cursors.get(locator)
        offset = int(offset_text) if offset_text.isdigit() else -1
        with cursor.lock:
            if cursor.last and cursor.last[0] == offset:  # a retried page: answer it again
                _, records, cursor.position = cursor.last
            elif offset == cursor.position:
                records = page(cursor, version, _batch_size(request))
                cursor.position += len(records)
            else:
                raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
            return answer(locator, cursor, offset, records, version, all_)

    def resources(request: Request) -> dict:
        v = f"/services/data/v{_version(request)}"
        names = ["sobjects", "query", "queryAll", "limits", "composite", "jobs", "search", "recent", "tooling"]
        return {name: f"{v}/{name}" for name in names}

    def describe_global(request: Request) -> dict:
        _version(request)
        return {"encoding": "UTF-8", "maxBatchSize": 200,
                "sobjects": [o.summary() for o in org.objects.values()]}

    def sobject_info(request: Request) -> dict:
        _version(request)
        return {"objectDescribe": org.object(request.path_params["obj"]).summary(), "recentItems": []}

    def describe(request: Request) -> dict:
        _version(request)
        return org.describe(request.path_params["obj"])

    def write_error(result: dict, about_record: bool = True) -> SalesforceError:
        """A failed single-record write as an HTTP error; a missing target record is a 404."""
        err = result["errors"][0]
        code = err["statusCode"]
        about_record = about_record and err["fields"] in ([], ["Id"])  # not about a reference field's target
        if about_record and code in ("INVALID_CROSS_REFERENCE_KEY", "MALFORMED_ID"):
            return SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        status = 404 if about_record and code == "ENTITY_IS_DELETED" else 400
        return SalesforceError(status, code, err["message"], fields=err["fields"])

    def create(request: Request, body) -> Response:
        _version(request)
        result = org.write(request.path_params["obj"], "insert", [_record_body(body)])[0]
        if not result["success"]:
            raise write_error(result, about_record=False)
        return org.json({"id": result["id"], "success": True, "errors": []}, 201)

    def retrieve(request: Request) -> dict:
        version = _version(request)
        obj = org.object(request.path_params["obj"])
        rid = request.path_params["rid"]
        rec = org.record(obj.name, rid, include_deleted=True) if re.fullmatch(r"[A-Za-z0-9]{15,18}", rid) else None
        if rec is None:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        if rec["IsDeleted"]:
            raise SalesforceError(404, "ENTITY_IS_DELETED", "entity is deleted")
        rec = {f.name: rest_datetime(rec[f.name]) if f.type == "datetime" else rec[f.name] for f in obj.fields}
        wanted = request.query_params.get("fields")
        if wanted:
            names = {n.strip().lower() for n in wanted.split(",")}
            rec = {k: v for k, v in rec.items() if k.lower() in names}
        return {"attributes": {"type": obj.name, "url": url_of(version, obj.name, rid)}, **rec}

    def update(request: Request, body) -> Response:
        _version(request)
        record = {**_record_body(body), "Id": request.path_params["rid"]}
        result = org.write(request.path_params["obj"], "update", [record])[0]
        if not result["success"]:
            raise write_error(result)
        return Response(status_code=204, headers=org.limit_header())

    def delete(request: Request) -> Response:
        _version(request)
        result = org.write(request.path_params["obj"], "delete", [{"Id": request.path_params["rid"]}])[0]
        if not result["success"]:
            raise write_error(result)
        return Response(status_code=204, headers=org.limit_header())

    def upsert_one(request: Request, body) -> Response:
        _version(request)
        ext, value = request.path_params["field"], request.path_params["value"]
        record = {**_record_body(body), ext: value}
        result = org.write(request.path_params["obj"], "upsert", [record], external_id_field=ext)[0]
        if not result["success"]:
            raise write_error(result)
        return org.json(result, 201 if result["created"] else 200)

    def limits(request: Request) -> dict:
        _version(request)
        used = org.api_usage
        return {
            "DailyApiRequests": {"Max": org.api_max, "Remaining": max(0, org.api_max - used)},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
            "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
            "DataStorageMB": {"Max": 1024, "Remaining": 1000},
        }

    def collection(op: str) -> Callable:
        def handler(request: Request, body=None) -> list[dict]:
            _version(request)
            org.count(f"collections_{op}")
            if op == "delete":
                ids = [i for i in request.query_params.get("ids", "").split(",") if i]
                all_or_none = request.query_params.get("allOrNone", "false").lower() == "true"
                records: list = [{"Id": i} for i in ids]
            else:
                if not isinstance(body, dict) or not isinstance(body.get("records"), list):
                    raise SalesforceError(400, "JSON_PARSER_ERROR", "The request body must be {\"records\": [...]}")
                records, all_or_none = body["records"], bool(body.get("allOrNone", False))
            if len(records) > MAX_COLLECTION:
                raise SalesforceError(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 "
                                      "records into this call")
            if op == "upsert":
                return org.write(request.path_params["obj"], "upsert", records, request.path_params["field"],
                                 all_or_none)
            return _collection_write(org, op, records, all_or_none)

        return handler

    both = [
        Route("/services/data", api("versions", lambda r: versions(), auth=False), methods=["GET"]),
        Route(f"{base}", api("resources", resources), methods=["GET"]),
        Route(f"{base}/sobjects", api("sobjects", describe_global), methods=["GET"]),
        Route(f"{base}/sobjects/{{obj}}", api("sobject", sobject_info), methods=["GET"]),
        Route(f"{base}/sobjects/{{obj}}", api("create", create, body=True), methods=["POST"]),
        Route(f"{base}/sobjects/{{obj}}/describe", api("describe", describe), methods=["GET"]),
        Route(f"{base}/sobjects/{{obj}}/{{rid}}", api("retrieve", retrieve), methods=["GET"]),
        Route(f"{base}/sobjects/{{obj}}/{{rid}}", api("update", update, body=True), methods=["PATCH"]),
        Route(f"{base}/sobjects/{{obj}}/{{rid}}", api("delete", delete), methods=["DELETE"]),
        Route(f"{base}/sobjects/{{obj}}/{{field}}/{{value}}", api("upsert", upsert_one, body=True),
              methods=["PATCH"]),
        Route(f"{base}/query", api("query", lambda r: run_query(r, False)), methods=["GET"]),
        Route(f"{base}/queryAll", api("queryAll", lambda r: run_query(r, True)), methods=["GET"]),
        Route(f"{base}/query/{{locator}}", api("queryMore", lambda r: query_more(r, False)), methods=["GET"]),
        Route(f"{base}/queryAll/{{locator}}", api("queryMore", lambda r: query_more(r, True)), methods=["GET"]),
        Route(f"{base}/limits", api("limits", limits), methods=["GET"]),
        Route(f"{base}/composite/sobjects", api("collections", collection("insert"), body=True), methods=["POST"]),
        Route(f"{base}/composite/sobjects", api("collections", collection("update"), body=True), methods=["PATCH"]),
        Route(f"{base}/composite/sobjects", api("collections", collection("delete")), methods=["DELETE"]),
        Route(f"{base}/composite/sobjects/{{obj}}/{{field}}", api("collections", collection("upsert"), body=True),
              methods=["PATCH"]),
    ]
    # Clients differ on trailing slashes (simple_salesforce sends `query/`): accept both spellings.
    return both + [Route(r.path + "/", r.endpoint, methods=list(r.methods or [])) for r in both]


def _record_body(body) -> dict:
    if not isinstance(body, dict):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    return body


def _collection_write(org: Org, op: str, records: list, all_or_none: bool) -> list[dict]:
    """Insert/update/delete a collection; each record's type comes from `attributes.type` or its Id prefix.

    Records are grouped by type (one write per type, answers kept in request order).
    """
    results: list[dict | None] = [None] * len(records)
    groups: dict[str, list[int]] = {}
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            rec = {}
        rtype = (rec.get("attributes") or {}).get("type")
        rid = str(rec.get("Id") or rec.get("id") or "")
        if not rtype and rid[:3] in BY_PREFIX:
            rtype = BY_PREFIX[rid[:3]].name
        known = rtype and any(o.lower() == str(rtype).lower() for o in org.objects)
        if not known:
            code, message = (("MALFORMED_ID", f"malformed id {rid}") if op == "delete" else
                             ("INVALID_TYPE", "Must specify a type in attributes"))
            results[i] = {"id": rid or None, "success": False,
                          "errors": [{"statusCode": code, "message": message, "fields": []}]}
            continue
        groups.setdefault(org.object(str(rtype)).name, []).append(i)
    for name, idx in groups.items():
        done = org.write(name, op, [records[i] for i in idx], all_or_none=all_or_none)
        for i, res in zip(idx, done, strict=True):
            results[i] = res
    return [r for r in results if r is not None]
