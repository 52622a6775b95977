"""The Redshift Data API stand-in's state: statements, each run on PostgreSQL in its own thread.

A statement (or a batch, which runs as one transaction) gets a UUID; a batch's parts are
`<id>:1`, `<id>:2`, ... Each runs on a fresh psycopg connection to the PostgreSQL database named
by `Database`; `COPY ... FROM 's3://...'` goes through `copy.run_copy`. Test controls (not the
vendor's API): `pause_copy()` / `resume_copy()` hold every COPY after it has listed its objects
(`copy_waiting` is set while one waits), `max_active` bounds running statements
(ActiveStatementsExceededException beyond it), `callers` records each request's access key id,
`deny = True` refuses every call with AccessDeniedException (a role without redshift-data rights).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3
import psycopg
from botocore.exceptions import ClientError

from tests.fakes.redshift.copy import CopyError, parse, run_copy

RUNNING = ("SUBMITTED", "PICKED", "STARTED")


class ApiError(Exception):
    """An error answer: `__type` and message, status 400 (as the Data API's JSON errors are)."""

    def __init__(self, type_: str, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.type, self.message, self.status, self.extra = type_, message, status, extra


class Canceled(Exception):
    """A statement's cancel was requested while it waited."""


@dataclass
class Part:
    """One SQL statement of a request (the only part of an ExecuteStatement)."""

    id: str
    sql: str
    status: str = "SUBMITTED"
    error: str | None = None
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    columns: list[dict[str, Any]] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    result_rows: int = -1
    has_result_set: bool = False


@dataclass
class Statement:
    """An ExecuteStatement or BatchExecuteStatement request and how far it got."""

    id: str
    parts: list[Part]
    batch: bool
    database: str
    name: str | None
    target: dict[str, Any]
    status: str = "SUBMITTED"
    error: str | None = None
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    conn: Any = None
    done: threading.Event = field(default_factory=threading.Event)


class RedshiftDataState:
    """Statements and the PostgreSQL + S3 they run against.

    `pg_port`: the PostgreSQL server standing in for the cluster; `s3_endpoint`: moto's URL;
    `clusters` / `workgroups`: the names that exist (others get a ValidationException);
    `page_rows`: rows per GetStatementResult page.
    """

    def __init__(self, pg_port: int, s3_endpoint: str, *, clusters: tuple[str, ...] = ("sluice-test",),
                 workgroups: tuple[str, ...] = ("sluice-wg",), max_active: int = 200, page_rows: int = 1000,
                 pg_user: str = "postgres") -> None:
        self.pg_port, self.pg_user = pg_port, pg_user
        self.clusters, self.workgroups = set(clusters), set(workgroups)
        self.max_active, self.page_rows = max_active, page_rows
        self.statements: dict[str, Statement] = {}
        self.callers: list[str] = []
        self.deny = False  # test control: refuse every call as IAM would (AccessDeniedException)
        self.copies: list[dict[str, Any]] = []
        self.copy_waiting = threading.Event()
        self._gate = threading.Event()
        self._gate.set()
        self._lock = threading.Lock()
        self._s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                                aws_access_key_id="testing", aws_secret_access_key="testing")

    # -- test controls -------------------------------------------------------------------------

    def pause_copy(self) -> None:
        """Hold every COPY from S3 once it has listed its objects, until `resume_copy`."""
        self.copy_waiting.clear()
        self._gate.clear()

    def resume_copy(self) -> None:
        """Let held COPYs go on."""
        self._gate.set()

    def dsn(self, database: str) -> str:
        """The PostgreSQL connection string for `database`."""
        return f"postgresql://{self.pg_user}@127.0.0.1:{self.pg_port}/{database}"

    # -- the API's operations ------------------------------------------------------------------

    def submit(self, sqls: list[str], params: dict[str, Any], batch: bool) -> Statement:
        """Start a statement (or batch) in the background; raises ApiError when refused."""
        target = self._target(params)
        database = str(params["Database"])
        with self._lock:
            active = sum(1 for s in self.statements.values() if s.status in RUNNING)
            if active >= self.max_active:
                raise ApiError("ActiveStatementsExceededException",
                               f"Active statements exceeded the allowed quota ({self.max_active}).")
            sid = str(uuid.uuid4())
            parts = [Part(f"{sid}:{n}" if batch else sid, sql) for n, sql in enumerate(sqls, start=1)]
            statement = Statement(sid, parts, batch, database, params.get("StatementName"), target)
            self.statements[sid] = statement
        threading.Thread(target=self._run, args=(statement,), name=f"redshift-data-{sid[:8]}", daemon=True).start()
        return statement

    def find(self, statement_id: str) -> tuple[Statement, Part | None]:
        """The statement an id names, and the part for a `<id>:<n>` id (None for the whole)."""
        base, _, number = statement_id.partition(":")
        statement = self.statements.get(base)
        if statement is None or (number and (not number.isdigit() or not 1 <= int(number) <= len(statement.parts))):
            raise ApiError("ResourceNotFoundException", f"Query does not exist: {statement_id}",
                           ResourceId=statement_id)
        return statement, statement.parts[int(number) - 1] if number else None

    def cancel(self, statement_id: str) -> bool:
        """CancelStatement: True once the cancel is under way; a finished statement is refused."""
        statement, _ = self.find(statement_id)
        if statement.status not in RUNNING:
            raise ApiError("ValidationException", "Could not cancel a query that is already in "
                           f"{statement.status} state with ID: {statement_id}")
        statement.cancel_requested.set()
        conn = statement.conn
        if conn is not None:
            conn.cancel_safe()
        statement.done.wait(10)
        return True

    # -- running ------------------------------------------------------------------------------

    def _target(self, params: dict[str, Any]) -> dict[str, Any]:
        cluster, workgroup = params.get("ClusterIdentifier"), params.get("WorkgroupName")
        if bool(cluster) == bool(workgroup):
            raise ApiError("ValidationException", "Either ClusterIdentifier or WorkgroupName must be specified.")
        if not params.get("Database"):
            raise ApiError("ValidationException", "Database must be specified.")
        if cluster:
            if cluster not in self.clusters:
                raise ApiError("ValidationException", f"Cluster {cluster} not found.")
            if not params.get("DbUser") and not params.get("SecretArn"):
                raise ApiError("ValidationException",
                               "DbUser or SecretArn must be specified for a provisioned cluster.")
            return {"ClusterIdentifier": cluster, "DbUser": params.get("DbUser")}
        if workgroup not in self.workgroups:
            raise ApiError("ValidationException", f"Workgroup {workgroup} not found.")
        return {"WorkgroupName": workgroup}

    def _run(self, statement: Statement) -> None:
        now = time.time
        statement.status = "STARTED"
        current: Part | None = None
        try:
            if statement.cancel_requested.is_set():
                raise Canceled
            with psycopg.connect(self.dsn(statement.database), connect_timeout=10) as conn:
                statement.conn = conn
                with conn.transaction():
                    for part in statement.parts:
                        current = part
                        part.status, part.updated = "STARTED", now()
                        self._run_part(conn, statement, part)
                        part.status, part.updated = "FINISHED", now()
                current = None
            statement.status = "FINISHED"
        except (Canceled, psycopg.errors.QueryCanceled):
            statement.status = "ABORTED"
            statement.error = "Query cancelled on user's request"
        except (psycopg.Error, CopyError, ClientError) as exc:
            statement.status = "FAILED"
            primary = exc.diag.message_primary if isinstance(exc, psycopg.Error) else None
            message = primary or str(exc)
            statement.error = f"ERROR: {message}"
        finally:
            statement.conn = None
            for part in statement.parts:
                if part.status in RUNNING:
                    part.status = statement.status if part is current or statement.status != "FAILED" else "ABORTED"
                    part.error = statement.error if part is current else None
                    part.updated = now()
            statement.updated = now()
            statement.done.set()

    def _run_part(self, conn: Any, statement: Statement, part: Part) -> None:
        copy = parse(part.sql)
        if copy is not None:
            self.copies.append({"table": copy.table, "columns": copy.columns, "role": copy.role,
                                "location": f"s3://{copy.bucket}/{copy.prefix}", "statement": statement.id})
            part.result_rows = run_copy(conn, copy, self._s3, lambda: self._hold(statement))
            return
        with conn.cursor() as cur:
            cur.execute(part.sql.encode())
            part.result_rows = cur.rowcount
            if cur.description is not None:
                part.has_result_set = True
                part.columns = [_column(d) for d in cur.description]
                part.rows = cur.fetchall()
                part.result_rows = len(part.rows)

    def _hold(self, statement: Statement) -> None:
        """The pause-COPY control: wait while paused, giving up when the statement is canceled."""
        while not self._gate.is_set():
            self.copy_waiting.set()
            if statement.cancel_requested.wait(0.05):
                raise Canceled


def _column(description: Any) -> dict[str, Any]:
    """ColumnMetadata for one result column."""
    from psycopg.postgres import types

    info = types.get(description.type_code)
    type_name = info.name if info is not None else "unknown"
    return {"name": description.name, "label": description.name, "typeName": type_name,
            "nullable": 1, "isCaseSensitive": type_name in ("text", "varchar", "bpchar"),
            "isSigned": type_name in ("int2", "int4", "int8", "numeric", "float4", "float8"),
            "isCurrency": False, "length": 0,
            "precision": description.precision or 0, "scale": description.scale or 0,
            "schemaName": "", "tableName": ""}
