"""Amplitude -> S3 through boto3 against the fake project (over https, the test CA).

Wrong keys are refused at CreateConnectorProfile; the `events` object's fields come with `event_type`'s
values read live; a flow whose BETWEEN filter spans three days of uploads reads them in day slices (one
refused as too large and read again in halves, one answered 429 first) and lands every event once in
Parquet, with the event and user properties kept whole as JSON; a scheduled incremental flow (the
scheduler and the fake on one accelerated clock) pulls only the new events. Expected records come from
the fake, never from Sluice.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.fakes.amplitude.server import FakeAmplitude
from tests.integration.builders import raises, unique
from tests.support import flows
from tests.support.server import SluiceServer

SPEEDUP = 7200.0  # a virtual day every 12 s: Amplitude flows run at most daily
EPOCH = time.time()


def virtual_now() -> float:
    """The scheduler's accelerated clock (SLUICE_SCHEDULER_SPEEDUP / EPOCH)."""
    return EPOCH + (time.time() - EPOCH) * SPEEDUP


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAmplitude]:
    # 432 events ten minutes apart: three days of uploads, 144 an hour-aligned day.
    with FakeAmplitude(events=432, spacing=600.0, end_age=6 * 3600, clock=virtual_now) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeAmplitude, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    env = {"SLUICE_ENDPOINT_URL_AMPLITUDE": fake.url, **flows.scheduler_env(SPEEDUP, EPOCH)}
    with flows.saas_server(tmp_path_factory.mktemp("amplitude"), secrets=[fake.state.secret_key], **env) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def profile_request(name: str, api_key: str, secret_key: str) -> dict[str, Any]:
    return {"connectorProfileName": name, "connectorType": "Amplitude", "connectionMode": "Public",
            "connectorProfileConfig": {
                "connectorProfileProperties": {"Amplitude": {}},
                "connectorProfileCredentials": {"Amplitude": {"apiKey": api_key, "secretKey": secret_key}}}}


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeAmplitude) -> str:
    name = unique("amp")
    appflow.create_connector_profile(**profile_request(name, fake.state.api_key, fake.state.secret_key))
    return name


# AmplitudeConnectorOperator is BETWEEN alone, so Map tasks name no connector operator.
MAP_ALL = {"taskType": "Map_all", "sourceFields": [], "taskProperties": {}}


def mapped(*fields: str) -> list[dict[str, Any]]:
    return [{"taskType": "Map", "sourceFields": [f], "destinationField": f, "taskProperties": {}} for f in fields]


def between(field: str, low_ms: int, high_ms: int) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"Amplitude": "BETWEEN"},
            "taskProperties": {"DATA_TYPE": "datetime", "LOWER_BOUND": str(low_ms), "UPPER_BOUND": str(high_ms)}}


def flow(name: str, profile: str, bucket: str, tasks: list[dict[str, Any]],
         trigger: dict[str, Any] | None = None, **source: Any) -> dict[str, Any]:
    return {"flowName": name, "triggerConfig": trigger or {"triggerType": "OnDemand"},
            "sourceFlowConfig": {"connectorType": "Amplitude", "connectorProfileName": profile,
                                 "sourceConnectorProperties": {"Amplitude": {"object": "events"}}, **source},
            "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
            "tasks": tasks}


def uuids(server: SluiceServer, bucket: str) -> list[str]:
    return [r["uuid"] for r in flows.published_rows(server, bucket, ["uuid"])]


