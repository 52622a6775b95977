"""MySQL/MariaDB's half of a table write (connectors layer): multi-row INSERTs into a stage, one statement out.

The stage is a `TEMPORARY` table declared from the table's own `column_type`s, every column nullable
(a column the flow does not map stays out of the final statement), plus an `AUTO_INCREMENT` arrival
sequence. Batches arrive through PyMySQL's `executemany`, which packs `INSERT ... VALUES` rows into
statements of up to 1 MB, every value bound by the driver. Out of it: `INSERT ... SELECT`,
`INSERT ... SELECT ... ON DUPLICATE KEY UPDATE` (rows in arrival order, so the last record of a key
wins; the key is whichever unique key the record collides on, which `idFieldNames` should name), or
an `UPDATE ... JOIN` on the latest staged record of each key. MySQL lets a statement name a
temporary table once, so the latest-per-key set is its own small temporary table.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pyarrow as pa

from sluice.connectors.jdbc.sql import quote_identifier

SEQ = "sluice_seq"


def _q(name: str) -> str:
    return quote_identifier(name, "mysql")


class MySQLWriter:
    """`destination.Writer` for MySQL and MariaDB."""

    def __init__(self, schema: str, table: str, stage: str) -> None:
        self.schema, self.table = schema, table
        self.target = f"{_q(schema)}.{_q(table)}"
        self.stage = _q(stage)
        self.latest = _q(stage + "_latest")

    def create_stage(self, cur: Any, columns: list[str]) -> None:
        cur.execute("SELECT column_name, column_type FROM information_schema.columns "
                    "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position", (self.schema, self.table))
        declared = {str(name): str(kind) for name, kind in cur.fetchall()}
        parts = [f"{SEQ} BIGINT AUTO_INCREMENT PRIMARY KEY"]
        parts += [f"{_q(c)} {declared[c]} NULL" for c in columns]
        cur.execute(f"CREATE TEMPORARY TABLE {self.stage} ({', '.join(parts)})")

    def load(self, cur: Any, batch: pa.RecordBatch) -> int:
        names = batch.schema.names
        columns = [_values(array) for array in batch.columns]
        rows = list(zip(*columns, strict=True))
        marks = ", ".join(["%s"] * len(names))
        cur.executemany(f"INSERT INTO {self.stage} ({', '.join(_q(n) for n in names)}) VALUES ({marks})", rows)
        return int(batch.nbytes)

    def statements(self, operation: str, columns: list[str], ids: list[str]) -> list[str]:
        listed = ", ".join(_q(c) for c in columns)
        select = f"SELECT {listed} FROM {self.stage} ORDER BY {SEQ}"
        others = [c for c in columns if c not in ids]
        if operation == "INSERT":
            return [f"INSERT INTO {self.target} ({listed}) {select}"]
        if operation == "UPSERT":
            updates = ", ".join(f"{_q(c)} = VALUES({_q(c)})" for c in others or ids[:1])
            return [f"INSERT INTO {self.target} ({listed}) {select} ON DUPLICATE KEY UPDATE {updates}"]
        keys = ", ".join(_q(i) for i in ids)
        match = " AND ".join(f"t.{_q(i)} = s.{_q(i)}" for i in ids)
        sets = ", ".join(f"t.{_q(c)} = s.{_q(c)}" for c in others)
        return [
            f"CREATE TEMPORARY TABLE {self.latest} (PRIMARY KEY ({SEQ})) "
            f"SELECT MAX({SEQ}) AS {SEQ} FROM {self.stage} GROUP BY {keys}",
            f"UPDATE {self.target} AS t JOIN {self.stage} AS s ON {match} "
            f"JOIN {self.latest} AS l ON l.{SEQ} = s.{SEQ} SET {sets}",
        ]

    def unmatched(self, cur: Any, columns: list[str], ids: list[str]) -> tuple[list[str], list[tuple[Any, ...]]]:
        match = " AND ".join(f"t.{_q(i)} = s.{_q(i)}" for i in ids)
        listed = ", ".join(f"s.{_q(c)}" for c in columns)
        cur.execute(f"SELECT {listed} FROM {self.stage} AS s LEFT JOIN {self.target} AS t ON {match} "
                    f"WHERE t.{_q(ids[0])} IS NULL ORDER BY s.{SEQ}")
        return list(columns), list(cur.fetchall())


def _values(array: pa.Array) -> list[Any]:
    """A fitted column as the Python values PyMySQL binds (instants as naive UTC: the session is UTC)."""
    values = array.to_pylist()
    if pa.types.is_timestamp(array.type) and array.type.tz is not None:
        return [None if v is None else v.astimezone(UTC).replace(tzinfo=None) for v in values]
    return values
