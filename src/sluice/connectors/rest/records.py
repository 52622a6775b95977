"""JSON records -> Arrow record batches, typed by the entity's fields (connectors layer, REST layer).

The one conversion every SaaS connector uses (style point 16). The rule, per declared type:

* `string` - text as is; a number or boolean becomes its JSON text (`12`, `true`); an object or
  list becomes its JSON text;
* `integer` / `double` / `boolean` - native JSON values, or text that reads as one (ServiceNow
  sends every value as text); anything else is null;
* `datetime` - UTC timestamps (microseconds) from ISO 8601 text, epoch seconds or milliseconds,
  or a strptime format, as the field's `format` says; `date` - calendar dates;
* `struct` with declared `members` - an Arrow struct of those members (others are left out);
  `array` with a declared `item` - an Arrow list of that item type. Nested shapes the vendor
  documents are kept as Arrow nesting, never stringified;
* `json`, and a `struct` / `array` whose shape the vendor leaves open (custom field values,
  free-form attributes) - the value kept whole as its JSON text, so a shape that changes from
  record to record neither breaks the schema nor loses data.

An empty string in a non-text field is null (vendors use "" for "no value"). The schema depends
only on the fields, never on the records, so every page and run of a flow has the same schema.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from sluice.connectors.rest.entities import Field

TIMESTAMP = pa.timestamp("us", tz="UTC")
_SCALARS: Mapping[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "datetime": TIMESTAMP,
    "date": pa.date32(),
    "json": pa.string(),
}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def arrow_type(field: Field) -> pa.DataType:
    """The Arrow type of a field's column."""
    if field.type == "struct":
        if not field.members:
            return pa.string()
        return pa.struct([pa.field(m.name, arrow_type(m)) for m in field.members])
    if field.type == "array":
        return pa.list_(arrow_type(field.item)) if field.item is not None else pa.string()
    return _SCALARS[field.type]


def schema_of(fields: Sequence[Field]) -> pa.Schema:
    """The Arrow schema of records with these fields (column names are the field names)."""
    return pa.schema([pa.field(f.name, arrow_type(f)) for f in fields])


def value_at(record: Any, path: str) -> Any:
    """The value at dotted `path` in a record (None when absent)."""
    current = record
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def json_text(value: Any) -> str | None:
    """A value as JSON text (text itself stays as is); None stays None."""
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


class RecordConverter:
    """Turns lists of JSON records into `pa.RecordBatch`es of one fixed schema."""

    def __init__(self, fields: Sequence[Field]) -> None:
        self.fields = list(fields)
        self.schema = schema_of(self.fields)

    def batch(self, records: Sequence[Mapping[str, Any]]) -> pa.RecordBatch:
        """One batch holding `records`, in order."""
        columns = []
        for field in self.fields:
            source = field.source
            values = [value_at(r, source) for r in records] if "." in source else [r.get(source) for r in records]
            columns.append(column(field, values))
        return pa.RecordBatch.from_arrays(columns, schema=self.schema)


def column(field: Field, values: list[Any]) -> pa.Array:
    """The Arrow array of one field's values (see the module docstring for the rule)."""
    kind = field.type
    if kind == "struct" and field.members:
        return _struct(field, values)
    if kind == "array" and field.item is not None:
        return _list(field, values)
    if kind in ("struct", "array", "json"):
        return pa.array([json_text(v) if not isinstance(v, str) else orjson.dumps(v).decode() for v in values],
                        pa.string())
    target = _SCALARS[kind]
    if kind == "string":
        try:
            return pa.array(values, pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pa.array([_text(v) for v in values], pa.string())
    if kind == "datetime":
        return _instants(field, values)
    if kind == "date":
        return _dates(values)
    try:
        return pa.array(values, target)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        convert = {"integer": _integer, "double": _double, "boolean": _boolean}[kind]
        return pa.array([convert(v) for v in values], target)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and value.strip():
        try:
            return int(value)
        except ValueError:
            number = _double(value)
            return int(number) if number is not None and number.is_integer() else None
    return None


def _double(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return None


def _instants(field: Field, values: list[Any]) -> pa.Array:
    fmt = field.format
    if fmt in ("epoch_s", "epoch_ms"):
        scale = 1_000_000 if fmt == "epoch_s" else 1_000
        micros = []
        for value in values:
            number = _double(value)
            micros.append(None if number is None else round(number * scale))
        return pa.array(micros, pa.int64()).cast(TIMESTAMP)
    texts = [v if isinstance(v, str) and v else None for v in values]
    if fmt == "iso":
        try:
            return pc.cast(pa.array(texts, pa.string()), TIMESTAMP)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return pa.array([_iso(t) for t in texts], TIMESTAMP)
    try:
        parsed = pc.strptime(pa.array(texts, pa.string()), format=fmt, unit="us", error_is_null=True)
        return parsed.cast(pa.timestamp("us")).cast(TIMESTAMP) if parsed.type.tz is None else parsed.cast(TIMESTAMP)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([_strptime(t, fmt) for t in texts], TIMESTAMP)


def _iso(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _strptime(text: str | None, fmt: str) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.strptime(text, fmt)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _dates(values: list[Any]) -> pa.Array:
    texts = [v[:10] if isinstance(v, str) and v else None for v in values]
    try:
        return pc.cast(pa.array(texts, pa.string()), pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        parsed = []
        for text in texts:
            try:
                parsed.append(datetime.strptime(text, "%Y-%m-%d").date() if text else None)
            except ValueError:
                parsed.append(None)
        return pa.array(parsed, pa.date32())


def _struct(field: Field, values: list[Any]) -> pa.Array:
    children = []
    for member in field.members:
        source = member.source
        children.append(column(member, [value_at(v, source) if isinstance(v, Mapping) else None for v in values]))
    mask = pa.array([not isinstance(v, Mapping) for v in values], pa.bool_())
    return pa.StructArray.from_arrays(children, fields=list(arrow_type(field)), mask=mask)


def _list(field: Field, values: list[Any]) -> pa.Array:
    assert field.item is not None
    offsets = [0]
    flat: list[Any] = []
    valid = []
    for value in values:
        if isinstance(value, list):
            flat.extend(value)
            valid.append(True)
        else:
            valid.append(False)
        offsets.append(len(flat))
    items = column(field.item, flat)
    mask = pa.array([not v for v in valid], pa.bool_())
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), items, mask=mask)
