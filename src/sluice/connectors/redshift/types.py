"""Redshift column types as Arrow types and AppFlow field types (connectors layer).

Redshift reports types as PostgreSQL's information_schema spells them (`character varying`,
`timestamp without time zone`, ...). Each maps to the Arrow type values are cast to before they
are staged as Parquet, which Redshift's COPY reads back into the column:
https://docs.aws.amazon.com/redshift/latest/dg/c_Supported_data_types.html and
https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-columnar.html.
`CHAR(n)` / `VARCHAR(n)` lengths count bytes of UTF-8, not characters.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

# information_schema data_type -> (short Redshift name, AppFlow fieldType)
_NAMES: dict[str, str] = {
    "smallint": "smallint", "int2": "smallint",
    "integer": "integer", "int4": "integer", "int": "integer",
    "bigint": "bigint", "int8": "bigint",
    "numeric": "numeric", "decimal": "numeric",
    "real": "real", "float4": "real",
    "double precision": "double precision", "float8": "double precision", "float": "double precision",
    "boolean": "boolean", "bool": "boolean",
    "character": "char", "char": "char", "bpchar": "char", "nchar": "char",
    "character varying": "varchar", "varchar": "varchar", "nvarchar": "varchar", "text": "varchar",
    "date": "date",
    "timestamp without time zone": "timestamp", "timestamp": "timestamp",
    "timestamp with time zone": "timestamptz", "timestamptz": "timestamptz",
    "time without time zone": "time", "time": "time",
    "time with time zone": "timetz", "timetz": "timetz",
    "super": "super",
}
_TEXT_DEFAULT_BYTES = 256  # VARCHAR without a length is VARCHAR(256) in Redshift


@dataclass(frozen=True, slots=True)
class RedshiftType:
    """One column's Redshift type, read from information_schema."""

    name: str  # the short Redshift name: integer, varchar, timestamptz, ...
    length: int | None = None  # bytes, for char/varchar
    precision: int | None = None
    scale: int | None = None

    @property
    def arrow(self) -> pa.DataType:
        """The Arrow type values of this column are staged as."""
        return _arrow(self)

    @property
    def sql(self) -> str:
        """The type as Redshift DDL spells it."""
        if self.name in ("char", "varchar") and self.length:
            return f"{self.name}({self.length})"
        if self.name == "numeric" and self.precision:
            return f"numeric({self.precision},{self.scale or 0})"
        return self.name

    @property
    def field_type(self) -> str:
        """AppFlow's `fieldType` for the column: Redshift's own type name."""
        return self.name


def redshift_type(data_type: str, length: int | None = None, precision: int | None = None,
                  scale: int | None = None) -> RedshiftType:
    """The type information_schema reports as `data_type` (unknown types are staged as text)."""
    name = _NAMES.get(data_type.strip().lower(), "varchar" if "char" in data_type.lower() else data_type.lower())
    if name == "varchar" and data_type.lower() == "text":
        length = length or _TEXT_DEFAULT_BYTES
    return RedshiftType(name, length if name in ("char", "varchar") else None,
                        precision if name == "numeric" else None, scale if name == "numeric" else None)


def _arrow(t: RedshiftType) -> pa.DataType:
    simple: dict[str, pa.DataType] = {
        "smallint": pa.int16(), "integer": pa.int32(), "bigint": pa.int64(),
        "real": pa.float32(), "double precision": pa.float64(), "boolean": pa.bool_(),
        "date": pa.date32(), "timestamp": pa.timestamp("us"), "timestamptz": pa.timestamp("us", tz="UTC"),
        "time": pa.time64("us"),
    }
    if t.name in simple:
        return simple[t.name]
    if t.name == "numeric":
        precision = min(t.precision or 18, 38)
        return pa.decimal128(precision, min(t.scale or 0, precision))
    return pa.string()  # char, varchar, timetz, super (JSON text) and anything unknown
