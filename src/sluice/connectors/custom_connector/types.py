"""Custom connector field types as Arrow types, and connector records as Arrow batches (connectors layer).

The SDK's `FieldDataType` names the type of every field a connector describes; records come back
from `QueryData`/`RetrieveData` as JSON strings, one object per record, keyed by field name.

| FieldDataType                      | Arrow                         | JSON values read                           |
|------------------------------------|-------------------------------|--------------------------------------------|
| String                             | string                        | text; numbers/booleans as JSON writes them |
| Boolean                            | bool                          | true/false, "true"/"false"                 |
| Byte, Short, Integer, Long         | int8, int16, int32, int64     | integers, integral text                    |
| Float, Double                      | float32, float64              | numbers, numeric text                      |
| BigInteger                         | decimal128(38, 0)             | integers, integral text                    |
| BigDecimal                         | decimal128(38, 18)            | numbers, numeric text (rounded to 18 dp)   |
| ByteArray                          | binary                        | base64 text, or a list of byte values      |
| Date                               | date32                        | ISO dates/datetimes, epoch numbers         |
| DateTime                           | timestamp("us", "UTC")        | ISO-8601 (no zone = UTC), epoch numbers    |
| Struct, Map, List, anything else   | string                        | the value as compact JSON text             |

Epoch numbers (and all-digit text) are seconds, or milliseconds from 1e11 in magnitude, as the
engine's incremental windows read them. A value that does not read as its field's type fails the
page with a message naming the field and the value: silently nulling it would lose data.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.json as pj

TIMESTAMP = pa.timestamp("us", tz="UTC")
BIG_INTEGER = pa.decimal128(38, 0)
BIG_DECIMAL = pa.decimal128(38, 18)
ARROW_TYPES: dict[str, pa.DataType] = {
    "String": pa.string(),
    "Boolean": pa.bool_(),
    "Byte": pa.int8(),
    "Short": pa.int16(),
    "Integer": pa.int32(),
    "Long": pa.int64(),
    "Float": pa.float32(),
    "Double": pa.float64(),
    "BigInteger": BIG_INTEGER,
    "BigDecimal": BIG_DECIMAL,
    "ByteArray": pa.binary(),
    "Date": pa.date32(),
    "DateTime": TIMESTAMP,
}
INTEGER_TYPES = frozenset({"Byte", "Short", "Integer", "Long"})
FLOAT_TYPES = frozenset({"Float", "Double"})
MILLIS_THRESHOLD = 1e11  # the engine's epoch seconds / milliseconds boundary (engine/incremental.py)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1)
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_BASIC_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")
_TRUE, _FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})


def arrow_type(data_type: str | None) -> pa.DataType:
    """The Arrow type of an SDK `FieldDataType` name (string for structured and unknown types)."""
    return ARROW_TYPES.get(str(data_type or ""), pa.string())


def arrow_schema(fields: Sequence[Mapping[str, Any]], names: Sequence[str]) -> pa.Schema:
    """The schema of columns `names`, typed from SDK `FieldDefinition` dicts (unknown names: string)."""
    by_name = {str(f.get("fieldName")): f for f in fields}
    return pa.schema([pa.field(name, arrow_type((by_name.get(name) or {}).get("dataType"))) for name in names])


# -- value readers ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = _text(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("not a boolean")


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("not a number")
    try:
        number = Decimal(value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not number.is_finite():
        raise ValueError("not a finite number")
    return number


def _integer(value: Any) -> int:
    number = _decimal(value)
    if number != number.to_integral_value():
        raise ValueError("not an integer")
    return int(number)


def _float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int | float):
        return float(value)
    return float(_decimal(str(value).strip()))


def _epoch_micros(number: Decimal) -> int:
    seconds = number / 1000 if abs(number) >= Decimal(MILLIS_THRESHOLD) else number
    return int((seconds * 1_000_000).to_integral_value(ROUND_HALF_EVEN))


def _micros(value: Any) -> int:
    """Epoch microseconds of a DateTime value: ISO-8601 text (no zone = UTC) or an epoch number."""
    if isinstance(value, bool):
        raise ValueError("not a datetime")
    if isinstance(value, int | float):
        return _epoch_micros(_decimal(value))
    text = str(value).strip()
    if _NUMBER.match(text):
        return _epoch_micros(Decimal(text))
    # `2024-01-31T10:00:00.000+0000` (Salesforce and others write basic offsets) -> `+00:00`.
    text = _BASIC_OFFSET.sub(r"\1:\2", text) if "T" in text or " " in text else text
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _days(value: Any) -> int:
    """Days since the epoch of a Date value (a datetime's UTC day)."""
    if isinstance(value, str) and len(value.strip()) == 10:
        return (date.fromisoformat(value.strip()) - _EPOCH_DAY).days
    return _micros(value) // (86_400 * 1_000_000)


def _bytes(value: Any) -> bytes:
    if isinstance(value, list):
        return bytes(value)
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64 text") from None


def _column(values: list[Any], data_type: pa.DataType, name: str) -> pa.Array:
    def read(reader: Any) -> list[Any]:
        out: list[Any] = []
        for value in values:
            if value is None:
                out.append(None)
                continue
            try:
                out.append(reader(value))
            except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
                raise ValueError(f"field {name!r} holds {value!r}, which is not {data_type} ({exc})") from None
        return out

    if pa.types.is_string(data_type):
        return pa.array(read(_text), pa.string())
    if pa.types.is_boolean(data_type):
        return pa.array(read(_boolean), data_type)
    if pa.types.is_integer(data_type):
        ints = read(_integer)
        try:
            return pa.array(ints, data_type)
        except (pa.ArrowInvalid, OverflowError):
            raise ValueError(f"field {name!r} holds an integer too large for {data_type}") from None
    if pa.types.is_floating(data_type):
        return pa.array(read(_float), data_type)
    if pa.types.is_decimal(data_type):
        quantum = Decimal(1).scaleb(-data_type.scale)
        numbers = read(lambda v: _decimal(v.strip() if isinstance(v, str) else v).quantize(quantum, ROUND_HALF_EVEN))
        try:
            return pa.array(numbers, data_type)
        except (pa.ArrowInvalid, InvalidOperation):
            raise ValueError(f"field {name!r} holds a number too large for {data_type}") from None
    if pa.types.is_binary(data_type):
        return pa.array(read(_bytes), data_type)
    if pa.types.is_date32(data_type):
        return pa.array(read(_days), pa.int32()).cast(data_type)
    if pa.types.is_timestamp(data_type):
        return pa.array(read(_micros), pa.int64()).cast(data_type)
    return pa.array(read(_text), pa.string())


def _read_strict(records: Sequence[Any], schema: pa.Schema) -> pa.RecordBatch | None:
    """The records parsed by pyarrow's JSON reader in C, when every value already has its column's
    JSON type; None otherwise (numbers as text, epoch datetimes, ...), for the lenient path.

    Compact JSON objects never hold a raw newline, so the records joined by newlines are JSON lines.
    """
    if not records or not all(_strict_type(field.type) for field in schema):
        return None
    if not all(isinstance(record, str) for record in records):
        return None
    data = "\n".join(records).encode()
    if data.count(b"\n") != len(records) - 1:
        return None  # a record spread over several lines
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        table = pj.read_json(pa.BufferReader(data), parse_options=options,
                             read_options=pj.ReadOptions(use_threads=False, block_size=len(data) + 1))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if table.num_rows != len(records) or table.schema != schema:
        return None
    return table.combine_chunks().to_batches()[0] if table.num_rows else None


def _strict_type(data_type: pa.DataType) -> bool:
    """Types pyarrow's JSON reader reads exactly as the lenient path does (or refuses to read).

    Dates (pyarrow reads a number as days, not epoch seconds), bytes (not base64-decoded) and
    decimals (rounding) always take the lenient path.
    """
    return (pa.types.is_string(data_type) or pa.types.is_boolean(data_type) or pa.types.is_integer(data_type)
            or pa.types.is_floating(data_type) or pa.types.is_timestamp(data_type))


def parse_records(records: Sequence[Any]) -> list[dict[str, Any]]:
    """Connector records (JSON strings, or objects) as dicts; ValueError naming the first bad one."""
    parsed = []
    for index, record in enumerate(records):
        if isinstance(record, str):
            try:
                record = json.loads(record)
            except ValueError as exc:
                raise ValueError(f"record {index} is not JSON ({exc})") from None
        if not isinstance(record, Mapping):
            raise ValueError(f"record {index} is a {type(record).__name__}, not a JSON object")
        parsed.append(dict(record))
    return parsed


def records_to_batch(records: Sequence[Any], schema: pa.Schema) -> pa.RecordBatch:
    """Connector records (JSON strings) as a batch of `schema`; missing fields are null.

    ValueError (naming the field and value) when a value does not read as its column's type.
    """
    fast = _read_strict(records, schema)
    if fast is not None:
        return fast
    rows = parse_records(records)
    arrays = [_column([row.get(field.name) for row in rows], field.type, field.name) for field in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


# -- Arrow values -> connector JSON (WriteData) ------------------------------------------------


def json_value(value: Any) -> Any:
    """A record value as the SDK's JSON records carry it (datetimes ISO-8601 with Z, bytes base64)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        # A float when that is the same number; else the exact digits as text (never silently rounded).
        return float(value) if Decimal(repr(float(value))) == value else format(value, "f")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if value and all(isinstance(item, tuple) and len(item) == 2 for item in value):
            return {str(k): json_value(v) for k, v in value}  # an Arrow map's (key, value) pairs
        return [json_value(item) for item in value]
    return str(value)
