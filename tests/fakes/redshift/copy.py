"""Redshift's COPY from S3 Parquet, carried out on PostgreSQL (test stand-in).

PostgreSQL has no `COPY ... FROM 's3://...'`; this module recognises Redshift's form, reads every
object whose key starts with the prefix (Redshift loads all of them, in no promised order) from S3
through boto3 and streams the rows as CSV into `COPY <table> (<cols>) FROM STDIN` on the caller's
connection, so the load is part of the caller's transaction exactly as in Redshift. File columns
map to the column list by position, as Redshift's columnar COPY does.

The stand-in's own work is part of every measured load, so it is not left serial: a reader
thread fetches the objects and turns them into CSV a few thousand rows at a time while the
caller's connection sends the previous slice to PostgreSQL (Redshift's slices, too, read the
files while they load them). Memory stays bounded by the object being read plus a few slices.
"""

from __future__ import annotations

import io
import queue
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

COPY_FROM_S3 = re.compile(
    r"""^\s*COPY\s+(?P<table>[\w."]+)\s*(?:\((?P<columns>[^)]*)\))?\s+FROM\s+'s3://(?P<bucket>[^/']+)/(?P<prefix>[^']*)'"""
    r"""\s+(?:IAM_ROLE|CREDENTIALS)\s+'(?P<role>[^']*)'\s+(?:FORMAT\s+(?:AS\s+)?)?PARQUET\s*;?\s*$""",
    re.IGNORECASE | re.DOTALL,
)
IAM_ROLE = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


class CopyError(Exception):
    """A COPY Redshift would refuse (bad role, column count mismatch); message as Redshift words it."""


@dataclass(frozen=True, slots=True)
class CopyFromS3:
    """One parsed `COPY ... FROM 's3://...'` statement."""

    table: str
    columns: list[str] | None
    bucket: str
    prefix: str
    role: str


def parse(sql: str) -> CopyFromS3 | None:
    """The COPY-from-S3 statement `sql` is, or None for any other SQL."""
    match = COPY_FROM_S3.match(sql)
    if match is None:
        return None
    columns = [c.strip() for c in match["columns"].split(",")] if match["columns"] else None
    return CopyFromS3(match["table"], columns, match["bucket"], match["prefix"], match["role"])


def run_copy(conn: Any, copy: CopyFromS3, s3: Any, before_rows: Callable[[], None] = lambda: None) -> int:
    """Load every Parquet object under the prefix into the table on `conn` (psycopg); rows loaded.

    `before_rows` is called once the objects are listed, before the first row goes in (the
    tests' "pause COPY" control waits there).
    """
    if not IAM_ROLE.match(copy.role):
        raise CopyError(f"User arn:aws:redshift:us-east-1:123456789012:dbuser:fake is not authorized to assume "
                        f"IAM Role {copy.role}")
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=copy.bucket, Prefix=copy.prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []) if o.get("Size", 0) > 0)
    if not keys:
        raise CopyError(f"The specified S3 prefix '{copy.prefix}' does not exist")
    before_rows()
    columns = f" ({', '.join(copy.columns)})" if copy.columns else ""
    loaded = 0
    with conn.cursor() as cur, cur.copy(f"COPY {copy.table}{columns} FROM STDIN WITH (FORMAT csv)") as sink:
        for rows, data in _read_ahead(_csv_slices(copy, keys, s3)):
            loaded += rows
            sink.write(data)
    return loaded


SLICE_ROWS = 65_536
_AHEAD = 4  # slices converted ahead of the connection


def _csv_slices(copy: CopyFromS3, keys: list[str], s3: Any) -> Iterator[tuple[int, bytes]]:
    """(rows, CSV) for every slice of every object, in order; a file of the wrong shape is refused."""
    for key in keys:
        body = s3.get_object(Bucket=copy.bucket, Key=key)["Body"].read()
        parquet = pq.ParquetFile(io.BytesIO(body))
        width = len(parquet.schema_arrow)
        if copy.columns is not None and width != len(copy.columns):
            raise CopyError(f"Spectrum Scan Error: the file s3://{copy.bucket}/{key} has {width} "
                            f"columns but the column list names {len(copy.columns)}")
        for batch in parquet.iter_batches(batch_size=SLICE_ROWS, use_threads=False):
            yield batch.num_rows, csv_bytes(pa.Table.from_batches([batch]))


def _read_ahead(slices: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
    """`slices`, produced on a reader thread up to `_AHEAD` in advance; its errors re-raised here."""
    ready: queue.Queue[tuple[int, bytes] | BaseException | None] = queue.Queue(_AHEAD)
    stop = threading.Event()

    def produce() -> None:
        item: tuple[int, bytes] | BaseException | None = None
        try:
            for item in slices:
                while not stop.is_set():
                    try:
                        ready.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            item = None
        except BaseException as exc:  # handed to the consumer, which raises it in the statement's thread
            item = exc
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    reader = threading.Thread(target=produce, name="redshift-copy-reader", daemon=True)
    reader.start()
    try:
        while True:
            got = ready.get()
            if got is None:
                return
            if isinstance(got, BaseException):
                raise got
            yield got
    finally:
        stop.set()
        reader.join(10)


def csv_bytes(table: pa.Table) -> bytes:
    """CSV PostgreSQL reads back exactly: strings quoted (so "" is an empty string), nulls bare."""
    out = io.BytesIO()
    pacsv.write_csv(_utc_text(table), out, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return out.getvalue()


def _utc_text(table: pa.Table) -> pa.Table:
    """Time-zone-aware timestamps as UTC text with an explicit `+00` offset.

    Arrow stores them as UTC instants; its CSV writer formats them through a per-value time-zone
    conversion that costs ten times the rest of the row, while the naive UTC text plus the offset is
    the same instant to PostgreSQL.
    """
    for index, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            text = pc.cast(table.column(index).cast(pa.timestamp(field.type.unit)), pa.string())
            table = table.set_column(index, field.name, pc.binary_join_element_wise(text, pa.scalar("+00"), ""))
    return table
