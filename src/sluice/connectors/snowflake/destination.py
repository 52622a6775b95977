"""Writing to a Snowflake table (connectors layer): staged Parquet, then one `COPY INTO`.

`SnowflakeDestinationProperties`: `object` (`DB.SCHEMA.TABLE`, or `SCHEMA.TABLE` in the stage's
database), `intermediateBucketName`, `bucketPrefix`, `errorHandlingConfig`; there is no
`writeOperationType`, so every run INSERTs. The shared `warehouse.WarehouseDestination` fits
each batch to the table's columns (rows the table would refuse - a wrong type, a string longer
than its VARCHAR, a null in a NOT NULL column - go to the error bucket with a reason) and stages
the rest as Parquet under `s3://<intermediateBucketName>/<bucketPrefix>/<executionId>/`. The load
is, in one transaction:

    BEGIN
    COPY INTO "DB"."SCHEMA"."TABLE" FROM @"DB"."SCHEMA"."STAGE"/<folder>/
      FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE)
      MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE ON_ERROR = ABORT_STATEMENT
    COMMIT            (or ROLLBACK on any failure: the table is left as it was)

ON_ERROR is ABORT_STATEMENT whatever `failOnFirstDestinationError` says: the rows Snowflake would
reject are set aside, one by one with reasons, before the COPY, so a row the COPY still refuses
is a surprise that fails the run with Snowflake's first error (file, row, column) and loads
nothing - never a silent partial load. (`ON_ERROR = CONTINUE` would need `VALIDATE()` to name the
skipped rows; docs/connectors/snowflake.md says why Sluice does not rely on it.) COPY's answer
is checked: every file `LOADED`, and the rows loaded equal the rows staged.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Mapping
from typing import Any

from sluice.connectors.aws_identity import AwsIdentity
from sluice.connectors.base import ConnectorError, ProfileView, RunContext, report
from sluice.connectors.s3.storage import open_storage
from sluice.connectors.snowflake import types
from sluice.connectors.snowflake.connection import connect, display, qualified, sql_errors
from sluice.connectors.snowflake.metadata import read_columns, table_parts
from sluice.connectors.snowflake.stage import Stage, find_stage, relative_folder
from sluice.connectors.warehouse import Staged, WarehouseDestination
from sluice.connectors.warehouse.staging import staging_folder

log = logging.getLogger(__name__)

_SAFE_PATH = re.compile(r"[A-Za-z0-9_./=-]*")


def copy_statement(table_sql: str, stage: Stage, folder: str) -> str:
    """The COPY INTO that loads every Parquet part under `@stage/folder/`."""
    return (f"COPY INTO {table_sql} FROM @{stage.sql_name}/{folder} "
            "FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE) "
            "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE ON_ERROR = ABORT_STATEMENT")


class SnowflakeDestination(WarehouseDestination):
    """`Destination` for one Snowflake table (see the module docstring)."""

    def __init__(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> None:
        bucket = str(props.get("intermediateBucketName") or "")
        if not bucket:
            raise ConnectorError("InvalidArgument", "the Snowflake destination needs intermediateBucketName")
        prefix = props.get("bucketPrefix")
        self.connection = connect(profile)
        try:
            self.stage = find_stage(self.connection, profile.properties)
            database, schema, table = table_parts(str(props.get("object") or ""), self.stage.database)
            self.table_sql = qualified(database, schema, table)
            self.folder = relative_folder(self.stage, bucket, staging_folder(prefix, ctx.execution_id))
            if not _SAFE_PATH.fullmatch(self.folder):
                raise ConnectorError("InvalidArgument", "bucketPrefix may hold only letters, digits and _ . / = - "
                                     "(COPY reads the staged folder by that path)")
            columns = [types.column(c) for c in read_columns(self.connection, database, schema, table)]
            super().__init__(ctx, error_config=props.get("errorHandlingConfig"),
                             storage=open_storage(ctx.data_dir, ctx.aws, ctx.buckets), bucket=bucket,
                             prefix=prefix, target=display(database, schema, table), columns=columns)
        except BaseException:
            self.connection.close()
            raise

    def _load(self, staged: Staged) -> None:
        """BEGIN; COPY INTO from the stage; check what it loaded; COMMIT (ROLLBACK on any failure)."""
        cursor = self.connection.cursor()
        committed = False
        try:
            with sql_errors(f"loading {self.target}"):
                cursor.execute("BEGIN")
                report(self.ctx, "page", f"COPY INTO {self.target} from {self.stage.url}{self.folder}")
                cursor.execute(copy_statement(self.table_sql, self.stage, self.folder))
                names = [str(d[0]).lower() for d in cursor.description or []]
                results = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            self._check(results, staged)
            with sql_errors(f"committing the load of {self.target}"):
                cursor.execute("COMMIT")
            committed = True
        finally:
            if not committed:
                self._rollback(cursor)
            cursor.close()

    def _check(self, results: list[dict[str, Any]], staged: Staged) -> None:
        """Every staged part loaded, and exactly the staged rows (else the load is refused)."""
        loaded = sum(int(r.get("rows_loaded") or 0) for r in results)
        refused = [r for r in results if str(r.get("status") or "").upper() != "LOADED"]
        if refused:
            first = refused[0]
            raise ConnectorError("InvalidArgument", f"Snowflake did not load {first.get('file')} into {self.target} "
                                 f"({first.get('status')}: {first.get('first_error') or 'no reason given'}); "
                                 "nothing was loaded")
        if loaded != staged.rows:
            raise ConnectorError("ServerError", f"Snowflake's COPY INTO {self.target} loaded {loaded} of the "
                                 f"{staged.rows} staged record(s); nothing was loaded")

    def _rollback(self, cursor: Any) -> None:
        try:
            cursor.execute("ROLLBACK")
        except Exception as exc:  # a session that ends without COMMIT is rolled back all the same
            log.warning("run %s: ROLLBACK of %s failed: %s", self.ctx.execution_id, self.target,
                        type(exc).__name__)

    def _release(self) -> None:
        # A close that fails leaves a session Snowflake times out on its side.
        with contextlib.suppress(Exception):
            self.connection.close()


def rollback_load(manifest: Mapping[str, Any], data_dir: str, aws: AwsIdentity | None = None) -> None:
    """`ConnectorSpec.rollback_destination` for a run killed after it began its load.

    The load is one transaction that Sluice opened and never committed unless COPY's answer was
    checked, and a Snowflake session that ends without COMMIT is rolled back; so what remains of
    the run is its staged parts, deleted here so nothing can load them later. A kill in the
    instant between Snowflake's COMMIT and the run's recorded outcome leaves the rows loaded (the
    run is still recorded as interrupted): docs/connectors/snowflake.md says so.
    """
    bucket, folder = str(manifest.get("bucket") or ""), str(manifest.get("folder") or "")
    if not bucket or not folder:
        return
    storage = open_storage(data_dir, aws)
    try:
        with storage.errors(storage.location(bucket, folder)):
            storage.delete_prefix(bucket, folder)
    except ConnectorError as exc:
        if exc.code != "ResourceNotFound":
            raise


def open_destination(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> SnowflakeDestination:
    """`ConnectorSpec.open_destination` for Snowflake."""
    return SnowflakeDestination(profile, props, ctx)
