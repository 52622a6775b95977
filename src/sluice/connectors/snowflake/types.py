"""Snowflake column types as Sluice sees them (connectors layer): Arrow types and AppFlow field types.

One row of `INFORMATION_SCHEMA.COLUMNS` (data type, character length, numeric precision and
scale, nullability) becomes a `warehouse.Column` - what the run casts values to before staging
them as Parquet - and a `ConnectorEntityField` for `DescribeConnectorEntity`. Snowflake's data
types: https://docs.snowflake.com/en/sql-reference/intro-summary-data-types
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from sluice.connectors.warehouse import Column
from sluice.connectors.warehouse.fields import insert_field

# NUMBER(p, 0) up to this precision fits a 64-bit integer.
_INT64_DIGITS = 18
_TEXT = frozenset({"TEXT", "VARCHAR", "STRING", "CHAR", "CHARACTER", "NCHAR", "NVARCHAR", "NVARCHAR2", "CHAR VARYING",
                   "NCHAR VARYING"})
_FLOAT = frozenset({"FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "DOUBLE PRECISION", "REAL"})
_NUMBER = frozenset({"NUMBER", "DECIMAL", "NUMERIC", "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT",
                     "FIXED"})
_SEMI_STRUCTURED = frozenset({"VARIANT", "OBJECT", "ARRAY"})


@dataclass(frozen=True, slots=True)
class SnowflakeColumn:
    """A column as `INFORMATION_SCHEMA.COLUMNS` describes it."""

    name: str
    data_type: str
    nullable: bool = True
    char_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    default: str | None = None
    comment: str | None = None

    @property
    def base(self) -> str:
        """The type name without its arguments, upper case (`NUMBER`, `TIMESTAMP_NTZ`)."""
        return self.data_type.split("(", 1)[0].strip().upper()

    @property
    def declared(self) -> str:
        """The type as a DDL would spell it (`NUMBER(10,2)`, `VARCHAR(20)`), for messages."""
        base = self.base
        if base in _NUMBER and self.precision is not None:
            return f"NUMBER({self.precision},{self.scale or 0})"
        if base in _TEXT and self.char_length is not None:
            return f"VARCHAR({self.char_length})"
        return base


def from_row(row: tuple[Any, ...]) -> SnowflakeColumn:
    """(name, data_type, is_nullable, char length, precision, scale, default, comment) -> `SnowflakeColumn`."""
    name, data_type, nullable, length, precision, scale, default, comment = (list(row) + [None] * 8)[:8]
    return SnowflakeColumn(
        name=str(name), data_type=str(data_type or "TEXT"), nullable=str(nullable or "YES").upper() != "NO",
        char_length=int(length) if length is not None else None,
        precision=int(precision) if precision is not None else None,
        scale=int(scale) if scale is not None else None,
        default=str(default) if default is not None else None, comment=str(comment) if comment else None,
    )


def arrow_type(column: SnowflakeColumn) -> pa.DataType:
    """What values bound for `column` are cast to before staging (Parquet maps them to its types)."""
    base = column.base
    if base in _NUMBER:
        precision = column.precision if column.precision is not None else 38
        scale = column.scale or 0
        if scale == 0 and precision <= _INT64_DIGITS:
            return pa.int64()
        return pa.decimal128(precision, scale)
    if base in _FLOAT:
        return pa.float64()
    if base == "BOOLEAN":
        return pa.bool_()
    if base == "DATE":
        return pa.date32()
    if base == "TIME":
        return pa.time64("us")
    if base in ("TIMESTAMP_NTZ", "DATETIME", "TIMESTAMP"):
        return pa.timestamp("us")
    if base in ("TIMESTAMP_LTZ", "TIMESTAMP_TZ"):
        return pa.timestamp("us", tz="UTC")
    if base in ("BINARY", "VARBINARY"):
        return pa.binary()
    # Text, and VARIANT / OBJECT / ARRAY (nested values are staged as their JSON text).
    return pa.string()


def column(column: SnowflakeColumn) -> Column:
    """The `warehouse.Column` for a Snowflake column (VARCHAR lengths count characters)."""
    max_length = column.char_length if column.base in _TEXT else None
    return Column(name=column.name, arrow_type=arrow_type(column), db_type=column.declared,
                  max_length=max_length, length_in_bytes=False, nullable=column.nullable)


def field_type(column: SnowflakeColumn) -> str:
    """The AppFlow field type reported for the column (AppFlow's own names for warehouse fields)."""
    base = column.base
    if base in _NUMBER:
        return "Long" if (column.scale or 0) == 0 else "Decimal"
    if base in _FLOAT:
        return "Double"
    if base == "BOOLEAN":
        return "Boolean"
    if base == "DATE":
        return "Date"
    if base == "TIME":
        return "Time"
    if base.startswith("TIMESTAMP") or base == "DATETIME":
        return "DateTime"
    if base in _SEMI_STRUCTURED:
        return "Struct" if base == "OBJECT" else "List" if base == "ARRAY" else "Object"
    if base in ("BINARY", "VARBINARY"):
        return "Binary"
    return "String"


def entity_field(column: SnowflakeColumn) -> dict[str, Any]:
    """One `ConnectorEntityField`: a destination field that takes INSERTs."""
    details: dict[str, Any] = {"fieldType": field_type(column), "filterOperators": []}
    if column.base == "BOOLEAN":
        details["supportedValues"] = ["true", "false"]
    if column.base in _TEXT and column.char_length:
        details["fieldLengthRange"] = {"minimum": 0.0, "maximum": float(column.char_length)}
    if column.base == "DATE":
        details["supportedDateFormat"] = "yyyy-MM-dd"
    result = insert_field(column.name, details, description=column.comment or column.declared,
                          nullable=column.nullable, defaulted=column.default is not None)
    result["customProperties"] = {"dataType": column.declared}
    if column.default is not None:
        result["defaultValue"] = column.default
    return result
