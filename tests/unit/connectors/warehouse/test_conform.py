"""Conformer: fields matched to columns, values cast, refused rows found with their reasons."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sluice.connectors.base import ConnectorError
from sluice.connectors.warehouse import Column
from sluice.connectors.warehouse.conform import Conformer

COLUMNS = [
    Column("id", pa.int64(), "bigint", nullable=False),
    Column("name", pa.string(), "varchar(5)", max_length=5, length_in_bytes=True),
    Column("amount", pa.decimal128(10, 2), "numeric(10,2)"),
    Column("seen", pa.timestamp("us"), "timestamp"),
    Column("seen_tz", pa.timestamp("us", tz="UTC"), "timestamptz"),
    Column("day", pa.date32(), "date"),
    Column("ok", pa.bool_(), "boolean"),
    Column("doc", pa.string(), "super"),
]


def test_a_clean_batch_is_cast_and_renamed_to_the_tables_spelling() -> None:
    batch = pa.RecordBatch.from_pydict({
        "ID": ["1", "2"], "Name": ["ab", None], "amount": [1.005, 2.5], "seen": ["2024-01-02T03:04:05Z", "2024-01-02"],
        "seen_tz": ["2024-01-02 03:04:05", "2024-01-02T05:04:05+02:00"], "day": ["2024-02-29", ""],
        "ok": ["true", "false"], "doc": pa.array([{"a": [1, None]}, None]),
    })
    out = Conformer("public.t", COLUMNS).conform(batch)
    assert out.rejects == []
    assert out.batch.schema.names == ["id", "name", "amount", "seen", "seen_tz", "day", "ok", "doc"]
    rows = out.batch.to_pylist()
    assert rows[0]["id"] == 1 and rows[1]["amount"] == Decimal("2.50")
    assert rows[0]["amount"] in (Decimal("1.00"), Decimal("1.01"))  # rounded to the scale, as binary floats round
    assert rows[0]["seen"] == datetime(2024, 1, 2, 3, 4, 5)
    assert rows[1]["seen"] == datetime(2024, 1, 2)
    assert rows[0]["seen_tz"] == rows[1]["seen_tz"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert rows[0]["day"] == date(2024, 2, 29) and rows[1]["day"] is None  # empty text is null
    assert rows[0]["doc"] == '{"a":[1,null]}' and rows[1]["doc"] is None


def test_refused_rows_are_set_aside_with_the_first_reason_each() -> None:
    batch = pa.RecordBatch.from_pydict({
        "id": ["1", "x", "3", None, "5"],
        "name": ["ok", "fine", "héllo", "a", "b"],  # é is two bytes: 6 > 5
        "ok": ["true", "true", "true", "true", "maybe"],
    })
    out = Conformer("public.t", COLUMNS).conform(batch)
    assert out.batch.column("id").to_pylist() == [1]
    assert [(r.record["id"], r.code) for r in out.rejects] == [
        ("x", "TypeMismatch"), ("3", "ValueTooLong"), (None, "NullNotAllowed"), ("5", "TypeMismatch")]
    assert "id (bigint): 'x' is not a valid bigint" in out.rejects[0].message
    assert "name (varchar(5)): a value of 6 bytes does not fit (at most 5)" in out.rejects[1].message
    assert out.rejects[0].record == {"id": "x", "name": "fine", "ok": "true"}  # as it arrived


def test_lengths_in_characters_when_the_warehouse_counts_characters() -> None:
    column = Column("NAME", pa.string(), "VARCHAR(5)", max_length=5)
    out = Conformer("T", [column]).conform(pa.RecordBatch.from_pydict({"name": ["héllo", "héllo!"]}))
    assert out.batch.column(0).to_pylist() == ["héllo"]
    assert out.rejects[0].code == "ValueTooLong"


def test_unknown_and_doubled_fields_are_refused_by_name() -> None:
    conformer = Conformer("public.t", COLUMNS)
    with pytest.raises(ConnectorError, match=r"'nope' is not a column of public\.t"):
        conformer.conform(pa.RecordBatch.from_pydict({"nope": [1]}))
    with pytest.raises(ConnectorError, match="both map to the column id"):
        conformer.conform(pa.RecordBatch.from_pydict({"id": [1], "ID": [2]}))


@given(st.lists(st.one_of(st.integers(-(2**62), 2**62).map(str), st.text(alphabet="0123456789x- ", max_size=4),
                         st.none()), max_size=60))
@example(["0x0", "12", "0x1f"])  # Arrow reads hexadecimal; the loaders do not
def test_every_row_is_either_staged_or_refused_in_order(values: list[str | None]) -> None:
    column = Column("n", pa.int64(), "bigint")
    out = Conformer("t", [column]).conform(pa.RecordBatch.from_pydict({"n": pa.array(values, pa.string())}))
    expected, refused = [], []
    for value in values:
        if value is None or not value.strip():
            expected.append(None)
        elif re.fullmatch(r"-?[0-9]+", value):
            expected.append(int(value))
        else:
            refused.append(value)
    assert out.batch.column(0).to_pylist() == expected
    assert [r.record["n"] for r in out.rejects] == refused
