"""SDK field data types as Arrow types, and connector records as batches."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from custom_connector_sdk.connector.fields import FieldDataType

from sluice.connectors.custom_connector import types


def test_every_sdk_data_type_has_an_arrow_type() -> None:
    for data_type in FieldDataType:
        assert isinstance(types.arrow_type(data_type.name), pa.DataType)
    assert types.arrow_type("Byte") == pa.int8()
    assert types.arrow_type("Struct") == pa.string() and types.arrow_type("Nope") == pa.string()


def test_records_to_batch_reads_each_type() -> None:
    names = ["s", "b", "i", "l", "f", "d", "bi", "bd", "ba", "day", "dt", "st", "li"]
    kinds = ["String", "Boolean", "Integer", "Long", "Float", "Double", "BigInteger", "BigDecimal", "ByteArray",
             "Date", "DateTime", "Struct", "List"]
    schema = types.arrow_schema([{"fieldName": n, "dataType": k} for n, k in zip(names, kinds, strict=True)], names)
    records = [
        json.dumps({"s": 5, "b": "true", "i": "7", "l": 2**40, "f": 1.5, "d": "2.25", "bi": "123456789012345678901",
                    "bd": "1.123456789012345678901", "ba": "aGk=", "day": "2024-02-03",
                    "dt": "2024-01-31T10:00:00.000+0000", "st": {"a": 1}, "li": [1, "x"]}),
        json.dumps({"dt": 1706695200000, "day": "2024-02-03T23:00:00-02:00", "b": False}),
        json.dumps({"dt": "2024-01-31 10:00:00", "ba": [104, 105]}),
    ]
    rows = types.records_to_batch(records, schema).to_pylist()
    assert rows[0]["s"] == "5" and rows[0]["b"] is True and rows[0]["i"] == 7 and rows[0]["l"] == 2**40
    assert rows[0]["bi"] == Decimal("123456789012345678901")
    assert rows[0]["bd"] == Decimal("1.123456789012345679")  # 18 decimal places
    assert rows[0]["ba"] == b"hi" and rows[2]["ba"] == b"hi"
    assert rows[0]["day"] == date(2024, 2, 3) and rows[1]["day"] == date(2024, 2, 4)
    moment = datetime(2024, 1, 31, 10, tzinfo=UTC)
    assert rows[0]["dt"] == rows[1]["dt"] == rows[2]["dt"] == moment
    assert rows[0]["st"] == '{"a":1}' and rows[0]["li"] == '[1,"x"]'
    assert rows[1]["s"] is None and rows[1]["b"] is False


@pytest.mark.parametrize(("kind", "value"), [("Integer", "1.5"), ("Boolean", "maybe"), ("DateTime", "soon"),
                                             ("Integer", 2**40), ("ByteArray", "***")])
def test_bad_values_name_the_field(kind: str, value: object) -> None:
    schema = types.arrow_schema([{"fieldName": "x", "dataType": kind}], ["x"])
    with pytest.raises(ValueError, match="'x'"):
        types.records_to_batch([json.dumps({"x": value})], schema)


def test_records_must_be_json_objects() -> None:
    with pytest.raises(ValueError, match="record 1"):
        types.records_to_batch(['{"x": 1}', "[1]"], pa.schema([("x", pa.string())]))


def test_json_value_for_writes() -> None:
    assert types.json_value(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00Z"
    assert types.json_value(date(2024, 1, 1)) == "2024-01-01"
    assert types.json_value(Decimal("2.5")) == 2.5 and types.json_value(Decimal("0.1000000000000000001")) == \
        "0.1000000000000000001"
    assert types.json_value(b"hi") == "aGk=" and types.json_value(float("nan")) is None
    assert types.json_value([("k", 1)]) == {"k": 1} and types.json_value([1, 2]) == [1, 2]


def test_the_c_reader_and_the_lenient_path_agree() -> None:
    """JSON-typed records take pyarrow's C reader; dicts the lenient path: same batch either way."""
    import json as _json

    import pyarrow as _pa

    from sluice.connectors.custom_connector.types import records_to_batch as _to_batch

    schema = _pa.schema([("id", _pa.int64()), ("name", _pa.string()), ("amount", _pa.float64()),
                         ("ok", _pa.bool_()), ("at", _pa.timestamp("us", tz="UTC"))])
    records = [_json.dumps({"id": n, "name": f"n{n}", "amount": n / 4, "ok": n % 2 == 0,
                            "at": f"2024-01-0{1 + n % 9}T10:00:0{n % 10}Z"}) for n in range(50)]
    records.append(_json.dumps({"id": 99}))  # missing fields are null on both paths
    fast = _to_batch(records, schema)
    lenient = _to_batch([_json.loads(r) for r in records], schema)
    assert fast.equals(lenient)
    # A number where text is expected is read leniently (as text), not refused.
    assert _to_batch(['{"name": 5}'], schema).column(1).to_pylist() == ["5"]
