"""The fake Salesforce org: sObject data in SQLite, auth, faults, change events, limits and counters.

Every route (REST, OAuth, Bulk, CometD) goes through one `Org`; `guard`/`aguard` apply injected faults,
authenticate and count API usage, and `json`/`error_response` add the `Sforce-Limit-Info` header.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.common.https import RequestLog

from . import soql as soql_mod
from .auth import Auth
from .errors import Fault, Faults, SalesforceError
from .events import EventLog
from .schema import OBJECTS, SQL_TYPES, ObjectDef, fmt_ms, generate
from .writes import apply_write

__all__ = ["DEFAULT_COUNTS", "Org", "QueryResult", "SalesforceError"]

DEFAULT_COUNTS = {"Account": 20000, "Contact": 50000, "Opportunity": 40000}
API_VERSION = "59.0"
_FETCH = 2000  # rows fetched per lock acquisition by lazy queries


@dataclass
class QueryResult:
    """A query's answer: selected field names (canonical spelling) and rows of Python values.

    Values: str, int, float, bool, None; dates 'YYYY-MM-DD'; datetimes '2024-01-31T10:00:00.000Z';
    a compound address is a dict {street, city, state, postalCode, country, ...} or None.
    """

    columns: list[str]
    rows: Iterator[tuple] | list[tuple]
    total_size: int
    is_count: bool
    object_name: str
    field_types: list[str]


class Org:
    """One fake org. Thread-safe: SQLite work happens under `self.lock`."""

    def __init__(self, seed_counts: dict[str, int] | None = None, seed: int = 7) -> None:
        self.lock = threading.RLock()
        self.db: sqlite3.Connection
        self.objects: dict[str, ObjectDef] = OBJECTS
        self.auth = Auth()
        self.faults = Faults()
        self.events = EventLog(commit_user=self.auth.user_id(Auth.DEFAULT_USER))
        self.counters: dict[str, int] = {}
        self.api_usage = 0
        self.log = RequestLog()  # every request (method, path, query), for tests to see what was asked
        self.api_max = 100_000
        self.cometd_timeout = 110.0
        self.api_version = API_VERSION
        self._counter_lock = threading.Lock()
        self._last_stamp = 0
        self.next_number: dict[str, int] = {}
        self.seed(seed_counts, seed)

    # -- data -------------------------------------------------------------------------------------------------------
    def seed(self, seed_counts: dict[str, int] | None = None, seed: int = 7) -> None:
        """(Re)create every table and fill it with deterministic generated rows."""
        counts = dict(DEFAULT_COUNTS if seed_counts is None else seed_counts)
        unknown = set(counts) - set(self.objects)
        if unknown:
            raise ValueError(f"no generator for {sorted(unknown)}")
        rng = random.Random(seed)
        parents: dict[str, list[str]] = {}
        next_number: dict[str, int] = {}
        # A fresh connection, swapped in at the end: cursors still streaming from the old data stay valid.
        db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        for obj in self.objects.values():
            cols = ", ".join(f'"{f.name}" {SQL_TYPES.get(f.type, "TEXT")}' for f in obj.fields if not f.compound)
            db.execute(f'CREATE TABLE "{obj.name}" ({cols})')
        for name in ("Account", "Contact", "Opportunity"):
            obj = self.objects[name]
            n = counts.get(name, 0)
            marks = ", ".join("?" for _ in obj.columns)
            db.execute("BEGIN")
            db.executemany(f'INSERT INTO "{name}" VALUES ({marks})', generate(name, n, rng, parents))
            db.execute("COMMIT")
            if name == "Account":
                parents["Account"] = [r[0] for r in db.execute('SELECT "Id" FROM "Account"')]
            next_number[obj.key_prefix] = n + 1
        for obj in self.objects.values():
            # Indexes after the bulk load: cheaper than maintaining them row by row.
            db.execute(f'CREATE UNIQUE INDEX "{obj.name}_Id" ON "{obj.name}" ("Id")')
            db.execute(f'CREATE INDEX "{obj.name}_Mod" ON "{obj.name}" ("SystemModstamp")')
            db.execute(f'CREATE INDEX "{obj.name}_LMD" ON "{obj.name}" ("LastModifiedDate")')
            if obj.field("External_Id__c"):
                db.execute(f'CREATE INDEX "{obj.name}_Ext" ON "{obj.name}" ("External_Id__c" COLLATE NOCASE)')
        with self.lock:
            self.db = db
            self.next_number = next_number

    def stamp(self) -> str:
        """Now as Salesforce datetime text; strictly increasing across calls so watermarks are deterministic."""
        with self.lock:
            self._last_stamp = max(int(time.time() * 1000), self._last_stamp + 1)
            return fmt_ms(self._last_stamp)

    def object_names(self) -> list[str]:
        """The sObjects this org has."""
        return list(self.objects)

    def object(self, name: str) -> ObjectDef:
        """An sObject by case-insensitive name, else 404 NOT_FOUND."""
        for obj in self.objects.values():
            if obj.name.lower() == name.lower():
                return obj
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")

    def describe(self, name: str) -> dict:
        """Salesforce describe JSON of an sObject (404 NOT_FOUND for unknown objects)."""
        return self.object(name).describe()

    # -- queries ----------------------------------------------------------------------------------------------------
    def query(self, soql: str, include_deleted: bool = False) -> QueryResult:
        """Run SOQL and materialise the rows (a list)."""
        result = self._run(soql, include_deleted, extra_id=False)
        result.rows = list(result.rows)
        return result

    def query_iter(self, soql: str, include_deleted: bool = False) -> QueryResult:
        """Run SOQL with rows streamed lazily from a SQLite cursor (for millions of rows)."""
        return self._run(soql, include_deleted, extra_id=False)

    def _run(self, soql: str, include_deleted: bool, extra_id: bool) -> QueryResult:
        """Run SOQL; with `extra_id` each row ends with the record Id (for REST `attributes.url`)."""
        tr = soql_mod.translate(soql)
        types = [f.type for f in tr.fields]
        count_sql, params = tr.sql(include_deleted, count=True)
        with self.lock:
            total = self.db.execute(count_sql, params).fetchone()[0]
            if tr.is_count:
                return QueryResult([], [], total, True, tr.obj.name, [])
            sql, params = tr.sql(include_deleted, extra_id=extra_id)
            cursor = self.db.execute(sql, params)
        return QueryResult(tr.columns, self._stream(cursor, tr.fields, extra_id), total, False, tr.obj.name, types)

    def _stream(self, cursor: sqlite3.Cursor, fields: list, extra_id: bool) -> Iterator[tuple]:
        convert = _row_converter(fields, extra_id)
        while True:
            with self.lock:
                chunk = cursor.fetchmany(_FETCH)
            if not chunk:
                return
            if convert is None:
                yield from chunk
            else:
                yield from map(convert, chunk)

    def record(self, object_name: str, record_id: str, include_deleted: bool = False) -> dict | None:
        """One record as {field: value} (compound fields included), or None."""
        obj = self.object(object_name)
        names = ", ".join(f.name for f in obj.fields)
        deleted = "" if include_deleted else " AND IsDeleted = false"
        quoted = record_id.replace("\\", "\\\\").replace("'", "\\'")
        rows = self._run(f"SELECT {names} FROM {obj.name} WHERE Id = '{quoted}'{deleted}", True, False).rows
        row = next(iter(rows), None)
        return None if row is None else dict(zip([f.name for f in obj.fields], row, strict=True))

    # -- writes -----------------------------------------------------------------------------------------------------
    def write(self, object_name: str, operation: str, records: list[dict], external_id_field: str | None = None,
              all_or_none: bool = False) -> list[dict]:
        """insert/update/upsert/delete records; per record `{"id", "success", "errors"}` (+ `created` on upsert)."""
        return apply_write(self, self.object(object_name), operation, records, external_id_field, all_or_none)

    # -- request plumbing -------------------------------------------------------------------------------------------
    def count(self, kind: str) -> None:
        """Count one request of `kind` (e.g. "query", "bulk_query") for tests to assert on."""
        with self._counter_lock:
            self.counters[kind] = self.counters.get(kind, 0) + 1

    def reset_counters(self) -> None:
        """Forget all request counts."""
        with self._counter_lock:
            self.counters.clear()

    def take_fault(self, request: Request) -> Fault | None:
        """The pending fault matching this request, if any (used up by one)."""
        return self.faults.take(request.method, request.url.path)

    def _after_fault(self, request: Request) -> str:
        user = self.auth.authenticate(request.headers.get("authorization"))
        with self._counter_lock:
            if self.api_usage >= self.api_max:
                raise SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            self.api_usage += 1
        return user

    def guard(self, request: Request, kind: str | None = None) -> str:
        """For sync handlers: count `kind`, apply a matching fault (sleeping its delay), authenticate,
        count API usage. Returns the user; raises SalesforceError."""
        if kind:
            self.count(kind)
        fault = self.take_fault(request)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status:
                raise fault.error()
        return self._after_fault(request)

    check_request = guard  # the name the design notes use

    async def aguard(self, request: Request, kind: str | None = None) -> str:
        """`guard` for async handlers (the fault delay does not block the event loop)."""
        if kind:
            self.count(kind)
        fault = self.take_fault(request)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status:
                raise fault.error()
        return self._after_fault(request)

    def limit_header(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self.api_usage}/{self.api_max}"}

    def json(self, data, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        """A JSON answer carrying `Sforce-Limit-Info`."""
        return JSONResponse(data, status_code=status, headers={**self.limit_header(), **(headers or {})})

    def error_response(self, exc: SalesforceError) -> Response:
        """The Salesforce error body `[{"message", "errorCode"}]` with the error's headers."""
        return self.json(exc.body(), exc.status, exc.headers)


def _row_converter(fields: list, extra_id: bool):
    """A function mapping SQLite rows to Python values, or None when rows are already right."""
    if not any(f.type == "boolean" or f.compound for f in fields):
        return None
    plan = []
    pos = 0
    for f in fields:
        if f.compound:
            plan.append(("address", pos, len(f.components)))
            pos += len(f.components)
        else:
            plan.append(("bool" if f.type == "boolean" else "plain", pos, 1))
            pos += 1
    if extra_id:
        plan.append(("plain", pos, 1))

    def convert(row: tuple) -> tuple:
        out = []
        for kind, i, n in plan:
            if kind == "plain":
                out.append(row[i])
            elif kind == "bool":
                out.append(None if row[i] is None else bool(row[i]))
            else:
                out.append(_address(row[i:i + n]))
        return tuple(out)

    return convert


def _address(parts: tuple) -> dict | None:
    """A compound address as the REST API shows it (null when every component is null)."""
    if all(p is None for p in parts):
        return None
    street, city, state, postal, country = parts
    return {"city": city, "country": country, "geocodeAccuracy": None, "latitude": None, "longitude": None,
            "postalCode": postal, "state": state, "street": street}
