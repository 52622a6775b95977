"""Amazon S3 as a flow source (connectors layer): objects under a prefix -> Arrow record batches.

`S3Source(profile, props, ctx)` reads every object under `bucketName/bucketPrefix` (the
`S3SourceProperties` member of the flow's source), recursively and in key order, skipping
zero-byte objects, "folder" markers (keys ending in `/`) and Sluice's own staging area. The
format is `s3InputFormatConfig.s3InputFileType`: CSV (the default) or JSON (JSON lines); as a
Sluice extension, keys ending in `.parquet` are read as Parquet whatever the setting.

Everything streams: `pyarrow.csv.open_csv` / `pyarrow.json.open_json` over an input stream read
in blocks, `ParquetFile.iter_batches` for Parquet. As AppFlow does for S3 CSV, every CSV field is
a string and an empty cell is null. Files are parsed on a small thread pool that reads the
current file and the next one ahead of the consumer (bounded queues), so parsing overlaps with
the engine's work. Used by `engine/runner.py` through `SPEC.open_source`; storage comes from
`sluice.connectors.s3.storage`.

Incremental pulls: when `ctx.window_end` is set and `ctx.window_field` is not, only objects whose
listed last-modified time `t` satisfies `window_start < t <= window_end` are read (see
"Incremental pulls" in docs/s3.md).
"""

from __future__ import annotations

import csv
import io
import queue
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from sluice.connectors.base import ConnectorError, ProfileView, ReadStats, RunContext, report
from sluice.connectors.handoff import put_unless_stopped
from sluice.connectors.s3 import splits as planning
from sluice.connectors.s3.splits import S3Split
from sluice.connectors.s3.storage import ObjectInfo, Storage, open_storage

STAGING_DIR = ".sluice-staging"
# Bytes the CSV/JSON readers parse at a time (~15k rows of a 275-byte CSV row). Measured on
# 2 cores with a Parquet-writing consumer: 4 MiB beat 1 MiB and 16 MiB (docs/s3.md).
BLOCK_SIZE = 4 * 1024 * 1024
HEADER_BYTES = 64 * 1024
# The largest block a JSON-lines range is parsed in (Arrow's block size is a 32-bit count).
MAX_JSON_BLOCK = 1 << 30
# Files read at once (the current one and the next), and batches each may read ahead.
PREFETCH_FILES = 2
QUEUE_DEPTH = 2


