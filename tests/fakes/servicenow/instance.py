"""The fake ServiceNow instance's state: records in SQLite, metadata tables, auth, limits and test controls.

Routes (`table_api`, `oauth`) go through one `Instance`. Test controls (not vendor API):
`throttle_next(n)` forces 429s, `rate_limit(per_hour)` installs a rate-limit rule, `auth.expire_tokens()`
expires OAuth access tokens, `touch(table, ...)` updates records later (for incremental pulls), and
`log` (a RequestLog) records every request so tests can see what was pushed down, `latency` (seconds)
delays every Table API answer (a remote instance's time per call, for benchmarks) and `most_in_flight`
is the most Table API requests the instance was answering at once.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tests.fakes.common.https import RequestLog

from . import schema
from .auth import Auth
from .encoded_query import translate
from .errors import ServiceNowError, invalid_table, no_record, not_authorized
from .seed import Seeder, fmt, sys_id

DEFAULT_COUNTS = {"sys_user": 60, "sys_user_group": 12, "cmdb_ci": 30, "cmdb_ci_server": 30, "problem": 40,
                  "incident": 300, "change_request": 60}
DEFAULT_LIMIT = 10000  # rows per page when sysparm_limit is absent
NUMBER_PREFIX = {"incident": "INC", "problem": "PRB", "change_request": "CHG", "task": "TASK"}
_FETCH = 2000


@dataclass
class Throttle:
    """Pending forced 429s."""

    remaining: int = 0
    retry_after: int = 1
    path_part: str = ""  # only requests whose path contains this
    skip: int = 0  # matching requests answered normally before the first 429


class Instance:
    """One fake instance. Thread-safe: SQLite work happens under `self.lock`."""

    def __init__(self, counts: dict[str, int] | None = None, seed: int = 7, token_ttl: float = 1800) -> None:
        self.lock = threading.RLock()
        self.auth = Auth(token_ttl=token_ttl)
        self.log = RequestLog()
        self.invalid_query_returns_no_rows = False
        self.latency = 0.0
        self.in_flight = 0
        self.most_in_flight = 0
        self._throttle = Throttle()
        self._rule: tuple[int, str] | None = None  # (requests per hour, rule sys_id)
        self._window: tuple[int, dict[str, int]] = (0, {})  # (hour, requests per user)
        self.meta_ids: dict[str, str] = {}  # table name -> its sys_db_object sys_id
        self.next_number: dict[str, int] = {}
        self.db = self._build(dict(DEFAULT_COUNTS if counts is None else counts), seed)

    # -- data -------------------------------------------------------------------------------------------------------
    def _build(self, counts: dict[str, int], seed: int) -> sqlite3.Connection:
        unknown = set(counts) - {"sys_user", "sys_user_group", "cmdb_ci", "cmdb_ci_server", "problem", "incident",
                                 "change_request"}
        if unknown:
            raise ValueError(f"no generator for {sorted(unknown)}")
        db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        roots = sorted({schema.root(t.name) for t in schema.TABLES})
        for root in roots:
            cols = ", ".join(f'"{c.element}" {schema.sql_type(c)}' for c in schema.storage_columns(root))
            db.execute(f'CREATE TABLE "{root}" ({cols})')
        seeder = Seeder(seed)
        self._load(db, "sys_user", seeder.users(counts.get("sys_user", 0)))
        self._load(db, "sys_user_group", seeder.groups(counts.get("sys_user_group", 0)))
        self._load(db, "cmdb_ci", seeder.cis(counts.get("cmdb_ci", 0), counts.get("cmdb_ci_server", 0)))
        self._load(db, "task", seeder.problems(counts.get("problem", 0)))
        self._load(db, "task", seeder.incidents(counts.get("incident", 0)))
        self._load(db, "task", seeder.changes(counts.get("change_request", 0)))
        for name in ("incident", "problem", "change_request"):
            self.next_number[name] = counts.get(name, 0) + 10001
        self._load(db, "sys_db_object", self._table_rows(seeder))
        self._load(db, "sys_dictionary", self._dictionary_rows(seeder))
        for root in roots:
            db.execute(f'CREATE UNIQUE INDEX "{root}_id" ON "{root}" (sys_id)')
            db.execute(f'CREATE INDEX "{root}_upd" ON "{root}" (sys_updated_on)')
            # The order readers page in (sys_created_on, sys_id) without sorting the table per page.
            db.execute(f'CREATE INDEX "{root}_created" ON "{root}" (sys_created_on, sys_id)')
        return db

    @staticmethod
    def _load(db: sqlite3.Connection, root: str, rows: Iterable[dict]) -> None:
        names = [c.element for c in schema.storage_columns(root)]
        marks = ", ".join("?" for _ in names)
        quoted = ", ".join(f'"{n}"' for n in names)
        db.execute("BEGIN")
        db.executemany(f'INSERT INTO "{root}" ({quoted}) VALUES ({marks})',
                       (tuple(row.get(n) for n in names) for row in rows))
        db.execute("COMMIT")

    def _table_rows(self, seeder: Seeder) -> Iterator[dict]:
        for table in schema.TABLES:
            self.meta_ids[table.name] = sys_id(seeder.rng)
        for table in schema.TABLES:
            yield {"sys_id": self.meta_ids[table.name], "sys_created_on": "2022-11-02 08:00:00",
                   "sys_created_by": "system", "sys_updated_on": "2022-11-02 08:00:00", "sys_updated_by": "system",
                   "sys_mod_count": 0, "name": table.name, "label": table.label,
                   "super_class": self.meta_ids.get(table.super_class or ""),
                   "is_extendable": "true" if table.extendable else "false"}

    @staticmethod
    def _dictionary_rows(seeder: Seeder) -> Iterator[dict]:
        stamp = {"sys_created_on": "2022-11-02 08:00:00", "sys_created_by": "system",
                 "sys_updated_on": "2022-11-02 08:00:00", "sys_updated_by": "system", "sys_mod_count": 0}
        for table in schema.TABLES:
            # The table's own entry: no element, type "collection".
            yield {**stamp, "sys_id": sys_id(seeder.rng), "name": table.name, "element": None,
                   "column_label": table.label, "internal_type": "collection", "max_length": 40,
                   "primary": "false", "mandatory": "false", "read_only": "false", "display": "false",
                   "active": "true"}
            for c in table.columns:
                yield {**stamp, "sys_id": sys_id(seeder.rng), "name": table.name, "element": c.element,
                       "column_label": c.label, "internal_type": c.internal_type, "max_length": c.max_length,
                       "reference": c.reference, "primary": _bool(c.primary), "mandatory": _bool(c.mandatory),
                       "read_only": _bool(c.element.startswith("sys_")), "display": _bool(c.display),
                       "active": "true"}

    # -- access -----------------------------------------------------------------------------------------------------
    def table(self, name: str, user: str) -> schema.Table:
        """The table `name` if the user may read it (400 unknown table, 403 ACL)."""
        table = schema.BY_NAME.get(name)
        if table is None:
            raise invalid_table(name)
        required = next((t.read_roles for t in schema.lineage(name) if t.read_roles), frozenset())
        roles = self.auth.roles(user)
        if required and "admin" not in roles and not (required & roles):
            raise not_authorized()
        return table

    def admit(self, user: str, path: str = "") -> dict[str, str]:
        """Apply forced throttles and the rate-limit rule to one authenticated request.

        Returns the rate-limit headers to add to the answer; raises a 429 ServiceNowError when over."""
        with self.lock:
            throttle = self._throttle
            if throttle.remaining > 0 and throttle.path_part in path:
                if throttle.skip > 0:
                    throttle.skip -= 1
                else:
                    throttle.remaining -= 1
                    wait = throttle.retry_after
                    raise _too_many(wait, 0, int(time.time()) + wait, "forced")
            if self._rule is None:
                return {}
            per_hour, rule = self._rule
            hour = int(time.time() // 3600)
            if self._window[0] != hour:
                self._window = (hour, {})
            used = self._window[1].get(user, 0) + 1
            self._window[1][user] = used
            reset = (hour + 1) * 3600
            if used > per_hour:
                raise _too_many(max(1, reset - int(time.time())), per_hour, reset, rule)
            return {"X-RateLimit-Limit": str(per_hour), "X-RateLimit-Reset": str(reset), "X-RateLimit-Rule": rule}

    # -- reads ------------------------------------------------------------------------------------------------------
    def query(self, table: str, encoded: str, limit: int, offset: int) -> tuple[int, list[dict]]:
        """(total matches, the page of rows as {column: stored value}) for a Table API list request."""
        root = schema.root(table)
        tr = translate(table, encoded, self.invalid_query_returns_no_rows)
        where, params = tr.where, list(tr.params)
        if root != table:
            classes = schema.descendants(table)
            where = f"({where}) AND sys_class_name IN ({', '.join('?' for _ in classes)})"
            params.extend(classes)
        order = ", ".join(f'"{c}" {"DESC" if d else "ASC"}' for c, d in tr.order)
        order_sql = f"ORDER BY {order}, rowid" if order else "ORDER BY rowid"
        with self.lock:
            total = self.db.execute(f'SELECT count(*) FROM "{root}" WHERE {where}', params).fetchone()[0]
            cursor = self.db.execute(f'SELECT * FROM "{root}" WHERE {where} {order_sql} LIMIT ? OFFSET ?',
                                     [*params, limit, offset])
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        return total, rows

    def record(self, table: str, record_id: str) -> dict:
        """One row of `table` (or a child table) by sys_id, else 404."""
        root = schema.root(table)
        classes = schema.descendants(table) if root != table else None
        with self.lock:
            cursor = self.db.execute(f'SELECT * FROM "{root}" WHERE sys_id = ?', [record_id])
            names = [d[0] for d in cursor.description]
            row = cursor.fetchone()
        if row is None:
            raise no_record()
        found = dict(zip(names, row, strict=True))
        if classes is not None and found.get("sys_class_name") not in classes:
            raise no_record()
        return found

    def lookup(self, table: str, ids: Iterable[str], column: str) -> dict[str, object]:
        """{sys_id: value of `column`} for referenced records (display values, dot-walked fields)."""
        wanted = sorted({i for i in ids if i})
        if not wanted or table not in schema.BY_NAME:
            return {}
        root = schema.root(table)
        if column not in {c.element for c in schema.storage_columns(root)}:
            return {}
        out: dict[str, object] = {}
        with self.lock:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ", ".join("?" for _ in chunk)
                for key, value in self.db.execute(
                        f'SELECT sys_id, "{column}" FROM "{root}" WHERE sys_id IN ({marks})', chunk):
                    out[key] = value
        return out

    # -- writes -----------------------------------------------------------------------------------------------------
    def stamp(self) -> str:
        """Now as a ServiceNow datetime (UTC, whole seconds)."""
        return fmt(dt.datetime.now(dt.UTC).replace(tzinfo=None))

    def insert(self, table: str, values: dict, user: str) -> dict:
        """Create a record (unknown fields are ignored, as the Table API does); returns the stored row."""
        columns = {c.element: c for c in schema.columns(table)}
        now = self.stamp()
        row: dict[str, object] = {k: _store(columns[k], v) for k, v in values.items()
                                  if k in columns and not k.startswith("sys_")}
        row.update(sys_id=sys_id_now(), sys_created_on=now, sys_created_by=user, sys_updated_on=now,
                   sys_updated_by=user, sys_mod_count=0)
        if "sys_class_name" in columns:
            row["sys_class_name"] = table
        with self.lock:
            if "number" in columns and not row.get("number"):
                n = self.next_number.get(table, 10001)
                self.next_number[table] = n + 1
                row["number"] = f"{NUMBER_PREFIX.get(table, 'TASK')}{n:07d}"
            if "opened_at" in columns and not row.get("opened_at"):
                row["opened_at"] = now
            self._load(self.db, schema.root(table), [row])
        return self.record(table, str(row["sys_id"]))

    def update(self, table: str, record_id: str, values: dict, user: str, at: str | None = None) -> dict:
        """Change fields of one record, stamping sys_updated_on/by and sys_mod_count."""
        self.record(table, record_id)
        columns = {c.element: c for c in schema.columns(table)}
        changes = {k: _store(columns[k], v) for k, v in values.items() if k in columns and not k.startswith("sys_")}
        changes.update(sys_updated_on=at or self.stamp(), sys_updated_by=user)
        sets = ", ".join(f'"{k}" = ?' for k in changes)
        with self.lock:
            self.db.execute(f'UPDATE "{schema.root(table)}" SET {sets}, sys_mod_count = sys_mod_count + 1 '
                            f"WHERE sys_id = ?", [*changes.values(), record_id])
        return self.record(table, record_id)

    def delete(self, table: str, record_id: str) -> None:
        """Delete one record."""
        self.record(table, record_id)
        with self.lock:
            self.db.execute(f'DELETE FROM "{schema.root(table)}" WHERE sys_id = ?', [record_id])

    # -- test controls ----------------------------------------------------------------------------------------------
    def throttle_next(self, n: int, retry_after: int = 1, path_part: str = "", after: int = 0) -> None:
        """Answer `n` Table API requests with 429 and `Retry-After: retry_after`: the next ones whose
        path contains `path_part`, once `after` of them have been answered normally (a 429 mid-read)."""
        with self.lock:
            self._throttle = Throttle(n, retry_after, path_part, after)

    def rate_limit(self, per_hour: int | None) -> None:
        """Install (or with None remove) a rate-limit rule for all users: `per_hour` requests per hour."""
        with self.lock:
            self._rule = None if per_hour is None else (per_hour, sys_id_now())
            self._window = (0, {})

    def touch(self, table: str, count: int = 1, changes: dict | None = None, at: str | None = None,
              ids: list[str] | None = None) -> list[str]:
        """Update `count` records of `table` (or the given `ids`) now (or `at`); returns their sys_ids."""
        if ids is None:
            _, rows = self.query(table, "ORDERBYsys_created_on", count, 0)
            ids = [str(r["sys_id"]) for r in rows]
        for record_id in ids:
            self.update(table, record_id, changes or {}, "integration.user", at)
        return ids

    def count(self, table: str, encoded: str = "") -> int:
        """How many records of `table` match `encoded`."""
        return self.query(table, encoded, 0, 0)[0]


def sys_id_now() -> str:
    """A fresh random sys_id."""
    return secrets.token_hex(16)


def _bool(flag: bool) -> str:
    return "true" if flag else "false"


def _store(column: schema.Column, value: object) -> object:
    """A value sent by a client, stored as the platform would (empty string -> empty)."""
    if isinstance(value, dict):  # a reference sent back as {"value": ...}
        value = value.get("value")
    if value is None or value == "":
        return None
    if column.internal_type == "boolean":
        return "true" if str(value).lower() in ("true", "1") else "false"
    if column.internal_type in schema.INTEGER_TYPES:
        try:
            return int(float(str(value)))
        except ValueError:
            return None
    if column.internal_type in schema.REAL_TYPES:
        try:
            return float(str(value))
        except ValueError:
            return None
    return str(value)


def _too_many(retry_after: int, per_hour: int, reset: int, rule: str) -> ServiceNowError:
    headers = {"Retry-After": str(retry_after), "X-RateLimit-Reset": str(reset), "X-RateLimit-Rule": rule}
    if per_hour:
        headers["X-RateLimit-Limit"] = str(per_hour)
    return ServiceNowError(429, "Maximum per hour rate limit exceeded",
                           f"The rate limit rule {rule} allows {per_hour or 'no more'} requests per hour; "
                           f"retry after {retry_after} seconds", headers)
