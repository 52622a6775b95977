"""The JSON-lines parse step alone, pyarrow's reader against DuckDB's, in one process (bench).

What the S3 source does with one JSON-lines byte range (`S3Source._json_range`): bytes in memory
-> an Arrow table of the fields the flow's tasks read, with the types the object's first block
gave. Measured over every 8 MiB range of one yardstick object (bench/yardstick.py's `json` job,
~250k records, ~470 bytes each), single-threaded, `time.process_time` per way, ways taking
turns BENCH_REPEATS times (default 5); the figure is CPU-seconds per 1M records (median).

* `pyarrow`: `pyarrow.json.read_json` with the explicit schema of the 12 fields, others ignored
  (today's path).
* `duckdb-file`: the range written to a tmpfs file (/dev/shm), DuckDB's `read_json` on it
  (`format='newline_delimited'`, `columns={...}` typed, one thread) -> Arrow; timestamps read as
  text and cast by Arrow, as pyarrow's reader would parse them.
* `duckdb-file-times`: the same, timestamps parsed by DuckDB (`TIMESTAMP_S`) instead of Arrow.
* `duckdb-lines`: no file: the range's lines as an Arrow string array over the same buffer
  (offsets from the newlines, zero-copy), scanned by DuckDB with `json_transform_strict` into
  the typed struct -> Arrow. (DuckDB reads a Python buffer only through fsspec, not installed.)

Each way's table is first checked equal to pyarrow's. DuckDB is not a runtime dependency (the
venv has it as a test extra); the input is the yardstick's (`BENCH_JOBS=json python
bench/yardstick.py` makes it). Result and the end-to-end A/B: docs/engine.md, "Tried: DuckDB's
JSON reader".

    python bench/json_parser.py [path-to-a-json-lines-object]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.json as pajson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.s3_to_s3 import KEEP  # noqa: E402

SPLIT = 8 * 1024 * 1024
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
DUCK_TYPES = {pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.string(): "VARCHAR", pa.bool_(): "BOOLEAN"}


def ranges(data: bytes) -> list[memoryview]:
    """The object cut at the first newline after every 8 MiB, as the planner cuts it."""
    out, start, view = [], 0, memoryview(data)
    while start < len(data):
        end = data.find(b"\n", min(start + SPLIT, len(data) - 1)) + 1 or len(data)
        out.append(view[start:end])
        start = end
    return out


def schema_of(data: bytes) -> pa.Schema:
    """The 12 fields' types as the source infers them (the object's first 4 MiB)."""
    head = data[: 4 << 20]
    head = head[: head.rfind(b"\n") + 1]
    full = pajson.read_json(pa.py_buffer(head), read_options=pajson.ReadOptions(use_threads=False)).schema
    return pa.schema([full.field(name) for name in KEEP])


def duck_type(kind: pa.DataType) -> str:
    return "VARCHAR" if pa.types.is_timestamp(kind) else DUCK_TYPES[kind]


def with_arrow_times(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Timestamp fields DuckDB read as text, cast by Arrow (pyarrow's reader parses them so)."""
    return table.cast(schema) if not table.schema.equals(schema) else table


def parse_pyarrow(chunk: memoryview, schema: pa.Schema, _: Any) -> pa.Table:
    return pajson.read_json(
        pa.py_buffer(chunk),
        read_options=pajson.ReadOptions(block_size=max(len(chunk), 1 << 20), use_threads=False),
        parse_options=pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
    )


def read_json_file(chunk: memoryview, schema: pa.Schema, con: Any, times: str) -> pa.Table:
    """DuckDB's `read_json` over the range written to tmpfs (`times`: the DuckDB type of timestamps)."""
    path = f"/dev/shm/sluice-json-bench-{os.getpid()}.json"
    with open(path, "wb") as handle:
        handle.write(chunk)
    types = {f.name: times if pa.types.is_timestamp(f.type) else duck_type(f.type) for f in schema}
    columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in types.items()) + "}"
    # maximum_object_size sizes DuckDB's read buffers: 1 GiB instead of the range's size cost
    # ~0.4 CPU-s per 1M records here; the default (16 MiB) holds an 8 MiB range.
    reader = con.sql(f"SELECT * FROM read_json('{path}', format='newline_delimited', columns={columns}, "
                     f"maximum_object_size={max(16 << 20, len(chunk) + 1)})").to_arrow_reader(1 << 20)
    return with_arrow_times(reader.read_all(), schema)


def parse_duckdb_file(chunk: memoryview, schema: pa.Schema, con: Any) -> pa.Table:
    return read_json_file(chunk, schema, con, "VARCHAR")


def parse_duckdb_file_times(chunk: memoryview, schema: pa.Schema, con: Any) -> pa.Table:
    return read_json_file(chunk, schema, con, "TIMESTAMP_S")


def lines_of(chunk: memoryview) -> pa.Array:
    """The range's records as an Arrow string array over the same bytes (zero-copy)."""
    buffer = pa.py_buffer(chunk)
    ends = np.flatnonzero(np.frombuffer(buffer, dtype=np.uint8) == 10)
    offsets = np.empty(len(ends) + 1, dtype=np.int32)
    offsets[0] = 0
    offsets[1:] = ends + 1
    return pa.StringArray.from_buffers(len(ends), pa.py_buffer(offsets), buffer)


def parse_duckdb_lines(chunk: memoryview, schema: pa.Schema, con: Any) -> pa.Table:
    lines = pa.table({"line": lines_of(chunk)})  # noqa: F841 - DuckDB scans the local by name
    structure = "{" + ", ".join(f'"{f.name}": "{duck_type(f.type)}"' for f in schema) + "}"
    table = con.sql(f"SELECT unnest(json_transform_strict(line, '{structure}')) FROM lines").to_arrow_table()
    return with_arrow_times(table, schema)


WAYS = {"pyarrow": parse_pyarrow, "duckdb-file": parse_duckdb_file, "duckdb-file-times": parse_duckdb_file_times,
        "duckdb-lines": parse_duckdb_lines}


def main(path: Path) -> None:
    import duckdb

    data = path.read_bytes()
    chunks = ranges(data)
    schema = schema_of(data)
    con = duckdb.connect()
    con.execute("SET threads=1")
    reference = pa.concat_tables(parse_pyarrow(c, schema, None) for c in chunks)
    records = reference.num_rows
    for name, parse in WAYS.items():
        got = pa.concat_tables(parse(c, schema, con) for c in chunks)
        print(f"{name}: same table as pyarrow's: {got.equals(reference)}")
    cpu: dict[str, list[float]] = {name: [] for name in WAYS}
    for _ in range(REPEATS):
        for name, parse in WAYS.items():
            start = time.process_time()
            for chunk in chunks:
                parse(chunk, schema, con)
            cpu[name].append(time.process_time() - start)
    Path(f"/dev/shm/sluice-json-bench-{os.getpid()}.json").unlink(missing_ok=True)
    for name, runs in cpu.items():
        per = statistics.median(runs) * 1_000_000 / records
        print(f"{name}: {per:.2f} CPU-s per 1M records ({', '.join(f'{r:.3f}' for r in runs)} s for {records})")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / ".bench" / "yardstick-json" / "part-0000.json"))
