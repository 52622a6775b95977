"""Salesforce types -> Arrow: the mapping, and REST JSON and Bulk CSV reading to the same values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from sluice.connectors.salesforce import types

FIELDS: list[dict[str, Any]] = [
    {"name": "Id", "type": "id"},
    {"name": "Name", "type": "string"},
    {"name": "IsActive", "type": "boolean"},
    {"name": "Employees", "type": "int"},
    {"name": "Score", "type": "double"},
    {"name": "Share", "type": "percent"},
    {"name": "Revenue", "type": "currency", "precision": 18, "scale": 2},
    {"name": "Born", "type": "date"},
    {"name": "Modified", "type": "datetime"},
    {"name": "Opens", "type": "time"},
    {"name": "Tags", "type": "multipicklist"},
]
NAMES = [str(f["name"]) for f in FIELDS]


@pytest.mark.parametrize(("field", "expected"), [
    ({"type": "id"}, pa.string()),
    ({"type": "reference"}, pa.string()),
    ({"type": "textarea"}, pa.string()),
    ({"type": "encryptedstring"}, pa.string()),
    ({"type": "boolean"}, pa.bool_()),
    ({"type": "int"}, pa.int64()),
    ({"type": "double"}, pa.float64()),
    ({"type": "percent"}, pa.float64()),
    ({"type": "currency", "precision": 18, "scale": 2}, pa.decimal128(18, 2)),
    ({"type": "currency"}, pa.float64()),
    ({"type": "date"}, pa.date32()),
    ({"type": "datetime"}, pa.timestamp("ms", tz="UTC")),
    ({"type": "time"}, pa.string()),
    ({"type": "address"}, pa.string()),
    ({"type": "somethingnew"}, pa.string()),
    (None, pa.string()),
])
def test_arrow_type(field: dict | None, expected: pa.DataType) -> None:
    assert types.arrow_type(field) == expected


def test_schema_follows_the_requested_order_and_unknown_names_are_strings() -> None:
    schema = types.arrow_schema(FIELDS, ["Born", "Nope", "Id"])
    assert schema.names == ["Born", "Nope", "Id"]
    assert schema.types == [pa.date32(), pa.string(), pa.string()]


REST_RECORDS: list[dict[str, Any]] = [
    {"attributes": {"type": "Account", "url": "/x"}, "Id": "001A", "Name": "Acme \"quoted\", Inc\nline 2",
     "IsActive": True, "Employees": 12, "Score": 1.5, "Share": 10.0, "Revenue": 1234.5, "Born": "2024-01-31",
     "Modified": "2024-01-31T10:00:00.000+0000", "Opens": "09:30:00.000Z", "Tags": "a;b"},
    {"attributes": {"type": "Account", "url": "/y"}, "Id": "001B", "Name": None, "IsActive": False,
     "Employees": None, "Score": None, "Share": None, "Revenue": None, "Born": None, "Modified": None,
     "Opens": None, "Tags": None},
]
BULK_CSV = (
    b'"Id","Name","IsActive","Employees","Score","Share","Revenue","Born","Modified","Opens","Tags"\n'
    b'"001A","Acme ""quoted"", Inc\nline 2","true","12","1.5","10","1234.50","2024-01-31",'
    b'"2024-01-31T10:00:00.000Z","09:30:00.000Z","a;b"\n'
    b'"001B","","false","","","","","","","",""\n'
)


def test_rest_and_bulk_give_the_same_batch() -> None:
    schema = types.arrow_schema(FIELDS, NAMES)
    rest = types.records_to_batch(REST_RECORDS, schema)
    bulk = pacsv.read_csv(pa.py_buffer(BULK_CSV), parse_options=types.csv_parse_options(),
                          convert_options=types.csv_convert_options(schema))
    assert bulk.schema == schema
    assert pa.Table.from_batches([rest]).equals(bulk)
    first = rest.to_pylist()[0]
    assert first["Revenue"] == Decimal("1234.50")
    assert first["Modified"] == dt.datetime(2024, 1, 31, 10, tzinfo=dt.UTC)
    assert first["Born"] == dt.date(2024, 1, 31)
    assert rest.to_pylist()[1] == {**dict.fromkeys(NAMES), "Id": "001B", "IsActive": False}


def test_compound_values_become_json_text() -> None:
    schema = types.arrow_schema([{"name": "BillingAddress", "type": "address"}], ["BillingAddress"])
    batch = types.records_to_batch([{"BillingAddress": {"city": "Paris", "country": "France"}}], schema)
    assert batch.column(0).to_pylist() == ['{"city":"Paris","country":"France"}']
    assert types.is_compound({"type": "location"}) and not types.is_compound({"type": "string"})


def test_a_value_of_the_wrong_type_is_reported_by_field() -> None:
    schema = types.arrow_schema(FIELDS, ["Modified"])
    with pytest.raises(ValueError, match="field Modified"):
        types.records_to_batch([{"Modified": "yesterday"}], schema)