def hour_of(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y%m%dT%H")


def hour_at(text: str) -> float:
    return datetime.strptime(text, "%Y%m%dT%H").replace(tzinfo=UTC).timestamp()


def test_wrong_keys_are_refused_and_the_fields_are_live(appflow: Any, sluice: SluiceServer, fake: FakeAmplitude,
                                                         profile: str) -> None:
    with raises(appflow, "ConnectorAuthenticationException", 401, "Invalid API key"):
        appflow.create_connector_profile(**profile_request(unique("amp-bad"), fake.state.api_key, "wrong-secret"))
    listed = appflow.list_connector_entities(connectorProfileName=profile, connectorType="Amplitude")
    assert [e["name"] for group in listed["connectorEntityMap"].values() for e in group] == ["events"]
    fields = appflow.describe_connector_entity(connectorProfileName=profile, connectorType="Amplitude",
                                               connectorEntityName="events")["connectorEntityFields"]
    by_name = {f["identifier"]: f for f in fields}
    assert by_name["uuid"]["isPrimaryKey"] is True
    upload = by_name["server_upload_time"]
    assert upload["supportedFieldTypeDetails"]["v1"]["filterOperators"] == ["BETWEEN"]
    assert upload["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert "検索" in by_name["event_type"]["supportedFieldTypeDetails"]["v1"]["supportedValues"]  # live
    assert "Old Event" not in by_name["event_type"]["supportedFieldTypeDetails"]["v1"]["supportedValues"]
    with raises(appflow, "ValidationException", 400, "noSuchField"):
        appflow.create_flow(**flow(unique("amp-bad-field"), profile, flows.new_bucket(sluice, "ampb"),
                                   mapped("uuid", "noSuchField")))


def test_three_days_in_slices_through_a_400_and_a_429_land_every_event_once(
        appflow: Any, sluice: SluiceServer, fake: FakeAmplitude, profile: str) -> None:
    state = fake.state
    bucket, name = flows.new_bucket(sluice, "ampb"), unique("amp-events")
    low, high = state.upload_time(0), state.upload_time(state.count - 1)
    appflow.create_flow(**flow(name, profile, bucket,
                               [between("server_upload_time", int(low * 1000) - 1, int(high * 1000) + 1), MAP_ALL]))
    fake.log.clear()
    state.max_export_events = 100  # a day of uploads (144) is "over 4 GB": asked again in halves
    state.throttle_next(1, after=2, path="/api/2/export")
    try:
        record = flows.start_and_wait(appflow, name, timeout=90)
    finally:
        state.max_export_events = None
    assert record["executionStatus"] == "Successful", record
    expected = {e["uuid"] for e in state.all_events()}
    landed = Counter(uuids(sluice, bucket))
    assert set(landed) == expected and set(landed.values()) == {1}
    assert record["executionResult"]["recordsProcessed"] == 432
    calls = [(c["query"]["start"][0], c["query"]["end"][0]) for c in fake.log.matching("/api/2/export")]
    assert calls[0][0] == hour_of(low) and calls[-1][1] == hour_of(high)  # the filter's hours, pushed down
    assert len(calls) > len(set(calls))  # the 429 was asked again
    # A day refused as too large was asked for again as its two halves.
    assert any((start, mid) in calls and (after, end) in calls for start, end in calls for mid, after in
               [(hour_of(hour_at(start) + 11 * 3600), hour_of(hour_at(start) + 12 * 3600))]
               if hour_at(end) - hour_at(start) == 23 * 3600)
    rows = flows.published_rows(sluice, bucket, ["uuid", "event_properties", "user_properties", "event_time"])
    schema = pq.read_schema(next((sluice.data_dir / "s3" / bucket).rglob("*.parquet")))
    assert str(schema.field("event_properties").type) == "string"  # free-form: whole JSON text
    assert str(schema.field("server_upload_time").type).startswith("timestamp")
    seeded = {e["uuid"]: e for e in state.all_events()}
    purchase = next(r for r in rows if "items" in json.loads(r["event_properties"]))
    assert json.loads(purchase["event_properties"]) == seeded[purchase["uuid"]]["event_properties"]


def test_a_scheduled_incremental_flow_pulls_only_new_events(appflow: Any, sluice: SluiceServer,
                                                            fake: FakeAmplitude, profile: str) -> None:
    state = fake.state
    name, bucket = unique("amp-inc"), flows.new_bucket(sluice, "ampb")
    start_from = virtual_now() - 86400  # the last virtual day's seeded uploads
    appflow.create_flow(**flow(name, profile, bucket, mapped("uuid", "server_upload_time"),
                               trigger=flows.incremental_schedule(virtual_now() + 3600, start_from, "rate(1days)"),
                               incrementalPullConfig={"datetimeTypeFieldName": "server_upload_time"}))
    fake.log.clear()
    appflow.start_flow(flowName=name)
    seeded = {state.event(i)["uuid"] for i in range(state.count) if state.upload_time(i) > start_from}
    flows.wait_for(lambda: set(uuids(sluice, bucket)) >= seeded, 60)
    added = {e["uuid"] for e in state.add_events(3)}
    flows.wait_for(lambda: set(uuids(sluice, bucket)) >= seeded | added, 60)
    appflow.stop_flow(flowName=name)
    records = flows.wait_until_idle(appflow, name)
    assert Counter(uuids(sluice, bucket)) == Counter({u: 1 for u in seeded | added})
    assert {r["executionStatus"] for r in records} == {"Successful"}
    # Each run asked only for the hours of its own window (a day), not the whole history.
    calls = [(c["query"]["start"][0], c["query"]["end"][0]) for c in fake.log.matching("/api/2/export")]
    assert calls and calls[0][0] == hour_of(start_from)
