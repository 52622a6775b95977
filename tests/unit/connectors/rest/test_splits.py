"""Planning a REST read's parts: offset ranges and time slices (rest/splits.py), edges exact."""

from __future__ import annotations

import itertools
import random

import pyarrow as pa
import pytest

from sluice.connectors.rest.client import Request
from sluice.connectors.rest.entities import Condition, Query
from sluice.connectors.rest.source import slice_filter
from sluice.connectors.rest.splits import (
    OffsetRange,
    RestSplit,
    TimeSlices,
    offset_ranges,
    slice_edges,
    time_domain,
    time_slices,
)

SECOND = 1_000_000


def owners(edges: list[int], t: int) -> list[int]:
    """The slices (by index) whose (lo, hi] holds `t`."""
    return [i for i in range(len(edges) - 1) if edges[i] < t <= edges[i + 1]]


@pytest.mark.parametrize(("lower", "upper", "parts", "step"), [
    (0, 10, 3, 1), (0, 10, 4, 1), (5, 6, 4, 1), (-7, 1_000_003, 7, 1000), (0, 3 * SECOND, 2, SECOND),
    (1_700_000_000 * SECOND, 1_700_086_400 * SECOND + 1, 8, 1000),
])
def test_slices_cover_the_range_exactly_once(lower: int, upper: int, parts: int, step: int) -> None:
    edges = slice_edges(lower, upper, parts, step)
    assert edges[0] == lower and edges[-1] == upper
    assert all(a < b for a, b in itertools.pairwise(edges))  # no empty slice, no overlap
    assert len(edges) - 1 <= parts
    assert all(e % step == 0 for e in edges[1:-1])  # inner edges in the vendor's unit
    probes = {lower, lower + 1, upper, upper + 1, *edges, *(e + 1 for e in edges), *(e - 1 for e in edges)}
    probes |= {random.Random(3).randint(lower - 5, upper + 5) for _ in range(200)}
    for t in probes:
        assert len(owners(edges, t)) == (1 if lower < t <= upper else 0), t


def test_uneven_division_gives_slices_within_one_step_of_each_other() -> None:
    edges = slice_edges(0, 10, 3)
    assert edges == [0, 3, 6, 10]
    widths = [b - a for a, b in itertools.pairwise(edges)]
    assert max(widths) - min(widths) <= 1


def test_an_empty_window_has_no_slices_and_a_one_instant_window_one() -> None:
    assert slice_edges(5, 5, 4) == []
    assert slice_edges(6, 5, 4) == []
    assert slice_edges(5, 6, 4) == [5, 6]  # (5, 6]: the single record at 6


def test_a_window_narrower_than_the_vendor_unit_is_one_slice() -> None:
    assert slice_edges(1000, 1999, 4, step_us=1000) == [1000, 1999]


def test_time_domain_from_the_incremental_window_and_filters() -> None:
    query = Query("logs", window_field="t", window_start=100.0, window_end=200.0)
    assert time_domain(query, "t") == (100 * SECOND, 200 * SECOND)
    assert time_domain(query, "other") == (None, None)
    between = Query("logs", conditions=(Condition("t", "BETWEEN", ("150000", "180000")),))  # epoch ms texts
    assert time_domain(between, "t") == (150 * SECOND - 1, 180 * SECOND)  # inclusive lower -> minus 1 us
    both = Query("logs", conditions=(Condition("t", "BETWEEN", ("150000", "250000")),), window_field="t",
                 window_start=100.0, window_end=200.0)
    assert time_domain(both, "t") == (150 * SECOND - 1, 200 * SECOND)
    strict = Query("logs", conditions=(Condition("t", "GREATER_THAN", ("2026-01-01T00:00:00Z",)),
                                       Condition("t", "LESS_THAN", ("2026-01-02T00:00:00Z",))))
    lower, upper = time_domain(strict, "t")
    assert lower == 1_767_225_600 * SECOND and upper == 1_767_312_000 * SECOND - 1


def test_one_record_window_is_read_by_exactly_one_slice() -> None:
    slicing = TimeSlices("t", step_us=1)
    query = Query("logs", window_field="t", window_start=9.999999, window_end=10.0)
    splits = time_slices(query, slicing, parts=4, now_us=0)
    assert splits is not None and len(splits) == 1
    batch = pa.record_batch({"t": pa.array([9_999_999, 10_000_000, 10_000_001], pa.timestamp("us", "UTC"))})
    kept = [slice_filter(batch, s).column("t").cast(pa.int64()).to_pylist() for s in splits]
    assert kept == [[10_000_000]]


def test_an_empty_window_plans_no_slices_at_all() -> None:
    query = Query("logs", window_field="t", window_start=10.0, window_end=10.0)
    assert time_slices(query, TimeSlices("t"), parts=4, now_us=0) == []


def test_records_at_every_edge_land_in_exactly_one_slice() -> None:
    query = Query("logs", window_field="t", window_start=0.0, window_end=1.0)
    splits = time_slices(query, TimeSlices("t", step_us=1000), parts=4, now_us=0)
    assert splits is not None and len(splits) == 4
    times = sorted({0, 1, SECOND, SECOND + 1, *(s.lower_us or 0 for s in splits), *(s.upper_us or 0 for s in splits),
                    *((s.upper_us or 0) + 1 for s in splits)})
    batch = pa.record_batch({"t": pa.array([*times, None], pa.timestamp("us", "UTC"))})
    seen = [t for s in splits for t in slice_filter(batch, s).column("t").cast(pa.int64()).to_pylist()]
    assert sorted(seen) == [t for t in times if 0 < t <= SECOND]  # null in no slice, none twice


def test_a_read_without_a_lower_bound_needs_the_earliest_record() -> None:
    query = Query("logs")
    assert time_slices(query, TimeSlices("t"), parts=4, now_us=100 * SECOND) is None
    splits = time_slices(query, TimeSlices("t", step_us=1), parts=4, now_us=100 * SECOND, earliest_us=20 * SECOND)
    assert splits is not None and len(splits) == 4
    assert splits[0].lower_us is None and splits[-1].upper_us is None  # open at both ends, like the serial read
    assert all(a.upper_us == b.lower_us for a, b in itertools.pairwise(splits))


def test_offset_ranges_are_page_aligned_with_an_open_last_range() -> None:
    assert offset_ranges(0, 100, 4) == [(0, None)]
    assert offset_ranges(100, 100, 4) == [(0, None)]
    assert offset_ranges(101, 100, 4) == [(0, 100), (100, None)]
    assert offset_ranges(1000, 100, 4) == [(0, 300), (300, 600), (600, 900), (900, None)]
    assert offset_ranges(50_000, 10_000, 8) == [(0, 10_000), (10_000, 20_000), (20_000, 30_000), (30_000, 40_000),
                                                 (40_000, None)]


def test_offset_range_pages_move_by_the_limit_and_stop_at_the_range_end() -> None:
    pager = OffsetRange("o", "l", size=100, start=300, end=550)
    first = pager.first(Request("GET", "/t"))
    assert first.params == {"o": 300, "l": 100}
    second = pager.next(first, object(), 100)
    assert second is not None and second.params == {"o": 400, "l": 100}
    # A page the vendor thinned after the query (hidden records) still moves on by the limit asked.
    third = pager.next(second, object(), 40)
    assert third is not None and third.params == {"o": 500, "l": 50}  # the last page asks only up to the end
    assert pager.next(third, object(), 50) is None


def test_split_parts_are_plain_values() -> None:
    assert RestSplit(0, start=0, end=10) == RestSplit(0, start=0, end=10)
