"""SQL column types as Arrow types and AppFlow field types (connectors layer).

One table serves PostgreSQL and MySQL/MariaDB (information_schema spells both): integers keep
their width, NUMERIC/DECIMAL(p, s) becomes `decimal128(p, s)` (unbounded NUMERIC, or a precision
over 38, becomes text so no digit is lost), timestamps keep their time zone (`timestamp with
time zone` is UTC-aware, `timestamp`/`datetime` naive), binary columns (bytea, blob, varbinary)
are `binary`, and JSON/JSONB are text holding the JSON document (Sluice's nesting rule for
sources that describe fields flatly: a document is one string field). Anything else (uuid,
interval, enums, arrays, geometry, ...) is text as the database prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

_INTEGERS = {
    "smallint": pa.int16(), "int2": pa.int16(), "integer": pa.int32(), "int": pa.int32(), "int4": pa.int32(),
    "mediumint": pa.int32(), "bigint": pa.int64(), "int8": pa.int64(), "tinyint": pa.int8(),
    "smallserial": pa.int16(), "serial": pa.int32(), "bigserial": pa.int64(), "year": pa.int16(),
}
_FLOATS = {"real": pa.float32(), "float4": pa.float32(), "float": pa.float32(),
           "double precision": pa.float64(), "double": pa.float64(), "float8": pa.float64()}
_BINARY = {"bytea", "blob", "tinyblob", "mediumblob", "longblob", "binary", "varbinary"}
_TEXT = {"character varying", "varchar", "character", "char", "text", "tinytext", "mediumtext", "longtext",
         "bpchar", "citext", "name"}
MAX_DECIMAL_PRECISION = 38


@dataclass(frozen=True, slots=True)
class SqlType:
    """A column's SQL type (as information_schema names it) and what Sluice makes of it."""

    name: str
    arrow: pa.DataType
    field_type: str  # AppFlow's fieldType text: integer, double, decimal, boolean, date, datetime, ...
    length: int | None = None

    @property
    def is_number(self) -> bool:
        """Integers, floats and decimals: the engine compares them as numbers."""
        return self.field_type in ("integer", "double", "decimal")

    @property
    def is_text(self) -> bool:
        """Character columns: any text compares with them as text (no cast that could fail)."""
        return self.name in _TEXT or self.name.endswith("text")

    @property
    def is_temporal(self) -> bool:
        """Dates and timestamps: the engine compares them as datetimes."""
        return self.field_type in ("date", "datetime")


def sql_type(data_type: str, *, precision: int | None = None, scale: int | None = None,
             length: int | None = None, column_type: str | None = None) -> SqlType:
    """The `SqlType` of an information_schema `data_type` (plus MySQL's `column_type`)."""
    name = data_type.strip().lower()
    full = (column_type or "").lower()
    if name == "tinyint" and full.startswith("tinyint(1)"):
        return SqlType(name, pa.bool_(), "boolean")  # MySQL's BOOLEAN is TINYINT(1)
    if name in _INTEGERS:
        arrow = _INTEGERS[name]
        if "unsigned" in full:
            # An unsigned column's top values do not fit the signed type of the same width.
            arrow = {pa.int8(): pa.int16(), pa.int16(): pa.int32(), pa.int32(): pa.int64()}.get(arrow, pa.uint64())
        return SqlType(name, arrow, "integer")
    if name in _FLOATS:
        return SqlType(name, _FLOATS[name], "double")
    if name in ("numeric", "decimal"):
        if precision is None or precision > MAX_DECIMAL_PRECISION:
            return SqlType(name, pa.string(), "string")
        return SqlType(name, pa.decimal128(precision, scale or 0), "decimal")
    if name in ("boolean", "bool", "bit") and not (name == "bit" and precision not in (None, 1)):
        return SqlType(name, pa.bool_(), "boolean")
    if name == "date":
        return SqlType(name, pa.date32(), "date")
    if name in ("timestamp with time zone", "timestamptz"):
        return SqlType(name, pa.timestamp("us", tz="UTC"), "datetime")
    if name == "timestamp" and column_type is not None:
        # MySQL's TIMESTAMP (only MySQL passes `column_type`) is stored in UTC and shown in the
        # session's zone, which Sluice sets to UTC: an instant. PostgreSQL spells its naive type in full.
        return SqlType(name, pa.timestamp("us", tz="UTC"), "datetime")
    if name in ("timestamp without time zone", "timestamp", "datetime"):
        return SqlType(name, pa.timestamp("us"), "datetime")
    if name in ("time without time zone", "time"):
        return SqlType(name, pa.time64("us"), "time")
    if name in _BINARY:
        return SqlType(name, pa.binary(), "binary", length)
    if name in ("json", "jsonb"):
        return SqlType(name, pa.string(), "string")
    if name in _TEXT or name.endswith("text"):
        return SqlType(name, pa.string(), "string", length)
    return SqlType(name, pa.string(), "string")
