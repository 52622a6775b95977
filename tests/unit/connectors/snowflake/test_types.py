"""connectors/snowflake/types.py: INFORMATION_SCHEMA rows as Arrow column types and AppFlow fields."""

from __future__ import annotations

import pyarrow as pa
import pytest

from sluice.connectors.snowflake import types


@pytest.mark.parametrize(("row", "arrow", "field_type"), [
    (("ID", "NUMBER", "NO", None, 10, 0), pa.int64(), "Long"),
    (("BIG", "NUMBER", "YES", None, 38, 0), pa.decimal128(38, 0), "Long"),
    (("PRICE", "NUMBER", "YES", None, 12, 2), pa.decimal128(12, 2), "Decimal"),
    (("F", "FLOAT", "YES", None, None, None), pa.float64(), "Double"),
    (("NAME", "TEXT", "YES", 20, None, None), pa.string(), "String"),
    (("OK", "BOOLEAN", "YES", None, None, None), pa.bool_(), "Boolean"),
    (("D", "DATE", "YES", None, None, None), pa.date32(), "Date"),
    (("T", "TIME", "YES", None, None, None), pa.time64("us"), "Time"),
    (("TS", "TIMESTAMP_NTZ", "YES", None, None, None), pa.timestamp("us"), "DateTime"),
    (("TL", "TIMESTAMP_LTZ", "YES", None, None, None), pa.timestamp("us", tz="UTC"), "DateTime"),
    (("TZ", "TIMESTAMP_TZ", "YES", None, None, None), pa.timestamp("us", tz="UTC"), "DateTime"),
    (("V", "VARIANT", "YES", None, None, None), pa.string(), "Object"),
    (("O", "OBJECT", "YES", None, None, None), pa.string(), "Struct"),
    (("A", "ARRAY", "YES", None, None, None), pa.string(), "List"),
])
def test_types(row: tuple, arrow: pa.DataType, field_type: str) -> None:
    described = types.from_row(row)
    assert types.arrow_type(described) == arrow
    assert types.field_type(described) == field_type


def test_varchar_length_counts_characters_and_not_null_is_kept() -> None:
    column = types.column(types.from_row(("NAME", "TEXT", "NO", 5, None, None)))
    described = (column.max_length, column.length_in_bytes, column.nullable, column.db_type)
    assert described == (5, False, False, "VARCHAR(5)")
    assert types.column(types.from_row(("N", "NUMBER", "YES", None, 10, 2))).max_length is None


def test_entity_field() -> None:
    field = types.entity_field(types.from_row(("NAME", "TEXT", "NO", 12, None, None, "'x'", "who")))
    assert field["identifier"] == "NAME" and field["description"] == "who"
    assert field["destinationProperties"]["isNullable"] is False
    assert field["destinationProperties"]["supportedWriteOperations"] == ["INSERT"]
    assert field["supportedFieldTypeDetails"]["v1"]["fieldLengthRange"] == {"minimum": 0.0, "maximum": 12.0}
    assert field["defaultValue"] == "'x'"
