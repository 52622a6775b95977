"""SAP's JSON values <-> Arrow and back (connectors layer, SAP OData).

Reading: OData V2 JSON writes `Edm.DateTime` as `"/Date(<ms since 1970 UTC>)/"` and
`Edm.DateTimeOffset` as `"/Date(<ms>+<offset minutes>)/"` (the milliseconds are UTC; the offset
only says where the value was written), which the REST layer's record conversion does not know:
`read_fields` declares such top-level fields as text and `convert_dates` turns those columns into
UTC timestamps with Arrow compute (one regex pass per column, no Python per value); values inside
complex types are converted per record (`nested_dates`). V4 writes ISO 8601 text, which the
shared conversion reads itself.

Writing: `to_wire` gives each value of a flow record the JSON form SAP expects for its property.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from sluice.connectors.rest.entities import Field
from sluice.literals import parse_micros

_DATE_PATTERN = r"^/Date\((?P<ms>-?\d+)(?:[+-]\d{1,4})?\)/$"
_DATE = re.compile(_DATE_PATTERN)
TIMESTAMP = pa.timestamp("us", tz="UTC")
SAP_DATES = ("Edm.DateTime", "Edm.DateTimeOffset")


def read_fields(fields: Sequence[Field], v4: bool) -> tuple[list[Field], list[str]]:
    """The fields to convert records with, and the names of columns `convert_dates` must finish."""
    if v4:
        return list(fields), []
    converted, dates = [], []
    for field in fields:
        if field.type == "datetime" and field.vendor_type in SAP_DATES:
            converted.append(replace(field, type="string"))
            dates.append(field.name)
        else:
            converted.append(field)
    return converted, dates


def convert_dates(batch: pa.RecordBatch, names: Sequence[str]) -> pa.RecordBatch:
    """`batch` with the `/Date(...)/` text columns `names` as UTC timestamps (unreadable -> null)."""
    if not names:
        return batch
    arrays, schema_fields = [], []
    for index, name in enumerate(batch.schema.names):
        column = batch.column(index)
        if name in names:
            parts = pc.extract_regex(column, _DATE_PATTERN)
            millis = pc.cast(pc.struct_field(parts, "ms"), pa.int64())
            column = pc.cast(pc.multiply(millis, 1000), pa.int64()).cast(TIMESTAMP)
            schema_fields.append(pa.field(name, TIMESTAMP))
        else:
            schema_fields.append(batch.schema.field(index))
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(schema_fields))


def has_nested_dates(fields: Sequence[Field]) -> bool:
    """True when a struct member (at any depth) is an SAP date."""
    for field in fields:
        if field.type == "struct" and any(m.type == "datetime" or has_nested_dates([m]) for m in field.members):
            return True
    return False


def iso_of(value: Any) -> Any:
    """`/Date(ms)/` text as ISO 8601 UTC text (other values unchanged)."""
    if isinstance(value, str):
        match = _DATE.match(value)
        if match:
            moment = datetime.fromtimestamp(int(match.group("ms")) / 1000, UTC)
            return moment.isoformat().replace("+00:00", "Z")
    return value


def nested_dates(record: Mapping[str, Any], fields: Sequence[Field]) -> dict[str, Any]:
    """A record whose struct members that are SAP dates are ISO text (the shared conversion reads it)."""
    out = dict(record)
    for field in fields:
        value = out.get(field.name)
        if field.type == "struct" and isinstance(value, Mapping):
            inner = nested_dates(value, field.members)
            for member in field.members:
                if member.type == "datetime":
                    inner[member.name] = iso_of(inner.get(member.name))
            out[field.name] = inner
    return out


# -- writing ----------------------------------------------------------------------------------


def _millis(value: Any) -> int | None:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return round(moment.timestamp() * 1000)
    if isinstance(value, date):
        return round(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp() * 1000)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if abs(value) >= 1e11 else int(value * 1000)
    if isinstance(value, str):
        match = _DATE.match(value.strip())
        if match:
            return int(match.group("ms"))
        micros = parse_micros(value)
        return None if micros is None else micros // 1000
    return None


def to_wire(field: Field, value: Any, v4: bool) -> Any:
    """A flow value in the JSON form SAP takes for `field` (a value that does not fit goes as it is:
    SAP refuses it for that record, with its own message)."""
    if value is None:
        return None
    edm = field.vendor_type
    if field.type == "struct":
        if isinstance(value, str) and value.strip().startswith("{"):
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                return value
        if isinstance(value, Mapping):
            members = {m.name: m for m in field.members}
            return {k: to_wire(members[k], v, v4) for k, v in value.items() if k in members}
        return value
    if edm in SAP_DATES:
        millis = _millis(value)
        if millis is None:
            return value
        if v4:
            return datetime.fromtimestamp(millis / 1000, UTC).isoformat().replace("+00:00", "Z")
        return f"/Date({millis})/" if edm == "Edm.DateTime" else f"/Date({millis}+0000)/"
    if edm == "Edm.Date":
        millis = _millis(value)
        return value if millis is None else datetime.fromtimestamp(millis / 1000, UTC).strftime("%Y-%m-%d")
    if field.type == "integer":
        try:
            number = int(Decimal(str(value)))
        except (InvalidOperation, ValueError):
            return value
        return str(number) if edm == "Edm.Int64" and not v4 else number
    if edm == "Edm.Decimal":
        try:
            exact = Decimal(str(value))
        except InvalidOperation:
            return value
        return float(exact) if v4 else str(exact)
    if field.type == "double":
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    if field.type == "boolean":
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value if isinstance(value, str | int | float | bool) else str(value)
