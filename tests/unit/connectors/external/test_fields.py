"""Stream JSON schemas as typed fields, and records as Arrow (fields.py with the REST layer's converter)."""

from __future__ import annotations

import pyarrow as pa

from sluice.connectors.external.fields import field_type, fields_of
from sluice.connectors.external.protocols import Stream
from sluice.connectors.rest.records import RecordConverter


def test_json_schema_types() -> None:
    assert field_type({"type": ["null", "string"]}) == "string"
    assert field_type({"type": "string", "format": "date-time"}) == "datetime"
    assert field_type({"type": "string", "airbyte_type": "timestamp_with_timezone"}) == "datetime"
    assert field_type({"type": "string", "format": "date"}) == "date"
    assert field_type({"type": "integer"}) == "integer"
    assert field_type({"type": "number", "airbyte_type": "integer"}) == "integer"
    assert field_type({"type": ["null", "number"]}) == "double"
    assert field_type({"type": "boolean"}) == "boolean"
    assert field_type({"type": "object", "properties": {"a": {"type": "string"}}}) == "json"
    assert field_type({"type": "array"}) == "json"
    assert field_type({"type": ["string", "integer"]}) == "json"
    assert field_type({"anyOf": [{"type": "string"}, {"type": "integer"}]}) == "json"
    assert field_type({}) == "json"


def test_fields_mark_the_key_and_the_cursor_and_records_convert() -> None:
    stream = Stream(name="users", cursor=("updated_at",), primary_key=("id",), schema={"properties": {
        "id": {"type": "integer"}, "name": {"type": ["null", "string"]},
        "updated_at": {"type": "string", "format": "date-time"}, "address": {"type": "object"},
        "tags": {"type": "array"}, "active": {"type": "boolean"}}})
    fields = fields_of(stream)
    assert [(f.name, f.type, f.primary_key, f.timestamp) for f in fields] == [
        ("id", "integer", True, False), ("name", "string", False, False), ("updated_at", "datetime", False, True),
        ("address", "json", False, False), ("tags", "json", False, False), ("active", "boolean", False, False)]
    batch = RecordConverter(fields).batch([
        {"id": 1, "name": "Zoë", "updated_at": "2024-05-01T10:00:00Z", "address": {"city": "Łódź"},
         "tags": ["a"], "active": True},
        {"id": 2, "name": None, "updated_at": "2024-05-02T10:00:00.5+02:00", "address": None, "active": None}])
    assert batch.schema.field("updated_at").type == pa.timestamp("us", tz="UTC")
    rows = batch.to_pylist()
    assert rows[0]["address"] == '{"city":"Łódź"}' and rows[0]["tags"] == '["a"]'
    assert rows[1]["name"] is None and rows[1]["tags"] is None and rows[1]["updated_at"].hour == 8
