"""window_filter / window_split: records of one (start, end] window by a datetime field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluice.engine.incremental import WindowFieldError, epoch_seconds, window_filter, window_split

T = 1_710_498_645  # 2024-03-15T10:30:45Z
UTC = dt.UTC


def seconds(values: list[object], data_type: pa.DataType | None = None) -> list[float | None]:
    return list(epoch_seconds(pa.array(values, data_type)).to_pylist())


def test_iso_text_with_and_without_zone() -> None:
    assert seconds([
        "2024-03-15T10:30:45Z",
        "2024-03-15T10:30:45",  # no zone: UTC
        "2024-03-15 10:30:45.250",
        "2024-03-15T10:30:45,5z",
        "2024-03-15T12:30:45+02:00",
        "2024-03-15T05:00:45-0530",
        "2024-03-15T11:30:45+01",
        "2024-03-15T10:30",
        "2024-03-15",
        "  2024-03-15T10:30:45Z  ",
    ]) == [T, T, T + 0.25, T + 0.5, T, T, T, T - 45, T - (10 * 3600 + 30 * 60 + 45), T]


def test_epoch_numbers_seconds_or_millis() -> None:
    assert seconds([T, T * 1000, None]) == [T, T, None]
    assert seconds([T + 0.5, T * 1000.0 + 500, float("nan"), float("inf")]) == [T + 0.5, T + 0.5, None, None]
    assert seconds([str(T), f"{T}123", "-86400", "12.5"]) == [T, T + 0.123, -86400, 12.5]
    assert seconds([Decimal("1710498645.5")], pa.decimal128(11, 1)) == [T + 0.5]
    assert seconds([T], pa.int32()) == [T]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_arrow_timestamps_any_unit_zone_less_is_utc(unit: str) -> None:
    moment = dt.datetime(2024, 3, 15, 10, 30, 45)
    assert seconds([moment, None], pa.timestamp(unit)) == [T, None]
    paris = pa.array([moment.replace(tzinfo=UTC)], pa.timestamp(unit, "Europe/Paris"))
    assert epoch_seconds(paris).to_pylist() == [T]


def test_dates_are_midnight_utc() -> None:
    midnight = T - (10 * 3600 + 30 * 60 + 45)
    assert seconds([dt.date(2024, 3, 15)], pa.date32()) == [midnight]
    assert seconds([dt.date(2024, 3, 15)], pa.date64()) == [midnight]


def test_null_and_unparseable_values() -> None:
    bad = [None, "", "soon", "2024-02-30", "2024-03-15T24:00:00", "2024-13-01", "2024-03-15T10:30:45+25:00",
           "15/03/2024", "20240315T103045Z", "2024-03-15T10:30:45 PST"]
    assert seconds(bad) == [None] * len(bad)
    assert seconds([True], pa.bool_()) == [None]
    assert seconds([b"x"], pa.binary()) == [None]


def test_dictionary_and_large_string_columns() -> None:
    values = ["2024-03-15T10:30:45Z", None, "2024-03-15T10:30:45Z"]
    assert epoch_seconds(pa.array(values).dictionary_encode()).to_pylist() == [T, None, T]
    assert seconds(values, pa.large_string()) == [T, None, T]
    assert epoch_seconds(pa.chunked_array([values[:1], values[1:]])).to_pylist() == [T, None, T]


def test_window_is_open_below_and_closed_above() -> None:
    batch = pa.record_batch({
        "id": [1, 2, 3, 4, 5, 6],
        "updated": ["2024-03-15T10:30:44Z", "2024-03-15T10:30:45Z", "2024-03-15T10:31:45", None, "bad", str(T + 61)],
    })
    split = window_split(batch, "updated", T, T + 60)
    assert split.batch.column("id").to_pylist() == [3]
    assert (split.outside, split.invalid) == (3, 2)
    assert split.batch.schema == batch.schema
    assert window_filter(batch, "updated", T - 1, T).column("id").to_pylist() == [2]
    assert window_filter(batch, "updated", None, T).column("id").to_pylist() == [1, 2]


def test_missing_field_and_empty_batch() -> None:
    batch = pa.record_batch({"id": pa.array([], pa.int64()), "t": pa.array([], pa.string())})
    assert window_split(batch, "t", None, T).batch.num_rows == 0
    with pytest.raises(WindowFieldError, match="'updated_at'"):
        window_filter(batch, "updated_at", None, T)


def _render(value: float, how: int) -> object:
    """One record's time in one of the accepted forms."""
    if how == 0:
        return value  # float epoch seconds
    if how == 1:
        return str(int(value * 1000))  # epoch millis as text
    moment = dt.datetime.fromtimestamp(value, UTC)
    if how == 2:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")  # zone-less ISO
    return moment.astimezone(dt.timezone(dt.timedelta(hours=-3))).isoformat()  # zoned ISO


times = st.floats(min_value=0, max_value=4_000_000_000, allow_nan=False).map(lambda v: round(v, 3))


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.one_of(times, st.none()), min_size=1, max_size=60),
    how=st.integers(0, 3),
    cuts=st.lists(times, max_size=8),
    cut_at_values=st.lists(st.integers(0, 59), max_size=4),
)
def test_every_record_lands_in_exactly_one_window(
    values: list[float | None], how: int, cuts: list[float], cut_at_values: list[int]
) -> None:
    column = [None if v is None else _render(v, how) for v in values]
    data_type = pa.float64() if how == 0 else pa.string()
    batch = pa.record_batch({"row": pa.array(range(len(values))), "t": pa.array(column, data_type)})
    present = [v for v in values if v is not None]
    # Boundaries: random ones, some exactly at record values, and one past them all (millis text
    # below 1e11 reads as seconds, so parsed values stay under 1e11).
    bounds = sorted({*cuts, *(present[i % len(present)] for i in cut_at_values if present), 1e12})
    seen: list[int] = []
    start: float | None = None
    for end in bounds:
        split = window_split(batch, "t", start, end)
        assert split.invalid == values.count(None)
        assert split.batch.num_rows + split.outside + split.invalid == len(values)
        seen += split.batch.column("row").to_pylist()
        start = end
    assert sorted(seen) == [i for i, v in enumerate(values) if v is not None]


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(0, 4_000_000_000), min_size=1, max_size=40), end=st.integers(0, 4_000_000_000))
def test_whole_seconds_match_plain_comparison(values: list[int], end: int) -> None:
    start = end - 3600
    moments = [dt.datetime.fromtimestamp(v, UTC).replace(tzinfo=None) for v in values]
    expected = [i for i, v in enumerate(values) if start < v <= end]
    for column in (pa.array(values), pa.array(moments, pa.timestamp("s")),
                   pa.array([m.isoformat() + "Z" for m in moments])):
        batch = pa.record_batch({"row": pa.array(range(len(values))), "t": column})
        assert window_filter(batch, "t", start, end).column("row").to_pylist() == expected
