"""A Snowflake stand-in for tests: fakesnow's server behind a login check, reading external stages from moto.

fakesnow (https://github.com/tekumara/fakesnow) answers Snowflake's own client protocol
(`/session/v1/login-request`, `/queries/v1/query-request`) with DuckDB underneath, so
`snowflake-connector-python` talks to it unchanged. Three things are added here, each small:

* **Logins are checked.** fakesnow accepts any user; the stand-in knows its users and answers a
  wrong user name or password as Snowflake does: HTTP 200, `success: false`, code `390100`,
  "Incorrect username or password was specified." (the connector raises it as a
  `DatabaseError` with errno 390100).
* **External stages read S3 from moto** (or from the folder of Sluice's embedded store, for
  benchmarks). fakesnow's `COPY INTO ... FROM @stage` reads `s3://`
  URLs through DuckDB's httpfs extension, which cannot be installed offline. The stand-in resolves
  an external stage's `s3://bucket/prefix/folder/` to a local copy of those objects, fetched with
  boto3 from the moto endpoint it was given, just before fakesnow globs and reads them.
* **Warehouses.** fakesnow has one warehouse and ignores `USE WAREHOUSE`; the stand-in answers
  `SHOW WAREHOUSES` with the warehouses it was configured with.
* **A quoted stage in a COPY transformation** (`FROM (SELECT $1:a FROM '@stage')`), the form
  `write_pandas` sends, which this fakesnow release reads only unquoted.

Test controls (not Snowflake's API): `statements` (every SQL text received), `hold_copies()` /
`release_copies()` with `copy_started` (a COPY waits inside its transaction, so a test can kill
the client mid-load), `fail_next_copy(message)`, and `sql(...)` to run SQL directly on the
stand-in's database (setup and assertions, no HTTP).

What it cannot show (docs/connectors/snowflake.md): ON_ERROR other than ABORT_STATEMENT,
VALIDATE(), storage integrations and stage credentials, Snowflake's type coercions beyond
DuckDB's, VARIANT parsing, load metadata by ETag, warehouse suspension, key-pair logins.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
import threading
from typing import Any
from urllib.parse import urlsplit

import boto3
import fakesnow.copy_into
import fakesnow.server
import fakesnow.transforms.show
from sqlglot import exp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.common.https import HttpsFake

INCORRECT_LOGIN = "Incorrect username or password was specified."

_active: SnowflakeStandIn | None = None
_original_stage_url = fakesnow.copy_into.stage_url_from_var
_original_from_source = fakesnow.copy_into._from_source
_ORIGINAL_WAREHOUSES = fakesnow.transforms.show.SQL_SHOW_WAREHOUSES


def _stage_url(var: str, duck_conn: Any, current_database: str | None, current_schema: str | None,
               table_stages: Any, target_table: Any) -> str:
    """fakesnow's stage lookup, with an external S3 stage's objects copied to a local folder."""
    url = _original_stage_url(var, duck_conn, current_database, current_schema, table_stages, target_table)
    if not current_database and target_table.catalog:
        # fakesnow keeps COPY's load history in the session's current database; Snowflake needs none
        # for a fully qualified COPY, so make the target's database current for fakesnow's sake.
        duck_conn.execute(f'USE "{target_table.catalog}"')
    if _active is None or not url.startswith("s3://"):
        return url
    return _active.local_copy(url)


def _from_source(expr: Any) -> str:
    """fakesnow's COPY source, also reading a stage written as a quoted location in a transformation
    (`FROM (SELECT $1:a FROM '@stage')`, which Snowflake accepts and `write_pandas` sends)."""
    select = expr.args["files"][0].this
    if isinstance(select, exp.Select) and isinstance(select.args.get("from_"), exp.From):
        location = select.args["from_"].this.this
        if isinstance(location, exp.Literal) and location.is_string and location.name.startswith("@"):
            return str(location.name)
    return str(_original_from_source(expr))


def _install() -> None:
    """Patch fakesnow once per process (its server is module-global too)."""
    fakesnow.copy_into.stage_url_from_var = _stage_url
    fakesnow.copy_into._from_source = _from_source


class SnowflakeStandIn:
    """fakesnow's Snowflake server on https://127.0.0.1:PORT, with the additions above."""

    def __init__(self, s3_endpoint: str | None = None, *, local_buckets: str | None = None,
                 users: dict[str, str] | None = None, warehouses: tuple[str, ...] = ("LOAD_WH",),
                 region: str = "us-east-1") -> None:
        # Stage objects come from moto (`s3_endpoint`) or, for benchmarks, straight from the folder of
        # Sluice's embedded S3 store (`local_buckets`: <data dir>/s3, one folder per bucket).
        self.s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name=region, aws_access_key_id="testing",
                               aws_secret_access_key="testing") if s3_endpoint else None
        self.local_buckets = local_buckets
        self.users = dict(users or {"LOADER": "s3cret-pw"})
        self.warehouses = tuple(w.upper() for w in warehouses)
        self.statements: list[str] = []
        self.copy_started = threading.Event()
        self._release = threading.Event()
        self._release.set()
        self._fail_next: str | None = None
        self._lock = threading.Lock()
        self._mirror = tempfile.mkdtemp(prefix="snowflake-stage-")
        self._fake: HttpsFake | None = None
        self.app = Starlette(routes=[
            Route("/session/v1/login-request", self._login, methods=["POST"]),
            Route("/queries/v1/query-request", self._query, methods=["POST"]),
            *[r for r in fakesnow.server.routes if getattr(r, "path", "") not in
              ("/session/v1/login-request", "/queries/v1/query-request")],
        ])

    # -- serving ---------------------------------------------------------------------------------

    def start(self) -> SnowflakeStandIn:
        global _active
        _install()
        _active = self
        fakesnow.transforms.show.SQL_SHOW_WAREHOUSES = self._warehouses_sql()
        self._fake = HttpsFake(self.app, name="snowflake").start()
        return self

    def stop(self) -> None:
        global _active
        self._release.set()
        if self._fake is not None:
            self._fake.stop()
        if _active is self:
            _active = None
        shutil.rmtree(self._mirror, ignore_errors=True)

    def __enter__(self) -> SnowflakeStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._fake is not None
        return self._fake.url

    @property
    def port(self) -> int:
        assert self._fake is not None
        return self._fake.port

    # -- test controls ----------------------------------------------------------------------------

    def hold_copies(self) -> None:
        """Make the next COPY INTO wait (inside its transaction) until `release_copies`."""
        self.copy_started.clear()
        self._release.clear()

    def release_copies(self) -> None:
        self._release.set()

    def fail_next_copy(self, message: str) -> None:
        """The next COPY INTO fails as Snowflake reports a load error (ProgrammingError 100038)."""
        self._fail_next = message

    def sql(self, statement: str, database: str | None = None) -> list[tuple[Any, ...]]:
        """Run SQL on the stand-in's database directly (fakesnow's in-process connection)."""
        connection = fakesnow.server.shared_fs.connect(database, None)
        try:
            cursor = connection.cursor()
            cursor.execute(statement)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            connection.close()

    def copies(self) -> list[str]:
        """The COPY INTO statements received, oldest first."""
        return [s for s in self.statements if s.lstrip().upper().startswith("COPY")]

    # -- the added behaviour -------------------------------------------------------------------------

    def local_copy(self, url: str) -> str:
        """Copy the objects under `s3://bucket/prefix` from moto to a local folder; that folder's path."""
        self.copy_started.set()
        self._release.wait(timeout=600)
        if self._fail_next is not None:
            import snowflake.connector.errors

            message, self._fail_next = self._fail_next, None
            raise snowflake.connector.errors.ProgrammingError(msg=message, errno=100038, sqlstate="22018")
        parts = urlsplit(url)
        bucket, prefix = parts.netloc, parts.path.lstrip("/")
        if self.local_buckets is not None:
            return os.path.join(self.local_buckets, bucket, prefix)
        assert self.s3 is not None
        with self._lock:
            target = tempfile.mkdtemp(dir=self._mirror)
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    key = item["Key"]
                    if key.endswith("/"):
                        continue
                    path = os.path.join(target, bucket, key)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    self.s3.download_file(bucket, key, path)
        # fakesnow globs `<url>*`: keep the prefix's own trailing part so it matches the same objects.
        return os.path.join(target, bucket, prefix)

    def _warehouses_sql(self) -> str:
        """fakesnow's SHOW WAREHOUSES row, once per configured warehouse."""
        template = _ORIGINAL_WAREHOUSES.strip().rstrip(";")
        return " UNION ALL ".join(template.replace("'FAKESNOW_WAREHOUSE' as name", f"'{name}' as name")
                                  for name in self.warehouses) + ";"

    async def _body(self, request: Request) -> dict[str, Any]:
        body = await request.body()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return dict(json.loads(body))

    async def _login(self, request: Request) -> Response:
        data = (await self._body(request)).get("data") or {}
        user = str(data.get("LOGIN_NAME") or "").upper()
        if user not in self.users or data.get("PASSWORD") != self.users[user]:
            return JSONResponse({"data": {"nextAction": None, "authnMethod": "USERNAME_PASSWORD"},
                                 "code": "390100", "message": INCORRECT_LOGIN, "success": False, "headers": None})
        return await fakesnow.server.login_request(request)

    async def _query(self, request: Request) -> Response:
        text = str((await self._body(request)).get("sqlText") or "")
        with self._lock:
            self.statements.append(text)
        return await fakesnow.server.query_request(request)

