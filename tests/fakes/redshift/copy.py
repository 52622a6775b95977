"""Redshift's COPY from S3 Parquet, carried out on PostgreSQL (test stand-in).

PostgreSQL has no `COPY ... FROM 's3://...'`; this module recognises Redshift's form, reads every
object whose key starts with the prefix (Redshift loads all of them, in no promised order) from S3
through boto3 and streams the rows as CSV into `COPY <table> (<cols>) FROM STDIN` on the caller's
connection, so the load is part of the caller's transaction exactly as in Redshift. File columns
map to the column list by position, as Redshift's columnar COPY does.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
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
        for key in keys:
            body = s3.get_object(Bucket=copy.bucket, Key=key)["Body"].read()
            table = pq.read_table(io.BytesIO(body))
            if copy.columns is not None and table.num_columns != len(copy.columns):
                raise CopyError(f"Spectrum Scan Error: the file s3://{copy.bucket}/{key} has {table.num_columns} "
                                f"columns but the column list names {len(copy.columns)}")
            loaded += table.num_rows
            sink.write(csv_bytes(table))
    return loaded


def csv_bytes(table: pa.Table) -> bytes:
    """CSV PostgreSQL reads back exactly: strings quoted (so "" is an empty string), nulls bare."""
    out = io.BytesIO()
    pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return out.getvalue()