class S3Source:
    """`base.Source` over the objects under an S3 prefix."""

    def __init__(
        self,
        profile: ProfileView | None,
        props: Mapping[str, Any],
        ctx: RunContext,
        storage: Storage | None = None,
        *,
        block_size: int = BLOCK_SIZE,
        prefetch_files: int = PREFETCH_FILES,
        split_bytes: int = planning.SPLIT_BYTES,
    ) -> None:
        if not props.get("bucketName"):
            raise ConnectorError("InvalidArgument", "S3SourceProperties.bucketName is required")
        self.bucket = str(props["bucketName"])
        self.prefix = str(props.get("bucketPrefix") or "").lstrip("/")
        file_type = (props.get("s3InputFormatConfig") or {}).get("s3InputFileType") or "CSV"
        if file_type not in {"CSV", "JSON"}:
            raise ConnectorError("InvalidArgument", f"s3InputFileType {file_type!r} is not CSV or JSON")
        self.file_type = file_type
        self.ctx = ctx
        self.storage = storage or open_storage(ctx.data_dir, ctx.aws, ctx.buckets)
        self.block_size = block_size
        self.prefetch_files = max(1, prefetch_files)
        self.split_bytes = split_bytes
        self.stats = ReadStats()
        self._stats_lock = threading.Lock()  # splits are read on several threads
        self._columns: dict[str, _Columns] = {}  # each object's columns, from planning
        self._expected: _Columns | None = None  # the first object's: what every batch is made to match
        self._json_schemas: dict[str, pa.Schema] = {}
        self._json_lock = threading.Lock()  # JSON schemas are inferred on the split threads
        self._json_locks: dict[str, threading.Lock] = {}
        self._parquet_footers: dict[str, pq.FileMetaData] = {}  # read once, while planning

    # -- what to read ---------------------------------------------------------------------

    @property
    def windowed(self) -> bool:
        """True for an incremental pull the source itself narrows by last-modified time.

        With `ctx.window_field` set the engine filters records by that field instead
        (`sluice.engine.incremental`), so the source reads every object.
        """
        return self.ctx.window_end is not None and self.ctx.window_field is None

    def objects(self) -> list[ObjectInfo]:
        """The objects this run reads, in key order (a prefix naming one object reads just it).

        In an incremental pull (`windowed`) only objects whose last-modified time `t` satisfies
        `window_start < t <= window_end` are read (no lower bound when `window_start` is None).
        """
        storage = self.storage
        with storage.errors(storage.location(self.bucket, self.prefix)):
            storage.require_bucket(self.bucket)
            found: list[ObjectInfo] | None = None
            if self.prefix and not self.prefix.endswith("/"):
                exact = storage.head(self.bucket, self.prefix)
                if exact is not None and exact.size > 0:
                    found = [exact]
            if found is None:
                folder = f"{self.prefix.rstrip('/')}/" if self.prefix else ""
                found = [item for item in storage.walk(self.bucket, folder) if _readable(item)]
        if not self.windowed:
            return found
        assert self.ctx.window_end is not None
        return [item for item in found if in_window(item, self.ctx.window_start, self.ctx.window_end)]

    # -- reading --------------------------------------------------------------------------

    def read(self) -> Iterator[pa.RecordBatch]:
        """Batches of at most `ctx.batch_size` rows from every object, file by file."""
        objects = self.objects()
        where = f"s3://{self.bucket}/{self.prefix}"
        if not objects:
            # AppFlow's "no data" run: zero records, nothing written - but the log says why.
            report(self.ctx, "warning", f"the source prefix {where} matched no objects"
                   + (" in this run's window" if self.windowed else "") + "; the run moves 0 records.", "warning")
            return
        report(self.ctx, "source_opened", f"{where} matched {len(objects)} object(s), "
               f"{sum(item.size for item in objects)} bytes of {self.file_type}")
        stop = threading.Event()
        queues: list[queue.Queue[tuple[str, Any]]] = [queue.Queue(QUEUE_DEPTH) for _ in objects]
        pool = ThreadPoolExecutor(max_workers=self.prefetch_files, thread_name_prefix="s3-source")
        submitted = 0
        expected: _Columns | None = None
        try:
            for index, item in enumerate(objects):
                while submitted < min(len(objects), index + self.prefetch_files):
                    pool.submit(self._produce, objects[submitted], queues[submitted], stop)
                    submitted += 1
                self.stats.bytes_read += item.size
                self.stats.files_read += 1
                report(self.ctx, "file", f"reading s3://{self.bucket}/{item.key} ({item.size} bytes)")
                while True:
                    kind, value = queues[index].get()
                    if kind == "end":
                        break
                    if kind == "error":
                        raise value
                    if kind == "columns":
                        if expected is None:
                            expected = value
                        else:
                            expected.check(value, item.key)
                        continue
                    assert expected is not None
                    batch = expected.conform(value, item.key)
                    for start in range(0, batch.num_rows, self.ctx.batch_size):
                        if self.ctx.should_stop():
                            return
                        page = batch.slice(start, self.ctx.batch_size)
                        self.stats.records_read += page.num_rows
                        self.stats.pages_read += 1
                        self.stats.max_page_size = max(self.stats.max_page_size, page.num_rows)
                        yield page
        finally:
            stop.set()
            for pending in queues:  # unblock producers waiting on a full queue
                while not pending.empty():
                    pending.get_nowait()
            pool.shutdown(wait=True, cancel_futures=True)

    def _produce(self, item: ObjectInfo, out: queue.Queue[tuple[str, Any]], stop: threading.Event) -> None:
        """Parse one object onto `out`: ("columns", _Columns), ("batch", ...)*, then ("end" | "error")."""

        def put(message: tuple[str, Any]) -> bool:
            return put_unless_stopped(out, message, stop)

        try:
            for message in self._parse(item):
                if not put(message):
                    return
            put(("end", None))
        except BaseException as exc:
            put(("error", self._explain(item, exc)))

    def _parse(self, item: ObjectInfo) -> Iterator[tuple[str, Any]]:
        storage, key = self.storage, item.key
        with storage.errors(storage.location(self.bucket, key)):
            if key.lower().endswith(".parquet"):
                parquet = pq.ParquetFile(storage.open_input_file(self.bucket, key))
                schema = parquet.schema_arrow
                yield "columns", _Columns(key, list(schema.names), schema, by_name=False)
                for batch in parquet.iter_batches(batch_size=self.ctx.batch_size):
                    yield "batch", batch
            elif self.file_type == "JSON":
                reader = pajson.open_json(
                    storage.open_input_stream(self.bucket, key),
                    read_options=pajson.ReadOptions(block_size=self.block_size),
                )
                yield "columns", _Columns(key, list(reader.schema.names), reader.schema, by_name=True)
                for batch in reader:
                    yield "batch", batch
            else:
                yield from self._parse_csv(key)

    def _parse_csv(self, key: str) -> Iterator[tuple[str, Any]]:
        raw = csv_header(self.storage, self.bucket, key)
        names = unique_names(raw)
        schema = pa.schema([(name, pa.string()) for name in names])
        yield "columns", _Columns(key, names, schema, by_name=False)
        reader = pacsv.open_csv(
            self.storage.open_input_stream(self.bucket, key),
            read_options=pacsv.ReadOptions(block_size=self.block_size),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=text_columns(raw),
        )
        for batch in reader:
            yield "batch", batch.rename_columns(names) if names != raw else batch

    # -- splits (read by several threads; see connectors/s3/splits.py) --------------------------

    def splits(self) -> list[S3Split]:
        """The run's splits in serial-read order; each object's columns are read and checked here."""
        objects = self.objects()
        where = f"s3://{self.bucket}/{self.prefix}"
        if not objects:
            report(self.ctx, "warning", f"the source prefix {where} matched no objects"
                   + (" in this run's window" if self.windowed else "") + "; the run moves 0 records.", "warning")
            return []
        report(self.ctx, "source_opened", f"{where} matched {len(objects)} object(s), "
               f"{sum(item.size for item in objects)} bytes of {self.file_type}")
        planned: list[S3Split] = []
        for item in objects:
            try:
                planned += self._plan(item)
            except BaseException as exc:
                raise self._explain(item, exc) from None
        return planned

    def _plan(self, item: ObjectInfo) -> list[S3Split]:
        storage, key = self.storage, item.key
        with storage.errors(storage.location(self.bucket, key)):
            if key.lower().endswith(".parquet"):
                metadata = pq.ParquetFile(storage.open_input_file(self.bucket, key)).metadata
                self._parquet_footers[key] = metadata
                schema = metadata.schema.to_arrow_schema()
                self._add_columns(_Columns(key, list(schema.names), schema, by_name=False))
                sizes = [metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)]
                return planning.plan_row_groups(item, sizes, self.split_bytes) or [S3Split(item, "parquet")]
            if self.file_type == "JSON":
                if self._expected is None:  # the first object's fields are the run's; the others'
                    self._json_schema(item)  # are inferred and checked by their first range read
                return planning.plan_ranges(storage, self.bucket, item, "json", 0, self.split_bytes)
            raw = csv_header(storage, self.bucket, key)
            names = unique_names(raw)
            self._add_columns(_Columns(key, names, pa.schema([(name, pa.string()) for name in names]), by_name=False))
            first = planning.header_end(storage.read_head(self.bucket, key, HEADER_BYTES))
            return planning.plan_ranges(storage, self.bucket, item, "csv", first, self.split_bytes, len(names))

    def _add_columns(self, columns: _Columns) -> None:
        if self._expected is None:
            self._expected = columns
        else:
            self._expected.check(columns, columns.key)
        self._columns[columns.key] = columns

    def _json_schema(self, item: ObjectInfo) -> pa.Schema:
        """The schema the streaming reader would take: the one its first block gives (callable
        from any thread; the object's fields are checked against the run's once, here).

        Only the first object's is inferred while planning: the others' are inferred by whichever
        of their ranges is read first, on the split threads, so planning does not parse the head
        of every object one after another before any range starts (~30 ms per object).
        """
        cached = self._json_schemas
        with self._json_lock:  # one lock per object: two objects' heads may parse side by side
            lock = self._json_locks.setdefault(item.key, threading.Lock())
        with lock:
            if item.key not in cached:
                length = min(item.size, self.block_size)
                head = bytes(self.storage.read_range(self.bucket, item.key, 0, length))
                if len(head) < item.size and b"\n" not in head:  # a first record longer than a block
                    length = planning.next_line_start(self.storage, self.bucket, item.key, length, item.size)
                    head = bytes(self.storage.read_range(self.bucket, item.key, 0, length))
                if len(head) < item.size:
                    head = head[: head.rfind(b"\n") + 1] or head
                table = pajson.read_json(pa.py_buffer(head), read_options=pajson.ReadOptions(use_threads=False))
                with self._json_lock:
                    self._add_columns(_Columns(item.key, list(table.schema.names), table.schema, by_name=True))
                cached[item.key] = table.schema
            schema: pa.Schema = cached[item.key]
        return schema

    def read_split(self, split: S3Split) -> Iterator[pa.RecordBatch]:
        """Batches of at most `ctx.batch_size` rows of one split (callable from any thread)."""
        item = split.item
        if split.first:
            report(self.ctx, "file", f"reading s3://{self.bucket}/{item.key} ({item.size} bytes)")
        with self._stats_lock:
            self.stats.bytes_read += split.size
            self.stats.files_read += 1 if split.first else 0
        try:
            for batch in self._split_batches(split):
                for start in range(0, batch.num_rows, self.ctx.batch_size):
                    page = batch.slice(start, self.ctx.batch_size)
                    with self._stats_lock:
                        self.stats.records_read += page.num_rows
                        self.stats.pages_read += 1
                        self.stats.max_page_size = max(self.stats.max_page_size, page.num_rows)
                    yield page
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise self._explain(item, exc) from None

    def _split_batches(self, split: S3Split) -> Iterator[pa.RecordBatch]:
        storage, key = self.storage, split.item.key
        assert self._expected is not None
        with storage.errors(storage.location(self.bucket, key)):
            if split.kind == "parquet":
                parquet = pq.ParquetFile(storage.open_input_file(self.bucket, key),
                                         metadata=self._parquet_footers.get(key))
                groups = list(split.row_groups) or None
                needed = self.needed_columns(self._expected.names)
                expected = self._expected if needed is None else self._expected.subset(needed)
                for batch in parquet.iter_batches(batch_size=self.ctx.batch_size, row_groups=groups, columns=needed,
                                                  use_threads=False):
                    yield expected.conform(batch, key)
            elif split.kind == "json":
                if split.end > split.start:
                    yield from self._json_range(split)
            else:
                yield from self._csv_range(split)

    def _json_range(self, split: S3Split) -> Iterator[pa.RecordBatch]:
        """One JSON-lines byte range's records, with the types the object's first block gave.

        A field no record of the first block had fails the read, as it does the streaming
        `read()`, unless the flow's tasks name their fields: then only those are converted
        (~15 % less CPU) and other fields are skipped wherever they appear.
        """
        assert self._expected is not None
        key = split.item.key
        schema = self._json_schema(split.item)
        expected, unexpected = self._expected, "error"
        needed = self.needed_columns(expected.names)
        if needed is not None and all(name in schema.names for name in needed):
            schema = pa.schema([schema.field(name) for name in needed])
            expected, unexpected = expected.subset(needed), "ignore"
        data = self.storage.read_range(self.bucket, key, split.start, split.end - split.start)
        # One block for the whole range: its rows come as one batch, not one per 4 MiB (fewer,
        # larger batches through the tasks), and a record longer than `block_size` still parses.
        block = min(max(self.block_size, len(data)), MAX_JSON_BLOCK)
        table = pajson.read_json(
            pa.py_buffer(data),
            read_options=pajson.ReadOptions(block_size=block, use_threads=False),
            parse_options=pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior=unexpected),
        )
        for batch in table.to_batches():
            yield expected.conform(batch, key)

    def needed_columns(self, names: list[str]) -> list[str] | None:
        """The CSV columns the flow's tasks read, in file order; None: every column (Map_all, or
        a task naming a field the file lacks, whose error message lists the file's fields)."""
        wanted: set[str] = set()
        for task in self.ctx.tasks:
            if task.get("taskType") == "Map_all":
                return None
            wanted.update(str(name) for name in task.get("sourceFields") or [] if name)
        if self.ctx.window_field:
            wanted.add(self.ctx.window_field)
        if not wanted or not wanted <= set(names):
            return None
        return [name for name in names if name in wanted]

    def _csv_range(self, split: S3Split) -> Iterator[pa.RecordBatch]:
        """One CSV byte range's rows, its end verified with the sentinel row (splits.py, steps 2-3)."""
        verdicts = split.verdicts
        assert verdicts is not None
        if split.start >= split.end:
            return
        try:
            yield from self._csv_range_rows(split)
        except BaseException:
            verdicts.fail()  # the ranges after this one stop waiting for its word
            raise

    def _csv_range_rows(self, split: S3Split) -> Iterator[pa.RecordBatch]:
        item, verdicts, start, end = split.item, split.verdicts, split.start, split.end
        assert verdicts is not None
        names = self._columns[item.key].names
        needed = self.needed_columns(names)
        read = None if needed is None else needed + ([names[-1]] if names[-1] not in needed else [])
        # Parse first, then learn whether `start` is a row start: ranges parse side by side and
        # only the (quick) proofs go one after another.
        table, error, proven = self._parse_checked(item, start, end, names, read)
        if verdicts.wait(start, self.ctx.should_stop) is not True:
            return  # the range before this one reached past `start` (or the run stopped)
        while not proven:
            if end >= item.size:
                assert error is not None
                raise error  # the object's last range: a real parse error
            verdicts.decide(end, False)  # the guessed end cut a quoted value short: parse on
            end = planning.next_bound(split.bounds, end)
            table, error, proven = self._parse_checked(item, start, end, names, read)
        assert table is not None
        if end < item.size:
            verdicts.decide(end, True)
            table = table.slice(0, table.num_rows - 1)  # the sentinel row
        if needed is not None and names[-1] not in needed:
            table = table.drop_columns([names[-1]])
        yield from table.to_batches()

    def _parse_checked(self, item: ObjectInfo, start: int, end: int, names: list[str],
                       read: list[str] | None) -> tuple[pa.Table | None, pa.ArrowInvalid | None, bool]:
        """(rows, parse error, whether the range ended outside quotes) of bytes `start`..`end`.

        A range that is not the object's last gets the sentinel row (splits.py, step 2); a parse
        error there may just mean the end cut a quoted value short, so it is returned, not raised.
        """
        final = end >= item.size
        sentinel = b"" if final else planning.sentinel_row(len(names))
        data = self.storage.read_range(self.bucket, item.key, start, end - start, len(sentinel))
        if sentinel:
            with memoryview(data).cast("B") as tail:
                tail[len(tail) - len(sentinel):] = sentinel
        try:
            table = self._parse_range(data, names, read)
        except pa.ArrowInvalid as exc:
            return None, exc, False
        return table, None, final or planning.ended_outside_quotes(table.column(names[-1]))

    def _parse_range(self, data: Any, names: list[str], read: list[str] | None) -> pa.Table:
        """The range's rows, every column text, as `read()` parses them (blank cells null)."""
        return pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=self.block_size, use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=text_columns(names, read or []),
        )

    def _explain(self, item: ObjectInfo, exc: BaseException) -> BaseException:
        """A parse failure as `InvalidArgument` naming the key (and the CSV line when it can)."""
        if isinstance(exc, ConnectorError) or not isinstance(exc, (pa.ArrowInvalid, UnicodeDecodeError)):
            return exc
        message = str(exc).strip()
        if not item.key.lower().endswith(".parquet") and self.file_type == "CSV" and "CSV parse error" in message:
            where = locate_bad_row(self.storage, self.bucket, item.key)
            if where:
                message = where
        error = ConnectorError("InvalidArgument", f"{item.key}: {message}")
        error.__cause__ = exc
        return error


