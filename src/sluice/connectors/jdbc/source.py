"""Reading a table as Arrow batches (connectors layer): one pushed-down SELECT, streamed.

The run's SELECT (`sql.build_select`) names only the columns the flow reads and carries its
filters and incremental window. Results stream with bounded memory:

* PostgreSQL: `COPY (SELECT ...) TO STDOUT (FORMAT csv)`, its bytes parsed by pyarrow's CSV
  reader straight into typed columns (measured against a psycopg server-side cursor in
  bench/jdbc.py: several times faster, as no Python object is made per value). COPY takes no
  bound parameters, so the values are bound client-side by psycopg (`ClientCursor.mogrify`, the
  driver's own quoting - what psycopg's server-side cursors do too); the text never holds a
  value Sluice wrote itself. `bytea` arrives as `\\x` hex and is decoded to binary.
* MySQL/MariaDB: PyMySQL's unbuffered `SSCursor`, `fetchmany(batch_size)` rows at a time, each
  column built into an Arrow array of the column's type.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Generator, Iterator, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from sluice.connectors.base import ConnectorError, ProfileView, ReadStats, RunContext, report
from sluice.connectors.jdbc.connection import close, connect, statement_error
from sluice.connectors.jdbc.metadata import TableColumn, table_columns
from sluice.connectors.jdbc.settings import read_settings
from sluice.connectors.jdbc.sql import Query, build_select
from sluice.connectors.pushdown import task_fields

CSV_BLOCK_BYTES = 4 << 20

log = logging.getLogger(__name__)


def chosen_columns(columns: list[TableColumn], tasks: Any, window_field: str | None) -> list[TableColumn]:
    """The columns the flow reads, in table order: all for Map_all or no projection."""
    projected, others, map_all = task_fields(tasks)
    if map_all or not projected:
        return columns
    wanted = {*projected, *others, *([window_field] if window_field else [])}
    return [c for c in columns if c.name in wanted] or columns


class JdbcSource:
    """`base.Source` over one table of a PostgreSQL or MySQL/MariaDB database."""

    def __init__(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext,
                 fixed_driver: str | None = None) -> None:
        self.ctx = ctx
        self.stats = ReadStats()
        self.entity = str(props.get("entityName") or props.get("object") or "")
        self.settings = read_settings(profile, fixed_driver)

    def plan(self, conn: Any) -> tuple[list[TableColumn], Query]:
        """The columns read and the SELECT that reads them."""
        schema, table, columns = table_columns(conn, self.settings, self.entity)
        by_name = {c.name: c for c in columns}
        window = None
        if self.ctx.window_end is not None:
            field = self.ctx.window_field
            if not field:
                raise ConnectorError("InvalidArgument", "an incremental flow from a database table needs "
                                     "incrementalPullConfig.datetimeTypeFieldName (the column that holds each "
                                     "row's change time)")
            if field not in by_name or not by_name[field].type.is_temporal:
                raise ConnectorError("InvalidArgument", f"{field} is not a date or timestamp column of {self.entity}")
            window = (field, self.ctx.window_start, self.ctx.window_end)
        chosen = chosen_columns(columns, self.ctx.tasks, self.ctx.window_field if window else None)
        query = build_select(self.settings.driver, schema, table, [c.name for c in chosen],
                             {c.name: c.type for c in columns}, self.ctx.tasks, window)
        return chosen, query

    def read(self) -> Iterator[pa.RecordBatch]:
        """Yield the table's rows (as the SELECT keeps them) in batches of at most `batch_size`."""
        conn = connect(self.settings)
        try:
            columns, query = self.plan(conn)
            report(self.ctx, "source_opened", f"{self.settings.driver} table {self.entity}: {query.text}")
            batches = (self._postgres(conn, columns, query) if self.settings.driver == "postgresql"
                       else self._mysql(conn, columns, query))
            try:
                for batch in batches:
                    for start in range(0, batch.num_rows, self.ctx.batch_size):
                        piece = batch.slice(start, self.ctx.batch_size)
                        self.stats.records_read += piece.num_rows
                        self.stats.pages_read += 1
                        self.stats.max_page_size = max(self.stats.max_page_size, piece.num_rows)
                        yield piece
                    if self.ctx.should_stop():
                        # A canceled run: the server stops sending (rather than streaming the rest to no one).
                        self._cancel(conn)
                        return
            finally:
                batches.close()  # its cursor ends before the connection closes
        finally:
            close(conn)

    def _cancel(self, conn: Any) -> None:
        if self.settings.driver != "postgresql":
            return  # PyMySQL's unbuffered cursor drains what is left when it closes
        try:
            conn.cancel_safe(timeout=10)
        except Exception:
            log.debug("canceling the PostgreSQL read failed", exc_info=True)

    def _postgres(self, conn: Any, columns: list[TableColumn], query: Query) -> Generator[pa.RecordBatch]:
        import psycopg

        schema = pa.schema([pa.field(c.name, c.type.arrow) for c in columns])
        hex_columns = [i for i, c in enumerate(columns) if pa.types.is_binary(c.type.arrow)]
        csv_types = {c.name: pa.string() if pa.types.is_binary(c.type.arrow) else c.type.arrow for c in columns}
        try:
            text = psycopg.ClientCursor(conn).mogrify(query.text, query.params)
            with conn.cursor() as cur, cur.copy(f"COPY ({text}) TO STDOUT WITH (FORMAT csv)") as copy:
                stream = _CopyStream(copy, self.stats)
                try:
                    if stream.empty():
                        return
                    reader = pacsv.open_csv(
                        stream,
                        read_options=pacsv.ReadOptions(column_names=[c.name for c in columns],
                                                       block_size=CSV_BLOCK_BYTES),
                        parse_options=pacsv.ParseOptions(newlines_in_values=True),
                        convert_options=pacsv.ConvertOptions(
                            column_types=csv_types, null_values=[""], strings_can_be_null=True,
                            quoted_strings_can_be_null=False, true_values=["t"], false_values=["f"]),
                    )
                    for batch in reader:
                        arrays = list(batch.columns)
                        for i in hex_columns:
                            arrays[i] = _unhex(arrays[i])
                        yield pa.RecordBatch.from_arrays(arrays, schema=schema)
                finally:
                    # The reader reads ahead on pyarrow's IO thread: no read may be in flight, or come
                    # later, once psycopg ends the COPY on this thread (two readers of one connection hang).
                    stream.stop()
        except pa.ArrowInvalid as exc:
            raise ConnectorError("InvalidArgument", f"a value of {self.entity} could not be read: {exc}") from None
        except psycopg.errors.QueryCanceled:
            if not self.ctx.should_stop():
                raise ConnectorError("ServerError", f"reading {self.entity} was canceled by the database") from None
        except psycopg.Error as exc:
            raise statement_error(exc, f"reading {self.entity} failed") from None
        finally:
            if not conn.closed:
                conn.rollback()

    def _mysql(self, conn: Any, columns: list[TableColumn], query: Query) -> Generator[pa.RecordBatch]:
        import pymysql.cursors

        schema = pa.schema([pa.field(c.name, c.type.arrow) for c in columns])
        convert = [_mysql_converter(c) for c in columns]
        cur = conn.cursor(pymysql.cursors.SSCursor)
        try:
            try:
                cur.execute(query.text, query.params)
            except pymysql.err.Error as exc:
                raise statement_error(exc, f"reading {self.entity} failed") from None
            while True:
                rows = cur.fetchmany(self.ctx.batch_size)
                if not rows:
                    return
                values = list(zip(*rows, strict=True))
                arrays = [pa.array(f(list(v)) if f else list(v), type=c.type.arrow)
                          for v, f, c in zip(values, convert, columns, strict=True)]
                batch = pa.RecordBatch.from_arrays(arrays, schema=schema)
                self.stats.bytes_read += batch.nbytes  # what arrived, as Arrow holds it (the wire is PyMySQL's)
                yield batch
                if self.ctx.should_stop():
                    return
        finally:
            cur.close()
            conn.rollback()


