"""Datadog logs and events read in parallel time slices against the fake API: every record once, in the
serial read's order, including records sitting exactly on a slice edge."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sluice.connectors.base import RunContext
from sluice.connectors.datadog.connector import CONNECTOR
from tests.fakes.datadog.server import FakeDatadog
from tests.support.split_reads import read_parts
from tests.unit.connectors.datadog.test_datadog_source import MAP_ALL, START_MS, _filter, _profile


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDatadog]:
    from tests.support.tls import tls_env

    for key, value in tls_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")
    monkeypatch.setenv("SLUICE_PARALLELISM", "2")
    with FakeDatadog(logs=2300, events=150) as server:
        yield server


def run(*tasks: dict[str, Any], **window: Any) -> RunContext:
    return RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/tmp",
                      batch_size=5000, tasks=(*tasks, MAP_ALL), **window)


def serial(fake: FakeDatadog, entity: str, ctx: RunContext) -> list[dict[str, Any]]:
    source = CONNECTOR.open_source(_profile(fake), {"object": entity}, ctx)
    return [row for batch in source.read() for row in batch.to_pylist()]


def searches(fake: FakeDatadog) -> list[dict[str, Any]]:
    return [s["body"] for s in fake.requests.matching("/api/v2/logs/events/search")]


def test_a_full_read_is_sliced_from_the_oldest_log_to_now(fake: FakeDatadog) -> None:
    expected = serial(fake, "logs", run())
    fake.requests.clear()
    plan, rows = read_parts(CONNECTOR.open_source(_profile(fake), {"object": "logs"}, run()))
    assert len(plan) == 4  # 2 threads x 4, capped at Datadog's 4
    assert plan[0].lower_us is None and plan[-1].upper_us is None  # open ends, as the serial search
    assert rows == expected and len(rows) == 2300
    bodies = searches(fake)
    probe = bodies[0]
    assert probe["page"]["limit"] == 1 and probe["sort"] == "timestamp"
    firsts = [b["filter"] for b in bodies[1:] if "cursor" not in b["page"]]
    assert sorted((f["from"], f["to"]) for f in firsts)[0][0] == "1970-01-01T00:00:00.000Z"
    assert sorted(f["to"] for f in firsts)[-1] == "now"


def test_logs_on_slice_edges_land_once(fake: FakeDatadog) -> None:
    lo, hi = START_MS + 100_000, START_MS + 1_099_000
    ctx = run(_filter("timestamp", "BETWEEN", LOWER_BOUND=str(lo), UPPER_BOUND=str(hi)))
    source = CONNECTOR.open_source(_profile(fake), {"object": "logs"}, ctx)
    plan = source.splits()
    assert plan is not None and len(plan) == 4
    edges = [s.upper_us // 1000 for s in plan[:-1] if s.upper_us is not None]
    for edge in edges:  # a log exactly on each edge, and one a millisecond after it
        fake.state.add_logs(1, timestamp_ms=edge)
        fake.state.add_logs(1, timestamp_ms=edge + 1)
    fake.state.add_logs(1, timestamp_ms=lo)  # the BETWEEN bounds are inclusive
    fake.state.add_logs(1, timestamp_ms=hi)
    rows = [row for split in plan for batch in source.read_split(split) for row in batch.to_pylist()]
    expected = serial(fake, "logs", ctx)
    assert rows == expected and len({r["id"] for r in rows}) == len(rows)
    stamps = {int(r["timestamp"].timestamp() * 1000) for r in rows}
    assert {lo, hi, *edges, *(e + 1 for e in edges)} <= stamps
    fromto = sorted((b["filter"]["from"], b["filter"]["to"]) for b in searches(fake) if "cursor" not in b["page"])
    assert len(fromto) == 4 + 1  # four slices, then the serial read's one search


def test_an_empty_range_reads_nothing(fake: FakeDatadog) -> None:
    ctx = run(_filter("timestamp", "BETWEEN", LOWER_BOUND=str(START_MS - 10_000), UPPER_BOUND=str(START_MS - 1)))
    _, rows = read_parts(CONNECTOR.open_source(_profile(fake), {"object": "logs"}, ctx))
    assert rows == [] == serial(fake, "logs", ctx)


def test_an_incremental_window_of_events_is_sliced(fake: FakeDatadog) -> None:
    ctx = run(window_field="timestamp", window_start=START_MS / 1000 + 600, window_end=START_MS / 1000 + 6000)
    plan, rows = read_parts(CONNECTOR.open_source(_profile(fake), {"object": "events"}, ctx))
    assert len(plan) == 4 and plan[0].lower_us == (START_MS + 600_000) * 1000
    expected = serial(fake, "events", ctx)
    assert rows == expected and len(rows) == 90  # one event a minute: (10 min, 100 min]
    lists = fake.requests.matching("/api/v2/events")
    assert len({e["query"]["filter[from]"][0] for e in lists}) >= 4
