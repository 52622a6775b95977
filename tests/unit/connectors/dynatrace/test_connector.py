"""The Dynatrace connector against the fake environment: profile check, catalog, paging, push-down, 429s."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.dynatrace.api import dynatrace_error
from sluice.connectors.dynatrace.connector import CONNECTOR
from tests.fakes.dynatrace.server import FakeDynatrace
from tests.support.tls import tls_env


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDynatrace]:
    with FakeDynatrace(problems=260, events=150, entities=24) as server:
        yield server


@pytest.fixture(autouse=True)
def reach_the_fake(fake: FakeDynatrace, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in tls_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")
    monkeypatch.setenv("SLUICE_ENDPOINT_URL_DYNATRACE", fake.url)  # makes 127.0.0.1 a known Dynatrace host
    monkeypatch.setenv("SLUICE_REST_BACKOFF_BASE", "0")
    fake.log.clear()


def view(fake: FakeDynatrace, token: str | None = None) -> ProfileView:
    return ProfileView(name="p", connector_type="Dynatrace", properties={"instanceUrl": fake.url},
                       credentials={"apiToken": token or fake.token})


def read(fake: FakeDynatrace, obj: str, tasks: tuple[dict[str, Any], ...] = (), **window: Any) -> list[dict]:
    ctx = RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/tmp",
                     tasks=tasks, **window)
    return [row for batch in CONNECTOR.open_source(view(fake), {"object": obj}, ctx).read()
            for row in batch.to_pylist()]


def task(field: str, operator: str, **properties: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"Dynatrace": operator},
            "taskProperties": properties}


def projection(*fields: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": list(fields), "connectorOperator": {"Dynatrace": "PROJECTION"},
            "taskProperties": {}}


def test_profile_check_accepts_a_reader_token_and_refuses_others(fake: FakeDynatrace) -> None:
    assert CONNECTOR.check_profile(view(fake)) == {"apiToken": fake.token}
    with pytest.raises(ConnectorError) as bad:
        CONNECTOR.check_profile(view(fake, "dt0c01.WRONG.SECRET"))
    assert bad.value.code == "InvalidCredentials" and "Token Authentication failed" in bad.value.message
    ingest_only = fake.state.add_token(scopes=["metrics.ingest"], name="ingest")
    with pytest.raises(ConnectorError) as scopes:
        CONNECTOR.check_profile(view(fake, ingest_only))
    assert scopes.value.code == "InvalidCredentials" and "problems.read" in scopes.value.message
    revoked = fake.state.add_token(name="revoked")
    fake.state.revoke_token(revoked)
    with pytest.raises(ConnectorError) as gone:
        CONNECTOR.check_profile(view(fake, revoked))
    assert gone.value.code == "InvalidCredentials"


def test_catalog_lists_entity_types_and_metrics_from_the_vendor(fake: FakeDynatrace) -> None:
    metadata = CONNECTOR.metadata()
    top = metadata.list_entities(view(fake), None, None, None).entities
    assert [(e["name"], e["hasNestedEntities"]) for e in top] == [
        ("problems", False), ("events", False), ("entities", True), ("metrics", True)]
    types = [e["name"] for e in metadata.list_entities(view(fake), "entities", None, None).entities]
    assert types == ["entities/HOST", "entities/SERVICE", "entities/PROCESS_GROUP_INSTANCE", "entities/APPLICATION"]
    metrics = metadata.list_entities(view(fake), "metrics", None, None).entities
    assert "metrics/ext:custom.queue.depth" in [m["name"] for m in metrics]
    assert any(m["label"] == "Warteschlangentiefe (Aufträge)" for m in metrics)
    fields = {f["identifier"]: f for f in metadata.describe_entity(view(fake), "problems")}
    assert fields["problemId"]["isPrimaryKey"] is True
    assert fields["startTime"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == ["BETWEEN"]
    assert fields["startTime"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert fields["status"]["supportedFieldTypeDetails"]["v1"]["supportedValues"] == ["OPEN", "CLOSED"]
    assert "destinationProperties" not in fields["title"]
    for unknown in ("entities/NOPE", "metrics/builtin:nope", "nothing"):
        with pytest.raises(ConnectorError) as missing:
            metadata.describe_entity(view(fake), unknown)
        assert missing.value.code == "ResourceNotFound"


def test_problems_page_with_the_key_alone_and_land_once(fake: FakeDynatrace) -> None:
    rows = read(fake, "problems", (projection("problemId", "status", "endTime", "startTime"),))
    assert len(rows) == 260 == len({r["problemId"] for r in rows})
    calls = fake.log.matching("/api/v2/problems")
    assert len(calls) == 1  # 260 problems fit one page of 500
    first = calls[0]["query"]
    assert first["pageSize"] == ["500"] and "from" in first and "to" in first and "fields" not in first
    open_rows = [r for r in rows if r["status"] == "OPEN"]
    assert open_rows and all(r["endTime"] is None for r in open_rows)  # -1 reads as null


def test_filters_are_pushed_into_the_problem_selector_and_timeframe(fake: FakeDynatrace) -> None:
    now = fake.state.now_ms()
    tasks = (projection("problemId", "status", "startTime", "evidenceDetails"),
             task("status", "EQUAL_TO", VALUE="OPEN"),
             task("startTime", "BETWEEN", LOWER_BOUND=str(now - 4 * 3_600_000), UPPER_BOUND=str(now)))
    rows = read(fake, "problems", tasks)
    query = fake.log.matching("/api/v2/problems")[0]["query"]
    assert query["problemSelector"] == ['status("open")']
    assert query["from"] == [str(now - 4 * 3_600_000)] and query["to"] == [str(now)]
    assert query["fields"] == ["evidenceDetails"]  # the projected optional field is asked for
    assert rows and {r["status"] for r in rows} == {"OPEN"}
    assert all(r["evidenceDetails"] for r in rows)


def test_a_429_is_waited_out_and_no_record_is_lost(fake: FakeDynatrace) -> None:
    fake.state.throttle_next(1, retry_after=0, path="/api/v2/events")
    rows = read(fake, "events", (projection("eventId", "startTime"), task("startTime", "BETWEEN",
                LOWER_BOUND=str(fake.state.now_ms() - 5 * 3_600_000), UPPER_BOUND=str(fake.state.now_ms()))))
    assert len(rows) == 150 == len({r["eventId"] for r in rows})
    calls = fake.log.matching("/api/v2/events")
    assert len(calls) == 2  # one page of 150 (pageSize 1000), asked twice around the 429
    assert calls[0]["query"] == calls[1]["query"]


def test_event_flags_and_types_become_an_event_selector(fake: FakeDynatrace) -> None:
    rows = read(fake, "events", (projection("eventId", "eventType", "properties"),
                                 task("eventType", "EQUAL_TO", VALUE="CUSTOM_DEPLOYMENT"),
                                 task("frequentEvent", "EQUAL_TO", VALUE="false")))
    query = fake.log.matching("/api/v2/events")[0]["query"]
    assert query["eventSelector"] == ['eventType("CUSTOM_DEPLOYMENT"),frequentEvent(false)']
    assert rows and {r["eventType"] for r in rows} == {"CUSTOM_DEPLOYMENT"}
    assert all(isinstance(r["properties"], list) and "key" in r["properties"][0] for r in rows)


def test_entities_ask_only_for_projected_fields(fake: FakeDynatrace) -> None:
    rows = read(fake, "entities/SERVICE", (projection("entityId", "displayName", "firstSeenTms", "tags"),))
    query = fake.log.matching("/api/v2/entities")[0]["query"]
    assert query["entitySelector"] == ['type("SERVICE")'] and query["fields"] == ["+firstSeenTms,+tags"]
    assert rows and all(r["entityId"].startswith("SERVICE-") and r["firstSeenTms"] is not None for r in rows)
    name = rows[0]["displayName"]
    fake.log.clear()
    picked = read(fake, "entities/SERVICE", (task("displayName", "EQUAL_TO", VALUE=name),))
    assert fake.log.matching("/api/v2/entities")[0]["query"]["entitySelector"] == [
        f'type("SERVICE"),entityName.equals("{name}")']
    assert [r["displayName"] for r in picked] == [name]


def test_a_token_without_the_object_s_scope_fails_with_dynatrace_s_message(fake: FakeDynatrace) -> None:
    events_only = fake.state.add_token(scopes=["events.read"], name="events only")
    ctx = RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/tmp")
    with pytest.raises(ConnectorError) as caught:
        list(CONNECTOR.open_source(view(fake, events_only), {"object": "problems"}, ctx).read())
    assert caught.value.code == "AccessDenied" and "problems.read" in caught.value.message


def test_a_folder_object_cannot_be_read(fake: FakeDynatrace) -> None:
    with pytest.raises(ConnectorError) as caught:
        read(fake, "metrics")
    assert caught.value.code == "InvalidArgument" and "entitiesPath 'metrics'" in caught.value.message
    assert not fake.log.entries  # nothing was asked of Dynatrace


def test_metric_data_points_over_the_incremental_window(fake: FakeDynatrace) -> None:
    end = fake.state.now_ms() // 60_000 * 60_000 - 60_000
    start = end - 30 * 60_000
    rows = read(fake, "metrics/builtin:host.cpu.usage", window_field="timestamp", window_start=start / 1000,
                window_end=end / 1000)
    query = fake.log.matching("/api/v2/metrics/query")[0]["query"]
    assert query["metricSelector"] == ["builtin:host.cpu.usage"] and query["resolution"] == ["1m"]
    stamps = {r["timestamp"].timestamp() * 1000 for r in rows}
    assert stamps and min(stamps) > start and max(stamps) <= end
    hosts = {r["dimensionMap"] for r in rows}
    assert len(rows) <= 30 * len(hosts) and all(r["value"] is not None for r in rows)


def test_error_bodies_keep_dynatrace_s_message_and_reset_header() -> None:
    body = {"error": {"code": 400, "message": "Constraints violated.", "constraintViolations": [
        {"path": "from", "message": "bad time", "parameterLocation": "QUERY", "location": None}]}}
    error = dynatrace_error(httpx.Response(400, json=body), body)
    assert error.message == "Constraints violated. (from: bad time)" and error.code == "400"
    import time
    reset = str(int((time.time() + 5) * 1_000_000))
    throttled = httpx.Response(429, json={"error": {"code": 429, "message": "slow"}},
                               headers={"X-RateLimit-Reset": reset})
    wait = dynatrace_error(throttled, throttled.json()).retry_after
    assert wait is not None and 0 < wait <= 5
    with_retry_after = httpx.Response(429, headers={"Retry-After": "3", "X-RateLimit-Reset": reset})
    assert dynatrace_error(with_retry_after, None).retry_after is None  # Retry-After is read by the client
