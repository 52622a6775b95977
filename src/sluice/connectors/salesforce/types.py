"""Salesforce field types as Arrow types, and records (REST JSON or Bulk CSV) as Arrow batches.

One mapping serves both read paths, so REST and Bulk API 2.0 give the same schema and values:

| Salesforce type                                        | Arrow                                  |
|--------------------------------------------------------|----------------------------------------|
| id, reference, string, textarea, picklist, ...         | string                                 |
| boolean                                                | bool                                   |
| int                                                    | int64                                  |
| double, percent                                        | float64                                |
| currency                                               | decimal128(precision, scale), else f64 |
| date / datetime                                        | date32 / timestamp("ms", "UTC")        |
| time, anything unknown                                 | string (as Salesforce writes it)       |
| address, location (compound)                           | string holding JSON (REST only)        |

The CSV path is parsed by `pyarrow.csv` in C with explicit column types (empty field = null);
the REST path builds one Python list per column of a page (at most 2,000 records).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

COMPOUND_TYPES = frozenset({"address", "location"})
TIMESTAMP = pa.timestamp("ms", tz="UTC")
MAX_DECIMAL_PRECISION = 38


def arrow_type(field: Mapping[str, Any] | None) -> pa.DataType:
    """The Arrow type of one describe field (`{"type", "precision", "scale", ...}`); string if unknown."""
    if not field:
        return pa.string()
    sf_type = str(field.get("type") or "")
    if sf_type == "boolean":
        return pa.bool_()
    if sf_type == "int":
        return pa.int64()
    if sf_type in ("double", "percent"):
        return pa.float64()
    if sf_type == "currency":
        precision, scale = field.get("precision"), field.get("scale")
        if isinstance(precision, int) and isinstance(scale, int) and 0 < precision <= MAX_DECIMAL_PRECISION:
            return pa.decimal128(precision, max(0, min(scale, precision)))
        return pa.float64()
    if sf_type == "date":
        return pa.date32()
    if sf_type == "datetime":
        return TIMESTAMP
    return pa.string()


def is_compound(field: Mapping[str, Any] | None) -> bool:
    """True for address/location fields, which Bulk API 2.0 cannot query."""
    return bool(field) and str(field.get("type")) in COMPOUND_TYPES  # type: ignore[union-attr]


def arrow_schema(fields: Iterable[Mapping[str, Any]], names: Sequence[str]) -> pa.Schema:
    """The schema of the columns `names` (in that order), typed from the describe `fields`."""
    by_name = {str(f.get("name")): f for f in fields}
    return pa.schema([pa.field(name, arrow_type(by_name.get(name)), nullable=True) for name in names])


# -- REST JSON --------------------------------------------------------------------------------


def _to_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping | list):
        # Compound values (address, location) keep their structure as JSON text.
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _column(values: list[Any], data_type: pa.DataType) -> pa.Array:
    if pa.types.is_string(data_type):
        return pa.array([_to_text(v) for v in values], pa.string())
    if pa.types.is_decimal(data_type):
        return pa.array([None if v is None else Decimal(str(v)) for v in values], data_type)
    if pa.types.is_timestamp(data_type) or pa.types.is_date(data_type):
        # REST writes `2024-01-31T10:00:00.000+0000`; Arrow's ISO-8601 cast reads that offset.
        return pa.array(values, pa.string()).cast(data_type)
    if pa.types.is_integer(data_type):
        return pa.array([None if v is None else int(v) for v in values], data_type)
    if pa.types.is_floating(data_type):
        return pa.array([None if v is None else float(v) for v in values], data_type)
    return pa.array(values, data_type)


def records_to_batch(records: Sequence[Mapping[str, Any]], schema: pa.Schema) -> pa.RecordBatch:
    """REST query records (`{"attributes": ..., "Field": value}`) as a batch of `schema`."""
    arrays = []
    for field in schema:
        values = [record.get(field.name) for record in records]
        try:
            arrays.append(_column(values, field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, ArithmeticError) as exc:
            raise ValueError(f"field {field.name} holds a value that is not {field.type}: {exc}") from None
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


# -- Bulk CSV ---------------------------------------------------------------------------------


def csv_convert_options(schema: pa.Schema) -> pacsv.ConvertOptions:
    """How `pyarrow.csv` reads a Bulk API 2.0 result page into `schema` (empty field = null)."""
    return pacsv.ConvertOptions(
        column_types={field.name: field.type for field in schema},
        include_columns=list(schema.names),
        include_missing_columns=True,
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        true_values=["true"],
        false_values=["false"],
        timestamp_parsers=[pacsv.ISO8601],
    )


def csv_parse_options() -> pacsv.ParseOptions:
    """Bulk API 2.0 CSV: comma, `"` quoting, LF; values may hold newlines inside quotes."""
    return pacsv.ParseOptions(delimiter=",", quote_char='"', double_quote=True, newlines_in_values=True)
