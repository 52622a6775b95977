"""Incremental Salesforce REST reads in time slices against the fake org: the same records as the one
query, each slice its own `(lo, hi]` window condition with whole-second inner edges."""

from __future__ import annotations

import time
from typing import Any

import pyarrow as pa
import pytest

from sluice.connectors.base import ProfileView, RunContext
from sluice.connectors.salesforce.slices import REST_PAGE, plan_slices
from sluice.connectors.salesforce.source import SalesforceSource, plan_read
from tests.support.split_reads import read_parts
from tests.unit.connectors.salesforce.test_source import fake, map_all, profile  # noqa: F401  (fixtures)

WINDOW = {"window_start": 0.0, "window_end": time.time() + 60, "window_field": "LastModifiedDate"}


def source(profile: ProfileView, api: str = "REST_SYNC", **window: Any) -> SalesforceSource:  # noqa: F811
    context = RunContext("flow", "exec", 1, time.time(), "/tmp", batch_size=500, tasks=(map_all(),),
                         **{**WINDOW, **window})
    return SalesforceSource(profile, {"object": "Account", "dataTransferApi": api}, context)


@pytest.fixture(autouse=True)
def threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_PARALLELISM", "4")


def test_a_window_of_more_than_one_page_is_read_in_slices(profile: ProfileView) -> None:  # noqa: F811
    serial = pa.Table.from_batches(list(source(profile).read()))
    sliced = source(profile)
    plan, rows = read_parts(sliced)
    assert len(plan) == 2  # 2,300 accounts: two pages' worth
    assert plan[0].start == 0.0 and plan[-1].end == WINDOW["window_end"] and plan[0].end == plan[1].start
    assert plan[0].end == int(plan[0].end)  # the inner edge is a whole second
    assert sorted(rows, key=lambda r: r["Id"]) == sorted(serial.to_pylist(), key=lambda r: r["Id"])
    assert len(rows) == 2300 and sliced.stats.records_read == 2300
    described = sliced._described
    assert described is not None
    wheres = [plan_read("Account", described, {"object": "Account"},
                        RunContext("f", "e", 1, 0.0, "/tmp", tasks=(map_all(),), window_start=s.start,
                                   window_end=s.end, window_field="LastModifiedDate")).where for s in plan]
    edge = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(plan[0].end))
    assert f"LastModifiedDate <= {edge}" in wheres[0] and f"LastModifiedDate > {edge}" in wheres[1]


def test_small_windows_bulk_and_complete_reads_are_one_stream(profile: ProfileView,  # noqa: F811
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert source(profile, window_start=1717200000.0, window_end=1719792000.0).splits() is None  # < a page
    assert source(profile, "BULKV2").splits() is None
    assert source(profile, window_start=None, window_end=None, window_field=None).splits() is None
    monkeypatch.setenv("SLUICE_PARALLELISM", "1")
    assert source(profile).splits() is None


def test_slice_planning() -> None:
    assert plan_slices(0.0, 100.0, REST_PAGE) is None
    slices = plan_slices(0.5, 100.25, 10 * REST_PAGE)
    assert slices is not None and [(s.start, s.end) for s in slices] == [(0.5, 25.0), (25.0, 50.0), (50.0, 75.0),
                                                                       (75.0, 100.25)]
    assert plan_slices(10.0, 10.5, 10 * REST_PAGE) is None  # no whole second inside: one query
