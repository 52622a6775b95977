"""PostgreSQL's half of a table write (connectors layer): COPY into a stage, one statement out of it.

The stage is `CREATE TEMPORARY TABLE ... ON COMMIT DROP AS SELECT <columns> FROM <table> WITH NO
DATA` (the table's own types, no constraints) plus a `bigserial` arrival sequence. Batches arrive
by `COPY ... FROM STDIN (FORMAT csv)` from pyarrow's CSV writer (nulls unquoted-empty, empty strings
`""`, bytea as `\\x` hex, booleans `t`/`f`). Out of it: `INSERT ... SELECT`, `INSERT ... ON CONFLICT
(ids) DO UPDATE` over `SELECT DISTINCT ON (ids) ... ORDER BY ids, seq DESC` (the last record of a
key), or `UPDATE ... FROM` that same latest-per-key set.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sluice.connectors.jdbc.sql import quote_identifier

SEQ = "sluice_seq"


def _q(name: str) -> str:
    return quote_identifier(name, "postgresql")


class PostgresWriter:
    """`destination.Writer` for PostgreSQL."""

    def __init__(self, schema: str, table: str, stage: str) -> None:
        self.target = f"{_q(schema)}.{_q(table)}"
        self.stage = _q(stage)

    def create_stage(self, cur: Any, columns: list[str]) -> None:
        listed = ", ".join(_q(c) for c in columns)
        cur.execute(f"CREATE TEMPORARY TABLE {self.stage} ON COMMIT DROP AS SELECT {listed} "
                    f"FROM {self.target} WITH NO DATA")
        # The order records arrived in: for UPSERT/UPDATE the last record of a key wins.
        cur.execute(f"ALTER TABLE {self.stage} ADD COLUMN {SEQ} bigserial")

    def load(self, cur: Any, batch: pa.RecordBatch) -> int:
        payload = csv_payload(batch)
        columns = ", ".join(_q(n) for n in batch.schema.names)
        with cur.copy(f"COPY {self.stage} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(payload)
        return len(payload)

    def statements(self, operation: str, columns: list[str], ids: list[str]) -> list[str]:
        listed = ", ".join(_q(c) for c in columns)
        if operation == "INSERT":
            return [f"INSERT INTO {self.target} ({listed}) SELECT {listed} FROM {self.stage} ORDER BY {SEQ}"]
        keys = ", ".join(_q(i) for i in ids)
        latest = f"SELECT DISTINCT ON ({keys}) {listed} FROM {self.stage} ORDER BY {keys}, {SEQ} DESC"
        others = [c for c in columns if c not in ids]
        if operation == "UPSERT":
            action = ("DO UPDATE SET " + ", ".join(f"{_q(c)} = EXCLUDED.{_q(c)}" for c in others)
                      if others else "DO NOTHING")
            return [f"INSERT INTO {self.target} ({listed}) {latest} ON CONFLICT ({keys}) {action}"]
        match = " AND ".join(f"t.{_q(i)} = s.{_q(i)}" for i in ids)
        sets = ", ".join(f"{_q(c)} = s.{_q(c)}" for c in others)
        return [f"UPDATE {self.target} AS t SET {sets} FROM ({latest}) AS s WHERE {match}"]

    def unmatched(self, cur: Any, columns: list[str], ids: list[str]) -> tuple[list[str], list[tuple[Any, ...]]]:
        match = " AND ".join(f"t.{_q(i)} = s.{_q(i)}" for i in ids)
        listed = ", ".join(f"s.{_q(c)}" for c in columns)
        cur.execute(f"SELECT {listed} FROM {self.stage} AS s WHERE NOT EXISTS (SELECT 1 FROM {self.target} AS t "
                    f"WHERE {match}) ORDER BY s.{SEQ}")
        return list(columns), list(cur.fetchall())


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