class _Columns:
    """The columns of one file; the first file's are what every later file must match."""

    def __init__(self, key: str, names: list[str], schema: pa.Schema, *, by_name: bool) -> None:
        self.key, self.names, self.schema, self.by_name = key, names, schema, by_name

    def check(self, other: _Columns, key: str) -> None:
        same = set(other.names) == set(self.names) if other.by_name else other.names == self.names
        if not same:
            raise ConnectorError(
                "InvalidArgument",
                f"{key}: its columns {other.names} differ from those of {self.key} {self.names}; "
                "every file under the prefix must have the same columns",
            )

    def subset(self, names: list[str]) -> _Columns:
        """These columns narrowed to `names` (the ones a flow's tasks read)."""
        schema = pa.schema([self.schema.field(name) for name in names])
        return _Columns(self.key, list(names), schema, by_name=self.by_name)

    def conform(self, batch: pa.RecordBatch, key: str) -> pa.RecordBatch:
        """The batch with this file set's column order and types."""
        if batch.schema.names != self.names:
            batch = batch.select(self.names)
        if batch.schema.equals(self.schema):
            return batch
        try:
            return batch.cast(self.schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ConnectorError(
                "InvalidArgument", f"{key}: its column types {batch.schema} do not match those of {self.key}: {exc}"
            ) from exc


def in_window(item: ObjectInfo, start: float | None, end: float) -> bool:
    """True when the object's last-modified time lies in `(start, end]` (`start` None: no lower bound).

    The upper bound belongs to the window, so consecutive windows `(a, b]`, `(b, c]` read every
    object exactly once: each run compares the same listed value against the same shared bound.
    """
    modified = item.last_modified
    if modified is None:
        raise ConnectorError(
            "ServerError",
            f"{item.key}: the store did not report its last-modified time, which an incremental pull needs",
        )
    return (start is None or start < modified) and modified <= end


def _readable(item: ObjectInfo) -> bool:
    return item.size > 0 and not item.key.endswith("/") and not item.key.startswith(f"{STAGING_DIR}/")


def csv_header(storage: Storage, bucket: str, key: str) -> list[str]:
    """The raw names in the object's first CSV record (read from its first 64 KiB)."""
    head = storage.read_head(bucket, key, HEADER_BYTES)
    text = head.decode("utf-8-sig", errors="replace")
    if len(head) >= HEADER_BYTES and "\n" not in text and "\r" not in text:
        raise ConnectorError("InvalidArgument", f"{key}: the CSV header row is longer than {HEADER_BYTES} bytes")
    try:
        # newline=None: "\r", "\n" and "\r\n" end a line alike, as they do for pyarrow's reader.
        header = next(csv.reader(io.StringIO(text, newline=None)), [])
    except csv.Error as exc:
        raise ConnectorError("InvalidArgument", f"{key}: the CSV header row cannot be read: {exc}") from None
    if not header:
        raise ConnectorError("InvalidArgument", f"{key}: the CSV file has no header row")
    return header


def unique_names(raw: list[str]) -> list[str]:
    """Header names as fields: blanks become `columnN`, repeats get `_2`, `_3`..."""
    names = [name.strip() or f"column{index + 1}" for index, name in enumerate(raw)]
    seen: dict[str, int] = {}
    result = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return result


def locate_bad_row(storage: Storage, bucket: str, key: str) -> str | None:
    """Find the first CSV record whose field count differs from the header's (the slow path, on errors)."""
    try:
        with storage.open_input_stream(bucket, key) as stream:
            text = io.TextIOWrapper(io.BufferedReader(_RawStream(stream)), encoding="utf-8-sig", newline="")
            reader = csv.reader(text)
            header = next(reader, [])
            for record in reader:
                if record and len(record) != len(header):
                    return (
                        f"line {reader.line_num}: expected {len(header)} fields, found {len(record)}"
                    )
    except (OSError, ValueError, csv.Error, ConnectorError):
        return None
    return None


class _RawStream(io.RawIOBase):
    """A pyarrow input stream as a Python raw stream."""

    def __init__(self, stream: Any) -> None:
        super().__init__()
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def text_columns(names: Iterable[str], include: list[str] | None = None) -> pacsv.ConvertOptions:
    """Every CSV column as text, a blank cell null and a quoted empty string kept (`include`: only those)."""
    return pacsv.ConvertOptions(column_types={name: pa.string() for name in names}, strings_can_be_null=True,
                                null_values=[""], quoted_strings_can_be_null=False, include_columns=include or [])
