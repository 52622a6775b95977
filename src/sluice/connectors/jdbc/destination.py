"""Writing to a database table, all or nothing (connectors layer): stage, then one statement.

The JDBC connector (PostgreSQL and MySQL/MariaDB profiles) and Amazon RDS for PostgreSQL write
this way. The run holds one connection and one transaction from its first batch to its end:

1. each batch is fitted to the table's columns by the warehouse layer's `Conformer` (a value of
   the wrong type, a string longer than the column, a null in a NOT NULL column are refused per
   record, with a message naming the column): refused records go to the run's `ErrorSink`
   (`errorHandlingConfig`: counted as put failures, written to `errors.jsonl` in the error bucket,
   fatal at once with `failOnFirstDestinationError`);
2. the accepted rows go into a temporary stage table with the table's own column types and an
   arrival sequence (`write_postgres`: COPY; `write_mysql`: multi-row INSERTs);
3. `commit()` moves the stage into the table with one statement - INSERT, UPSERT on `idFieldNames`
   (the last record of a key wins within a run) or UPDATE by `idFieldNames` (staged records that
   match no row are refused to the error sink as `ResourceNotFound`) - and commits. Anything the
   database refuses there (a duplicate key on INSERT, a foreign key) rolls the whole run back:
   the table is left as it was.

`abort()` rolls back; a killed server's open transaction is rolled back by the database itself.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any, Protocol

import pyarrow as pa

from sluice.connectors.base import ConnectorError, ProfileView, RunContext, WriteResult, report
from sluice.connectors.error_records import ErrorSink
from sluice.connectors.jdbc.connection import close, connect, statement_error
from sluice.connectors.jdbc.metadata import TableColumn, table_columns
from sluice.connectors.jdbc.settings import DatabaseSettings, read_settings
from sluice.connectors.warehouse.columns import Column
from sluice.connectors.warehouse.conform import Conformer, conform_or_refuse

log = logging.getLogger(__name__)

WRITE_OPERATIONS = ("INSERT", "UPSERT", "UPDATE")


class Writer(Protocol):
    """The database-specific half: the stage table, loading it, and the statements that move it."""

    def create_stage(self, cur: Any, columns: list[str]) -> None:
        """Create the temporary stage table (the table's types for `columns`, plus the sequence)."""
        ...

    def load(self, cur: Any, batch: pa.RecordBatch) -> int:
        """Put a fitted batch into the stage; the bytes sent."""
        ...

    def statements(self, operation: str, columns: list[str], ids: list[str]) -> list[str]:
        """The statements that move the stage into the table (the last one's rowcount is reported)."""
        ...

    def unmatched(self, cur: Any, columns: list[str], ids: list[str]) -> tuple[list[str], list[tuple[Any, ...]]]:
        """(column names, rows) of staged records no table row matches on `ids`, in arrival order."""
        ...


def warehouse_column(column: TableColumn) -> Column:
    """The table column as the `Conformer` fits values to it."""
    return Column(column.name, column.type.arrow, column.type.name, column.type.length
                  if column.type.field_type == "string" else None, False, column.nullable)


def open_destination(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext,
                     fixed_driver: str | None = None) -> TableDestination:
    """`ConnectorSpec.open_destination` for JDBC and Amazon RDS for PostgreSQL profiles."""
    return TableDestination(read_settings(profile, fixed_driver), props, ctx)


class TableDestination:
    """`base.Destination` for one table of a PostgreSQL or MySQL/MariaDB database."""

    def __init__(self, settings: DatabaseSettings, props: Mapping[str, Any], ctx: RunContext) -> None:
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
        self.target = self.entity
        try:
            self.schema, self.table, self.columns = table_columns(self.conn, settings, self.entity)
            self.target = f"{self.schema}.{self.table}"
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
            self.writer = self._writer(settings.driver, "sluice_stage_" + uuid.uuid4().hex[:12])
        except BaseException:
            self._finish(commit=False)
            raise
        self.staged_columns: list[str] = []
        self.rows = 0
        self.bytes = 0

    def _writer(self, driver: str, stage: str) -> Writer:
        if driver == "postgresql":
            from sluice.connectors.jdbc.write_postgres import PostgresWriter

            return PostgresWriter(self.schema, self.table, stage)
        from sluice.connectors.jdbc.write_mysql import MySQLWriter

        return MySQLWriter(self.schema, self.table, stage)

    def write(self, batch: pa.RecordBatch, partition: Mapping[str, str] | None = None) -> None:
        """Fit one batch to the table and stage the rows it accepts."""
        self._require("open")
        if batch.num_rows == 0:
            return
        fitted = conform_or_refuse(self.conformer, batch, self.sink, f"Nothing was written to {self.target}")
        if fitted.num_rows == 0:
            return
        try:
            cur = self.conn.cursor()
            try:
                if not self.staged_columns:
                    self.writer.create_stage(cur, [c.name for c in self.columns])
                self.staged_columns += [n for n in fitted.schema.names if n not in self.staged_columns]
                self.bytes += self.writer.load(cur, fitted)
            finally:
                cur.close()
        except ConnectorError:
            raise
        except Exception as exc:
            raise statement_error(exc, f"staging records for {self.target} failed") from None
        self.rows += fitted.num_rows

    def commit(self) -> WriteResult:
        """Move the stage into the table and commit, or leave the table as it was."""
        self._require("open")
        self._state = "committing"
        written = 0
        columns = [c.name for c in self.columns if c.name in self.staged_columns]
        try:
            if self.staged_columns:
                if self.ctx.should_stop():
                    raise ConnectorError("InvalidArgument", f"The run was stopped before writing {self.target}")
                cur = self.conn.cursor()
                try:
                    if self.operation == "UPDATE":
                        self._refuse_unmatched(cur, columns)
                    for statement in self.writer.statements(self.operation, columns, self.ids):
                        cur.execute(statement)
                    written = max(cur.rowcount, 0)
                finally:
                    cur.close()
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
        if self.operation == "UPSERT" and written > self.rows:
            written = self.rows  # MySQL counts an updated row twice in ON DUPLICATE KEY UPDATE
        report(self.ctx, "publish", f"{self.operation}: {written} record(s) into {self.target}")
        if self.sink.count:
            self.sink.commit()
            report(self.ctx, "warning", f"{self.target}: {self.sink.summary()}", "warning")
        return WriteResult(bytes_written=self.bytes, records_written=written, put_failures=self.sink.count,
                           location=self.target)

    def _refuse_unmatched(self, cur: Any, columns: list[str]) -> None:
        """UPDATE records that match no row: refused, each, as AppFlow reports records it could not write."""
        if not [c for c in columns if c not in self.ids]:
            raise ConnectorError("InvalidArgument", f"UPDATE of {self.target} maps no column besides idFieldNames")
        names, rows = self.writer.unmatched(cur, columns, self.ids)
        for row in rows:
            record = dict(zip(names, row, strict=True))
            keys = ", ".join(f"{i}={record.get(i)!r}" for i in self.ids)
            self.sink.add([record], "ResourceNotFound", f"no row of {self.target} has {keys}")
        if self.sink.count and self.sink.fail_fast:
            raise ConnectorError("InvalidArgument", f"Stopped at the first refused record "
                                 f"(failOnFirstDestinationError): {self.sink.messages[0]}")

    def abort(self) -> None:
        """Roll back: the table is left as it was and the refused records are forgotten."""
        if self._state == "open":
            self._finish(commit=False)
        if self._state != "committed":
            self.sink.discard()
            self._state = "aborted"

    def _finish(self, *, commit: bool) -> None:
        try:
            if commit:
                self.conn.commit()
            else:
                self.conn.rollback()
        except Exception as exc:
            self._state = "failed"
            close(self.conn)
            if commit:
                raise statement_error(exc, f"committing to {self.target} failed") from None
            log.debug("rollback on a broken database connection", exc_info=True)
            return
        self._state = "committed" if commit else "failed"
        close(self.conn)

    def _require(self, state: str) -> None:
        if self._state != state:
            raise ConnectorError("InvalidArgument", f"the destination is already {self._state}")
