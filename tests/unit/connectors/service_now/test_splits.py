"""ServiceNow reads in parallel offset ranges against the fake instance: the same records, in the same
order, as the serial read; the ranges come from X-Total-Count and end where the next begins."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.connectors.base import RunContext
from sluice.connectors.service_now.connector import CONNECTOR
from tests.fakes.servicenow.server import FakeServiceNow
from tests.support.split_reads import read_parts
from tests.unit.connectors.service_now.conftest import basic


def run(**window: Any) -> RunContext:
    return RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/tmp",
                      batch_size=1000, **window)


def serial(fake: FakeServiceNow, table: str, ctx: RunContext) -> list[dict[str, Any]]:
    source = CONNECTOR.open_source(basic(fake), {"object": table}, ctx)
    return [row for batch in source.read() for row in batch.to_pylist()]


@pytest.fixture(autouse=True)
def threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_PARALLELISM", "4")


def test_offset_ranges_read_every_record_once_in_serial_order(fake: FakeServiceNow) -> None:
    expected = serial(fake, "incident", run())
    fake.state.log.clear()
    plan, rows = read_parts(CONNECTOR.open_source(basic(fake), {"object": "incident"}, run()))
    assert [(s.start, s.end) for s in plan] == [(0, 50), (50, 100), (100, None)]  # 120 records, pages of 50
    assert rows == expected and len(rows) == 120
    reads = fake.state.log.matching("/api/now/table/incident")
    probe, parts = reads[0], reads[1:]
    assert probe["query"]["sysparm_limit"] == ["1"] and probe["query"]["sysparm_offset"] == ["0"]
    assert sorted((p["query"]["sysparm_offset"][0], p["query"]["sysparm_limit"][0]) for p in parts) == \
        [("0", "50"), ("100", "50"), ("50", "50")]
    assert {p["query"]["sysparm_query"][0] for p in reads} == {"ORDERBYsys_created_on^ORDERBYsys_id"}


def test_a_record_created_after_planning_is_read_by_the_open_last_range(fake: FakeServiceNow) -> None:
    source = CONNECTOR.open_source(basic(fake), {"object": "incident"}, run())
    plan = source.splits()
    assert plan is not None and plan[-1].end is None
    created = fake.state.insert("incident", {"short_description": "arrived mid-run"}, "admin")
    rows = [row for split in plan for batch in source.read_split(split) for row in batch.to_pylist()]
    assert rows == serial(fake, "incident", run())
    assert rows[-1]["sys_id"] == created["sys_id"]


def test_a_throttled_range_waits_and_retries(fake: FakeServiceNow, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = serial(fake, "incident", run())
    fake.state.throttle_next(2, retry_after=0, path_part="/table/incident", after=2)
    _, rows = read_parts(CONNECTOR.open_source(basic(fake), {"object": "incident"}, run()))
    assert rows == expected


def test_incremental_windows_split_too(fake: FakeServiceNow) -> None:
    import time

    start = time.time() - 1
    changed = fake.state.touch("incident", 70)
    ctx = run(window_start=start, window_end=time.time() + 2, window_field="sys_updated_on")
    _, rows = read_parts(CONNECTOR.open_source(basic(fake), {"object": "incident"}, ctx))
    assert set(changed) <= {r["sys_id"] for r in rows} and len(rows) == len({r["sys_id"] for r in rows})
    assert rows == serial(fake, "incident", ctx)  # (the record created by an earlier test is in the window too)


def test_one_thread_or_one_page_reads_as_one_stream(fake: FakeServiceNow, monkeypatch: pytest.MonkeyPatch) -> None:
    assert CONNECTOR.open_source(basic(fake), {"object": "sys_user_group"}, run()).splits() is None  # 6 records
    monkeypatch.setenv("SLUICE_PARALLELISM", "1")
    assert CONNECTOR.open_source(basic(fake), {"object": "incident"}, run()).splits() is None
