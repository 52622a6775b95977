"""Writing to a PostgreSQL table, all or nothing (connectors layer): COPY into a stage, then one statement.

The run holds one connection and one transaction from its first batch to its end:

1. each batch is fitted to the table's columns by the warehouse layer's `Conformer` (a value of
   the wrong type, a string longer than the column, a null in a NOT NULL column are refused per
   record, with a message naming the column): refused records go to the run's `ErrorSink`
   (`errorHandlingConfig`: counted as put failures, written to `errors.jsonl` in the error bucket,
   fatal at once with `failOnFirstDestinationError`);
2. the accepted rows are COPYed (CSV written by pyarrow) into a temporary stage table made
   `AS SELECT <columns> FROM <table> WITH NO DATA` (the table's own types; dropped at commit);
3. `commit()` runs one statement from the stage - `INSERT`, `INSERT ... ON CONFLICT (idFieldNames)
   DO UPDATE` (UPSERT; the last record of a key wins within a run) or `UPDATE ... FROM` (UPDATE;
   staged records that match no row are refused to the error sink as `ResourceNotFound`) - and
   commits. Anything the database refuses there (a unique violation on INSERT, a foreign key)
   rolls the whole run back: the table is left as it was.

`abort()` rolls back; a killed server's open transaction is rolled back by PostgreSQL itself.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sluice.connectors.base import ConnectorError, ProfileView, RunContext, WriteResult, report
from sluice.connectors.error_records import ErrorSink
from sluice.connectors.jdbc.connection import close, connect, statement_error
from sluice.connectors.jdbc.metadata import TableColumn, table_columns
from sluice.connectors.jdbc.settings import read_settings
from sluice.connectors.jdbc.sql import quote_identifier
from sluice.connectors.warehouse.columns import Column
from sluice.connectors.warehouse.conform import Conformer

log = logging.getLogger(__name__)

WRITE_OPERATIONS = ("INSERT", "UPSERT", "UPDATE")
_SEQ = "sluice_seq"


def _q(name: str) -> str:
    return quote_identifier(name, "postgresql")


def warehouse_column(column: TableColumn) -> Column:
    """The table column as the `Conformer` fits values to it."""
    return Column(column.name, column.type.arrow, column.type.name, column.type.length
                  if column.type.field_type == "string" else None, False, column.nullable)


def open_destination(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext,
                     fixed_driver: str | None = None) -> PostgresTableDestination:
    """`ConnectorSpec.open_destination` for JDBC (PostgreSQL profiles) and Amazon RDS for PostgreSQL."""
    settings = read_settings(profile, fixed_driver)
    if settings.driver != "postgresql":
        raise ConnectorError("InvalidArgument", "Sluice writes to PostgreSQL databases only; this profile's "
                             f"driver is {settings.driver}")
    return PostgresTableDestination(settings, props, ctx)


class PostgresTableDestination:
    """`base.Destination` for one PostgreSQL table."""

    def __init__(self, settings: Any, props: Mapping[str, Any], ctx: RunContext) -> None:
        self.ctx = ctx
        self.entity = str(props.get("entityName") or "")
        self.operation = str(props.get("writeOperationType") or "INSERT")
        if self.operation not in WRITE_OPERATIONS:
            raise ConnectorError("InvalidArgument", f"writeOperationType {self.operation} is not supported for "
                                 f"{self.entity} (supported: {', '.join(WRITE_OPERATIONS)})")
        self.sink = ErrorSink(props.get("errorHandlingConfig"), ctx)
        self.sink.check()
        self.conn = connect(settings)
        self._state = "open"
        try:
            self.schema, self.table, self.columns = table_columns(self.conn, settings, self.entity)
            by_lower = {c.name.lower(): c.name for c in self.columns}
            ids = [str(i) for i in props.get("idFieldNames") or []]
            unknown = [i for i in ids if i.lower() not in by_lower]
            if unknown:
                raise ConnectorError("InvalidArgument", f"idFieldNames {', '.join(unknown)} are not columns of "
                                     f"{self.target}")
            self.ids = [by_lower[i.lower()] for i in ids]
            if self.operation != "INSERT" and not self.ids:
                raise ConnectorError("InvalidArgument", f"{self.operation} into {self.target} needs idFieldNames")
            self.conformer = Conformer(self.target, [warehouse_column(c) for c in self.columns])
        except BaseException:
            self._finish(commit=False)
            raise
        self.stage = "sluice_stage_" + uuid.uuid4().hex[:12]
        self.staged_columns: list[str] = []
        self.rows = 0
        self.bytes = 0

    @property
    def target(self) -> str:
        """`schema.table`, as messages name it."""
        return f"{self.schema}.{self.table}" if hasattr(self, "schema") else self.entity

    def write(self, batch: pa.RecordBatch, partition: Mapping[str, str] | None = None) -> None:
        """Fit one batch to the table and COPY the rows it accepts into the stage."""
        self._require("open")
        if batch.num_rows == 0:
            return
        conformed = self.conformer.conform(batch)
        for reject in conformed.rejects:
            self.sink.add([reject.record], reject.code, reject.message)
        if conformed.rejects and self.sink.fail_fast:
            raise ConnectorError(
                "InvalidArgument",
                f"Stopped at the first refused record (failOnFirstDestinationError): {self.sink.messages[0]}. "
                f"Nothing was written to {self.target}; {self.sink.where()}.")
        fitted = conformed.batch
        if fitted.num_rows == 0:
            return
        names = fitted.schema.names
        try:
            with self.conn.cursor() as cur:
                if not self.staged_columns:
                    self._create_stage(cur)
                for name in names:
                    if name not in self.staged_columns:
                        self.staged_columns.append(name)
                payload = csv_payload(fitted)
                columns = ", ".join(_q(n) for n in names)
                with cur.copy(f"COPY {_q(self.stage)} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                    copy.write(payload)
        except ConnectorError:
            raise
        except Exception as exc:
            raise statement_error(exc, f"staging records for {self.target} failed") from None
        self.rows += fitted.num_rows
        self.bytes += len(payload)

    def _create_stage(self, cur: Any) -> None:
        columns = ", ".join(_q(c.name) for c in self.columns)
        cur.execute(f"CREATE TEMPORARY TABLE {_q(self.stage)} ON COMMIT DROP AS SELECT {columns} "
                    f"FROM {_q(self.schema)}.{_q(self.table)} WITH NO DATA")
        # The order records arrived in: for UPSERT/UPDATE the last record of a key wins.
        cur.execute(f"ALTER TABLE {_q(self.stage)} ADD COLUMN {_SEQ} bigserial")

    def commit(self) -> WriteResult:
        """Run the INSERT/UPSERT/UPDATE from the stage and commit, or leave the table as it was."""
        self._require("open")
        self._state = "committing"
        written = 0
        try:
            if self.staged_columns:
                if self.ctx.should_stop():
                    raise ConnectorError("InvalidArgument", f"The run was stopped before writing {self.target}")
                with self.conn.cursor() as cur:
                    if self.operation == "UPDATE":
                        self._refuse_unmatched(cur)
                    cur.execute(self.statement())
                    written = max(cur.rowcount, 0)
            self._finish(commit=True)
        except ConnectorError as exc:
            self._finish(commit=False)
            if self.sink.count:
                raise ConnectorError(exc.code, f"{exc.message}. {self.sink.count} record(s) had been refused "
                                     f"before the write ({self.sink.where()})", exc.retry_after) from exc
            raise
        except Exception as exc:
            self._finish(commit=False)
            raise statement_error(exc, f"writing to {self.target} failed; nothing was written") from None
        report(self.ctx, "publish", f"{self.operation}: {written} record(s) into {self.target}")
        if self.sink.count:
            self.sink.commit()
            report(self.ctx, "warning", f"{self.target}: {self.sink.summary()}", "warning")
        return WriteResult(bytes_written=self.bytes, records_written=written, put_failures=self.sink.count,
                           location=self.target)

    def statement(self) -> str:
        """The one statement that moves the stage into the table."""
        cols = [c for c in (col.name for col in self.columns) if c in self.staged_columns]
        listed = ", ".join(_q(c) for c in cols)
        target = f"{_q(self.schema)}.{_q(self.table)}"
        if self.operation == "INSERT":
            return f"INSERT INTO {target} ({listed}) SELECT {listed} FROM {_q(self.stage)} ORDER BY {_SEQ}"
        keys = ", ".join(_q(i) for i in self.ids)
        latest = (f"SELECT DISTINCT ON ({keys}) {listed} FROM {_q(self.stage)} "
                  f"ORDER BY {keys}, {_SEQ} DESC")
        others = [c for c in cols if c not in self.ids]
        if self.operation == "UPSERT":
            action = ("DO UPDATE SET " + ", ".join(f"{_q(c)} = EXCLUDED.{_q(c)}" for c in others)
                      if others else "DO NOTHING")
            return f"INSERT INTO {target} ({listed}) {latest} ON CONFLICT ({keys}) {action}"
        match = " AND ".join(f"t.{_q(i)} = s.{_q(i)}" for i in self.ids)
        sets = ", ".join(f"{_q(c)} = s.{_q(c)}" for c in others)
        if not sets:
            raise ConnectorError("InvalidArgument", f"UPDATE of {self.target} maps no column besides idFieldNames")
        return f"UPDATE {target} AS t SET {sets} FROM ({latest}) AS s WHERE {match}"

    def _refuse_unmatched(self, cur: Any) -> None:
        """UPDATE records that match no row: refused, each, as AppFlow reports records it could not write."""
        match = " AND ".join(f"t.{_q(i)} = s.{_q(i)}" for i in self.ids)
        listed = ", ".join(f"s.{_q(c)}" for c in self.staged_columns)
        cur.execute(f"SELECT {listed} FROM {_q(self.stage)} AS s WHERE NOT EXISTS (SELECT 1 FROM "
                    f"{_q(self.schema)}.{_q(self.table)} AS t WHERE {match}) ORDER BY s.{_SEQ}")
        names = [d.name for d in cur.description]
        for row in cur.fetchall():
            record = dict(zip(names, row, strict=True))
            keys = ", ".join(f"{i}={record.get(i)!r}" for i in self.ids)
            self.sink.add([record], "ResourceNotFound", f"no row of {self.target} has {keys}")
        if self.sink.count and self.sink.fail_fast:
            raise ConnectorError("InvalidArgument", f"Stopped at the first refused record "
                                 f"(failOnFirstDestinationError): {self.sink.messages[0]}")

    def abort(self) -> None:
        """Roll back: the table is left as it was and the refused records are forgotten."""
        if self._state in ("aborted", "committed", "failed"):
            self._state = "aborted" if self._state != "committed" else self._state
            return
        self._finish(commit=False)
        self.sink.discard()
        self._state = "aborted"

    def _finish(self, *, commit: bool) -> None:
        try:
            if commit:
                self.conn.commit()
            else:
                self.conn.rollback()
        except Exception as exc:
            if commit:
                self._state = "failed"
                close(self.conn)
                raise statement_error(exc, f"committing to {self.target} failed") from None
            log.debug("rollback on a broken PostgreSQL connection", exc_info=True)
        self._state = "committed" if commit else "failed"
        close(self.conn)

    def _require(self, state: str) -> None:
        if self._state != state:
            raise ConnectorError("InvalidArgument", f"the destination is already {self._state}")


def csv_payload(batch: pa.RecordBatch) -> bytes:
    """The batch as PostgreSQL COPY CSV: nulls unquoted-empty, empty strings `""`, bytea as `\\x` hex."""
    arrays = []
    for array in batch.columns:
        if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type):
            array = pa.array([None if v is None else "\\x" + v.hex() for v in array.to_pylist()], type=pa.string())
        elif pa.types.is_boolean(array.type):
            array = pc.if_else(array, "t", "f")
        arrays.append(array)
    table = pa.Table.from_arrays(arrays, names=batch.schema.names)
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return buffer.getvalue()
