"""JSON-lines byte ranges parsed by DuckDB's `read_json` (an experiment; see docs/engine.md).

One DuckDB connection per split thread (`threads=1`: the run's parallelism is its split
threads). DuckDB reads files, not memory, so the range's bytes go to a tmpfs file first.
Timestamps are read as text and cast by Arrow, as pyarrow's reader parses them.
"""

from __future__ import annotations

import os
import tempfile
import threading
from typing import Any

import pyarrow as pa

_SIMPLE = {pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.string(): "VARCHAR", pa.bool_(): "BOOLEAN"}
_local = threading.local()
_TMP = "/dev/shm" if os.path.isdir("/dev/shm") else None


def supports(schema: pa.Schema) -> bool:
    """True when every field has a type this reader maps."""
    return all(field.type in _SIMPLE or pa.types.is_timestamp(field.type) for field in schema)


def _connection() -> Any:
    con = getattr(_local, "con", None)
    if con is None:
        import duckdb  # only a JSON run with this parser pays for the import

        con = duckdb.connect()
        con.execute("SET threads=1")
        con.execute("SET enable_progress_bar=false")
        _local.con = con
    return con


def read_range(data: Any, schema: pa.Schema) -> pa.Table:
    """The range's records with `schema`'s fields and types (other fields skipped)."""
    import duckdb

    con = _connection()
    fd, path = tempfile.mkstemp(suffix=".json", dir=_TMP)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        columns = ", ".join(
            "'{}': '{}'".format(field.name.replace("'", "''"),
                                "VARCHAR" if pa.types.is_timestamp(field.type) else _SIMPLE[field.type])
            for field in schema)
        try:
            # DuckDB sizes its read buffers by maximum_object_size: 1 GiB cost ~0.4 CPU-s per 1M records.
            largest = max(16 << 20, len(data) + 1)
            reader = con.sql(f"SELECT * FROM read_json('{path}', format='newline_delimited', columns={{{columns}}}, "
                             f"maximum_object_size={largest})").to_arrow_reader(1 << 20)
            table = reader.read_all()
        except duckdb.Error as exc:
            raise pa.ArrowInvalid(str(exc).replace(path, "the range")) from None
    finally:
        os.unlink(path)
    return table if table.schema.equals(schema) else table.cast(schema)
