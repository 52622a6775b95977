"""The JSON -> Arrow rule of records.py."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from sluice.connectors.rest.entities import Field
from sluice.connectors.rest.paging import link_next
from sluice.connectors.rest.records import RecordConverter

UTC = dt.UTC


def test_scalars_read_native_values_and_vendor_text() -> None:
    fields = [Field("i", "integer"), Field("d", "double"), Field("b", "boolean"), Field("s"), Field("day", "date")]
    batch = RecordConverter(fields).batch([
        {"i": 1, "d": 1.5, "b": True, "s": "ü", "day": "2024-02-29"},
        {"i": "42", "d": "2.25", "b": "false", "s": 7, "day": ""},
        {"i": "", "d": None, "b": "maybe", "s": {"x": [1]}},
    ])
    assert batch.column("i").to_pylist() == [1, 42, None]
    assert batch.column("d").to_pylist() == [1.5, 2.25, None]
    assert batch.column("b").to_pylist() == [True, False, None]
    assert batch.column("s").to_pylist() == ["ü", "7", '{"x":[1]}']
    assert batch.column("day").to_pylist() == [dt.date(2024, 2, 29), None, None]


def test_instants_in_every_declared_format_are_utc_microseconds() -> None:
    fields = [Field("iso", "datetime"), Field("sec", "datetime", format="epoch_s"),
              Field("ms", "datetime", format="epoch_ms"), Field("sn", "datetime", format="%Y-%m-%d %H:%M:%S")]
    batch = RecordConverter(fields).batch([
        {"iso": "2024-01-02T03:04:05+02:00", "sec": "1700000000.5", "ms": 1700000000500, "sn": "2024-01-02 03:04:05"},
        {"iso": "not a date", "sec": None, "ms": "", "sn": "garbage"},
    ])
    row = batch.to_pylist()[0]
    assert row["iso"] == dt.datetime(2024, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert row["sec"] == row["ms"] == dt.datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)
    assert row["sn"] == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert batch.to_pylist()[1] == {"iso": None, "sec": None, "ms": None, "sn": None}
    assert batch.schema.field("iso").type == pa.timestamp("us", tz="UTC")


def test_declared_nesting_is_kept_and_open_shapes_are_json_text() -> None:
    fields = [
        Field("via", "struct", members=(Field("channel"), Field("rank", "integer"),
                                        Field("to", "struct", members=(Field("name"),)))),
        Field("tags", "array", item=Field("t")),
        Field("nums", "array", item=Field("n", "integer")),
        Field("custom", "array"),  # no item type: kept whole
        Field("attrs", "json"),
    ]
    batch = RecordConverter(fields).batch([
        {"via": {"channel": "web", "rank": "3", "to": {"name": "Zoë"}, "extra": 1}, "tags": ["a", None],
         "nums": [1, "2"], "custom": [{"id": 1, "value": None}], "attrs": {"k": [True]}},
        {"via": None, "tags": None, "nums": [], "custom": None, "attrs": "plain"},
    ])
    first, second = batch.to_pylist()
    assert first["via"] == {"channel": "web", "rank": 3, "to": {"name": "Zoë"}}
    assert first["tags"] == ["a", None] and first["nums"] == [1, 2]
    assert first["custom"] == '[{"id":1,"value":null}]' and first["attrs"] == '{"k":[true]}'
    assert second == {"via": None, "tags": None, "nums": [], "custom": None, "attrs": '"plain"'}
    # The schema comes from the fields alone: an empty page has the same one.
    assert RecordConverter(fields).batch([]).schema == batch.schema


def test_link_header_next() -> None:
    header = '<https://x.service-now.com/api/now/table/incident?sysparm_offset=0>;rel="first",' \
             '<https://x.service-now.com/api/now/table/incident?sysparm_offset=10>;rel="next"'
    assert link_next(header) == "https://x.service-now.com/api/now/table/incident?sysparm_offset=10"
    assert link_next('<https://a/b>; rel="last"') is None and link_next(None) is None