class _CopyStream(io.RawIOBase):
    """COPY's output chunks as a readable byte stream (what pyarrow's CSV reader pulls from).

    pyarrow calls it from its IO thread; `stop()` waits for a read in flight and makes every later
    read an end of stream, so the connection is never read from two threads.
    """

    def __init__(self, copy: Any, stats: ReadStats) -> None:
        self.copy = copy
        self.stats = stats
        self.pending = memoryview(b"")
        self.done = False
        self.lock = threading.Lock()

    def stop(self) -> None:
        """No more reads from the connection (waits for one in flight)."""
        with self.lock:
            self.done = True
            self.pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def empty(self) -> bool:
        """True when COPY sent nothing (pyarrow refuses an empty CSV stream); reads ahead one chunk."""
        with self.lock:
            return self._peek()

    def _peek(self) -> bool:
        if not self.pending and not self.done:
            chunk = self.copy.read()
            if chunk:
                self.pending = memoryview(chunk).cast("B")
                self.stats.bytes_read += len(self.pending)
            else:
                self.done = True
        return not self.pending and self.done

    def readinto(self, buffer: Any) -> int:
        with self.lock:
            return self._fill(buffer)

    def _fill(self, buffer: Any) -> int:
        # Fill the whole buffer (COPY hands out one row per chunk): the CSV reader makes one batch
        # per read, so short reads would mean one-row batches.
        view = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(view):
            if not self.pending:
                if self.done:
                    break
                chunk = self.copy.read()
                if not chunk:
                    self.done = True
                    break
                self.pending = memoryview(chunk).cast("B")
                self.stats.bytes_read += len(self.pending)
            n = min(len(view) - filled, len(self.pending))
            view[filled:filled + n] = self.pending[:n]
            self.pending = self.pending[n:]
            filled += n
        return filled


def _unhex(array: pa.Array) -> pa.Array:
    """PostgreSQL's `\\x0a0b` text of bytea values as binary."""
    return pa.array([None if v is None else bytes.fromhex(v[2:]) for v in array.to_pylist()], type=pa.binary())


def _mysql_converter(column: TableColumn) -> Any:
    """A per-column fix-up of PyMySQL's Python values where Arrow cannot take them as they are."""
    arrow = column.type.arrow
    if pa.types.is_boolean(arrow):
        # TINYINT(1) arrives as an int, BIT(1) as bytes.
        return lambda vs: [None if v is None else bool(int.from_bytes(v, "big") if isinstance(v, bytes) else v)
                           for v in vs]
    if pa.types.is_time(arrow):
        # TIME arrives as a timedelta (it may exceed a day in MySQL; such values do not fit a time of day).
        return lambda vs: [None if v is None else (pa.scalar(int(v.total_seconds() * 1_000_000), pa.time64("us"))
                                                   .as_py()) for v in vs]
    if pa.types.is_timestamp(arrow) and arrow.tz is not None:
        from datetime import UTC

        return lambda vs: [None if v is None else v.replace(tzinfo=UTC) for v in vs]
    if pa.types.is_string(arrow):
        return lambda vs: [v.decode("utf-8", "replace") if isinstance(v, bytes) else
                           (None if v is None else str(v)) for v in vs]
    return None
