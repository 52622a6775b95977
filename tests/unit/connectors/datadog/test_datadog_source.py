"""The Datadog connector against the fake Datadog API: paging through a 429, push-down, the `query`
member, metrics series, events, entity metadata and the profile check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.datadog.connector import CONNECTOR
from tests.fakes.datadog.server import FakeDatadog
from tests.fakes.datadog.state import DEFAULT_START
from tests.support.tls import tls_env

START_MS = int(DEFAULT_START.timestamp() * 1000)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDatadog]:
    for key, value in tls_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")
    with FakeDatadog(logs=2300, events=150) as server:
        yield server


def _profile(fake: FakeDatadog, **credentials: str) -> ProfileView:
    keys = {"apiKey": fake.api_key, "applicationKey": fake.app_key, **credentials}
    return ProfileView(name="dd", connector_type="Datadog", properties={"instanceUrl": fake.url}, credentials=keys)


def _filter(field: str, operator: str, **props: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"Datadog": operator},
            "taskProperties": props}


MAP_ALL = {"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Datadog": "NO_OP"}, "taskProperties": {}}


def _run(*tasks: dict[str, Any], **window: Any) -> RunContext:
    """A run reading every field, with these Filter tasks."""
    return RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/tmp",
                      batch_size=5000, tasks=(*tasks, MAP_ALL), **window)


def _read(fake: FakeDatadog, entity: str, ctx: RunContext) -> list[dict[str, Any]]:
    source = CONNECTOR.open_source(_profile(fake), {"object": entity}, ctx)
    return [row for batch in source.read() for row in batch.to_pylist()]


def test_logs_are_read_once_each_across_pages_and_a_429(fake: FakeDatadog) -> None:
    fake.state.throttle_next(1, reset=0)
    rows = _read(fake, "logs", _run())
    assert len(rows) == 2300 and len({r["id"] for r in rows}) == 2300
    searches = fake.requests.matching("/api/v2/logs/events/search")
    assert len(searches) == 4  # the refused one, then 3 pages of at most 1000
    assert [s["body"]["page"].get("cursor") is None for s in searches] == [True, True, False, False]
    assert all(s["body"]["page"]["limit"] == 1000 and s["body"]["sort"] == "timestamp" for s in searches)
    first = rows[0]
    assert first["timestamp"] == DEFAULT_START and first["query"] == "*"
    assert isinstance(first["tags"], list) and isinstance(first["attributes"], str)  # free-form JSON kept whole


def test_logs_filters_are_pushed_into_the_search(fake: FakeDatadog) -> None:
    lo, hi = START_MS + 100_000, START_MS + 1_099_000
    ctx = _run(_filter("timestamp", "BETWEEN", LOWER_BOUND=str(lo), UPPER_BOUND=str(hi)),
               _filter("service", "EQUAL_TO", VALUE="checkout"),
               _filter("query", "EQUAL_TO", VALUE="status:error OR status:warn"))
    rows = _read(fake, "logs", ctx)
    body = fake.requests.matching("/api/v2/logs/events/search")[0]["body"]
    assert body["filter"] == {"query": "(status:error OR status:warn) service:checkout", "indexes": ["*"],
                              "from": "2026-11-01T00:01:40.000Z", "to": "2026-11-01T00:18:19.001Z"}
    assert rows and {r["service"] for r in rows} == {"checkout"} and {r["status"] for r in rows} <= {"error", "warn"}
    assert {r["query"] for r in rows} == {"status:error OR status:warn"}
    stamps = [r["timestamp"] for r in rows]
    assert min(stamps) >= DEFAULT_START + dt.timedelta(seconds=100)
    assert max(stamps) <= DEFAULT_START + dt.timedelta(seconds=1099)
    assert any(r["timestamp"] == DEFAULT_START + dt.timedelta(seconds=1099) for r in _read(
        fake, "logs", _run(_filter("timestamp", "BETWEEN", LOWER_BOUND=str(lo), UPPER_BOUND=str(hi)))))


def test_an_incremental_window_reads_only_its_logs(fake: FakeDatadog) -> None:
    start, end = (START_MS + 10_000) / 1000, (START_MS + 20_000) / 1000
    rows = _read(fake, "logs", _run(window_field="timestamp", window_start=start, window_end=end))
    # (start, end]: seconds 11..20 of the seeded logs, one a second.
    assert [r["timestamp"] for r in rows] == [DEFAULT_START + dt.timedelta(seconds=s) for s in range(11, 21)]


def test_vendor_errors_carry_datadogs_message(fake: FakeDatadog) -> None:
    with pytest.raises(ConnectorError) as bad:
        _read(fake, "logs", _run(_filter("query", "EQUAL_TO", VALUE="service:(a OR")))
    assert bad.value.code == "InvalidArgument" and "Invalid query" in bad.value.message


def test_events_page_and_push_down(fake: FakeDatadog) -> None:
    rows = _read(fake, "events", _run(_filter("priority", "EQUAL_TO", VALUE="low")))
    assert rows and {r["priority"] for r in rows} == {"low"}
    params = fake.requests.matching("/api/v2/events")[0]["query"]
    assert params["filter[query]"] == ["priority:low"] and params["sort"] == ["timestamp"]
    assert params["filter[from]"] == ["0"] and params["page[limit]"] == ["1000"]
    everything = _read(fake, "events", _run())
    assert len(everything) == 150 and len({r["id"] for r in everything}) == 150


def test_metrics_need_a_query_and_answer_one_record_per_series(fake: FakeDatadog) -> None:
    with pytest.raises(ConnectorError) as missing:
        _read(fake, "metrics", _run())
    assert missing.value.code == "InvalidArgument"
    lo, hi = START_MS, START_MS + 3_600_000
    rows = _read(fake, "metrics", _run(_filter("query", "EQUAL_TO", VALUE="avg:system.cpu.idle{*} by {host}"),
                                       _filter("from_to_date", "BETWEEN", LOWER_BOUND=str(lo), UPPER_BOUND=str(hi))))
    assert len(rows) == 5 and all(r["metric"] == "system.cpu.idle" for r in rows)
    assert fake.requests.matching("/api/v1/query")[-1]["query"]["from"] == [str(lo // 1000)]
    series = rows[0]
    assert series["from_to_date"] == series["start"] == DEFAULT_START and series["interval"] == 20
    assert len(series["pointlist"]) == series["length"] and series["pointlist"][0][0] == float(lo)


def test_a_metrics_window_leaves_out_its_start_instant(fake: FakeDatadog) -> None:
    start, end = START_MS / 1000, START_MS / 1000 + 3600
    rows = _read(fake, "metrics", _run(_filter("query", "EQUAL_TO", VALUE="sum:checkout.orders.count{*}"),
                                       window_field="from_to_date", window_start=start, window_end=end))
    sent = fake.requests.matching("/api/v1/query")[-1]["query"]
    assert sent["from"] == [str(int(start) + 1)] and sent["to"] == [str(int(end))]
    # The first point sits on the next 20 s step after the window's (excluded) start.
    assert len(rows) == 1 and rows[0]["from_to_date"] == DEFAULT_START + dt.timedelta(seconds=20)
    assert rows[0]["scope"] == "*" and rows[0]["query"] == "sum:checkout.orders.count{*}"


def test_entities_and_fields_use_appflows_shapes(fake: FakeDatadog) -> None:
    metadata = CONNECTOR.metadata()
    names = [e["name"] for e in metadata.list_entities(_profile(fake), None, None, None).entities]
    assert names == ["logs", "events", "metrics"]
    fields = {f["identifier"]: f for f in metadata.describe_entity(_profile(fake), "logs")}
    assert fields["id"]["isPrimaryKey"] is True
    ops = {name: f["supportedFieldTypeDetails"]["v1"]["filterOperators"] for name, f in fields.items()}
    assert ops["timestamp"] == ["BETWEEN"] and ops["query"] == ops["service"] == ["EQUAL_TO"] and ops["message"] == []
    assert fields["timestamp"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert "destinationProperties" not in fields["id"]


def test_profile_check_refuses_bad_keys_with_datadogs_message(fake: FakeDatadog) -> None:
    CONNECTOR.check_profile(_profile(fake))
    for bad in ({"apiKey": "nope"}, {"applicationKey": "nope"}):
        with pytest.raises(ConnectorError) as refused:
            CONNECTOR.check_profile(_profile(fake, **bad))
        assert refused.value.code == "InvalidCredentials" and "Forbidden" in refused.value.message
