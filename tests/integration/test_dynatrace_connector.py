"""Dynatrace -> S3 through boto3 against the fake environment (over https, the test CA).

A bad token is refused at CreateConnectorProfile with Dynatrace's message; the catalog comes from the
environment; a flow reading three pages of problems through a forced 429 lands every problem once in
Parquet, with its time range pushed down; an EQUAL_TO filter becomes an `eventSelector`; a scheduled
incremental flow (the scheduler at 60x, the fake on the same accelerated clock) pulls only new problems.
Expected records come from the fake, never from Sluice.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.fakes.dynatrace.server import FakeDynatrace
from tests.integration.builders import raises, unique
from tests.support import flows
from tests.support.server import SluiceServer

SPEEDUP = 60.0
EPOCH = time.time()
HOUR_MS = 3_600_000


def virtual_now_ms() -> int:
    """The scheduler's accelerated clock (SLUICE_SCHEDULER_SPEEDUP / EPOCH)."""
    return int((EPOCH + (time.time() - EPOCH) * SPEEDUP) * 1000)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDynatrace]:
    with FakeDynatrace(problems=1300, events=200, entities=24) as server:
        yield server


@pytest.fixture(scope="module")
def scheduled_fake() -> Iterator[FakeDynatrace]:
    with FakeDynatrace(problems=120, events=0, entities=12, seed=11, clock_ms=virtual_now_ms) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeDynatrace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    env = {"SLUICE_ENDPOINT_URL_DYNATRACE": fake.url, **flows.scheduler_env(SPEEDUP, EPOCH)}
    with flows.saas_server(tmp_path_factory.mktemp("dynatrace"), secrets=[fake.token], **env) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def profile_request(name: str, fake: FakeDynatrace, token: str) -> dict[str, Any]:
    return {"connectorProfileName": name, "connectorType": "Dynatrace", "connectionMode": "Public",
            "connectorProfileConfig": {
                "connectorProfileProperties": {"Dynatrace": {"instanceUrl": fake.url}},
                "connectorProfileCredentials": {"Dynatrace": {"apiToken": token}}}}


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeDynatrace) -> str:
    name = unique("dt")
    appflow.create_connector_profile(**profile_request(name, fake, fake.token))
    return name


def flow(name: str, profile: str, obj: str, bucket: str, tasks: list[dict[str, Any]],
         trigger: dict[str, Any] | None = None, typed: bool = False, **source: Any) -> dict[str, Any]:
    return {"flowName": name, "triggerConfig": trigger or {"triggerType": "OnDemand"},
            "sourceFlowConfig": {"connectorType": "Dynatrace", "connectorProfileName": profile,
                                 "sourceConnectorProperties": {"Dynatrace": {"object": obj}}, **source},
            "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=typed),
            "tasks": tasks}


def projection(*fields: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": list(fields), "connectorOperator": {"Dynatrace": "PROJECTION"},
            "taskProperties": {}}


def mapped(*fields: str) -> list[dict[str, Any]]:
    return [{"taskType": "Map", "sourceFields": [f], "destinationField": f,
             "connectorOperator": {"Dynatrace": "NO_OP"}, "taskProperties": {}} for f in fields]


MAP_ALL = {"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Dynatrace": "NO_OP"},
           "taskProperties": {}}


def between(field: str, low: int, high: int) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"Dynatrace": "BETWEEN"},
            "taskProperties": {"DATA_TYPE": "datetime", "LOWER_BOUND": str(low), "UPPER_BOUND": str(high)}}


def equal(field: str, value: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"Dynatrace": "EQUAL_TO"},
            "taskProperties": {"DATA_TYPE": "string", "VALUE": value}}


def bucket_for(server: SluiceServer) -> str:
    return flows.new_bucket(server, "dtb")


def rows(server: SluiceServer, bucket: str, column: str) -> list[Any]:
    return [r[column] for r in flows.published_rows(server, bucket, [column])]


def all_problems(fake: FakeDynatrace) -> list[dict[str, Any]]:
    """Every seeded problem, straight from the fake's generator."""
    return [fake.state.problems.record(i) for i in range(fake.state.problems.count)]


def test_a_bad_token_is_refused_and_the_catalog_comes_from_the_environment(
        appflow: Any, sluice: SluiceServer, fake: FakeDynatrace, profile: str) -> None:
    with raises(appflow, "ConnectorAuthenticationException", 401, "Token Authentication failed"):
        appflow.create_connector_profile(**profile_request(unique("dt-bad"), fake, "dt0c01.NOT.VALID"))
    with raises(appflow, "ConnectorAuthenticationException", 401, "Token Authentication failed"):
        appflow.update_connector_profile(connectorProfileName=profile, connectionMode="Public", connectorProfileConfig={
            "connectorProfileProperties": {"Dynatrace": {"instanceUrl": fake.url}},
            "connectorProfileCredentials": {"Dynatrace": {"apiToken": "dt0c01.STILL.WRONG"}}})
    top = appflow.list_connector_entities(connectorProfileName=profile, connectorType="Dynatrace")
    names = {e["name"]: e["hasNestedEntities"] for group in top["connectorEntityMap"].values() for e in group}
    assert names == {"problems": False, "events": False, "entities": True, "metrics": True}
    types = appflow.list_connector_entities(connectorProfileName=profile, connectorType="Dynatrace",
                                            entitiesPath="entities")
    assert {e["name"] for group in types["connectorEntityMap"].values() for e in group} == {
        "entities/HOST", "entities/SERVICE", "entities/PROCESS_GROUP_INSTANCE", "entities/APPLICATION"}
    fields = appflow.describe_connector_entity(connectorProfileName=profile, connectorType="Dynatrace",
                                               connectorEntityName="problems")["connectorEntityFields"]
    by_name = {f["identifier"]: f for f in fields}
    assert by_name["problemId"]["isPrimaryKey"] is True
    assert by_name["startTime"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == ["BETWEEN"]
    assert by_name["severityLevel"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == ["EQUAL_TO"]
    with raises(appflow, "ValidationException", 400, "noSuchField"):
        appflow.create_flow(**flow(unique("dt-bad-field"), profile, "problems", bucket_for(sluice),
                                   [projection("problemId", "noSuchField"), *mapped("problemId", "noSuchField")]))


def test_three_pages_through_a_429_land_every_problem_once(appflow: Any, sluice: SluiceServer,
                                                            fake: FakeDynatrace, profile: str) -> None:
    bucket, name = bucket_for(sluice), unique("dt-problems")
    now = fake.state.now_ms()
    fields = ("problemId", "title", "severityLevel", "status", "startTime", "endTime", "impactedEntities",
              "managementZones")
    appflow.create_flow(**flow(name, profile, "problems", bucket,
                               [projection(*fields), between("startTime", now - 48 * HOUR_MS, now + HOUR_MS),
                                MAP_ALL], typed=True))
    fake.log.clear()
    fake.state.throttle_next(1, retry_after=1, after=1, path="/api/v2/problems")  # the second page's first try
    record = flows.start_and_wait(appflow, name, timeout=90)
    assert record["executionStatus"] == "Successful", record
    landed = Counter(rows(sluice, bucket, "problemId"))
    expected = {p["problemId"] for p in all_problems(fake)}
    assert set(landed) == expected and set(landed.values()) == {1}
    assert record["executionResult"]["recordsProcessed"] == len(expected) == 1300
    calls = fake.log.matching("/api/v2/problems")
    assert len(calls) == 4  # pages of 500, 500 and 300, the second one asked twice
    assert calls[0]["query"]["from"] == [str(now - 48 * HOUR_MS)] and calls[0]["query"]["pageSize"] == ["500"]
    # Later pages carry the key and nothing else but `fields`, the one parameter Dynatrace takes beside it.
    assert all(set(c["query"]) == {"nextPageKey", "fields"} for c in calls[1:])
    assert calls[1]["query"] == calls[2]["query"]
    schema = pq.read_schema(next((sluice.data_dir / "s3" / bucket).rglob("*.parquet")))
    assert str(schema.field("impactedEntities").type).startswith("list<element: struct<entityId: struct<id")
    assert str(schema.field("startTime").type).startswith("timestamp")  # nested and typed, not stringified


def test_an_equal_to_filter_becomes_an_event_selector(appflow: Any, sluice: SluiceServer, fake: FakeDynatrace,
                                                      profile: str) -> None:
    bucket, name = bucket_for(sluice), unique("dt-events")
    now = fake.state.now_ms()
    appflow.create_flow(**flow(name, profile, "events", bucket,
                               [projection("eventId", "eventType", "title"),
                                between("startTime", now - 24 * HOUR_MS, now + HOUR_MS),
                                equal("eventType", "CUSTOM_DEPLOYMENT"), *mapped("eventId", "eventType", "title")]))
    fake.log.clear()
    assert flows.start_and_wait(appflow, name)["executionStatus"] == "Successful"
    query = fake.log.matching("/api/v2/events")[0]["query"]
    assert query["eventSelector"] == ['eventType("CUSTOM_DEPLOYMENT")']
    expected = {e["eventId"] for e in (fake.state.events.record(i) for i in range(fake.state.events.count))
                if e["eventType"] == "CUSTOM_DEPLOYMENT"}
    assert expected and Counter(rows(sluice, bucket, "eventId")) == Counter({e: 1 for e in expected})


def test_a_scheduled_incremental_flow_pulls_only_new_problems(appflow: Any, sluice: SluiceServer,
                                                              scheduled_fake: FakeDynatrace) -> None:
    fake = scheduled_fake
    profile, name, bucket = unique("dt-inc"), unique("dt-inc"), bucket_for(sluice)
    appflow.create_connector_profile(**profile_request(profile, fake, fake.token))
    start_from = virtual_now_ms() - HOUR_MS  # the seeded problems started in the last two (virtual) hours
    appflow.create_flow(**flow(
        name, profile, "problems", bucket, [projection("problemId", "startTime"), *mapped("problemId", "startTime")],
        trigger=flows.incremental_schedule(virtual_now_ms() / 1000 + SPEEDUP, start_from / 1000),
        incrementalPullConfig={"datetimeTypeFieldName": "startTime"}))
    appflow.start_flow(flowName=name)
    seeded = {p["problemId"] for p in all_problems(fake) if p["startTime"] > start_from}
    flows.wait_for(lambda: set(rows(sluice, bucket, "problemId")) >= seeded, 60)
    fake.log.clear()
    added = {p["problemId"] for p in fake.state.add_problems(3)}
    flows.wait_for(lambda: set(rows(sluice, bucket, "problemId")) >= seeded | added, 60)
    time.sleep(2)  # a few more (empty) windows
    appflow.stop_flow(flowName=name)
    records = flows.wait_until_idle(appflow, name)
    assert Counter(rows(sluice, bucket, "problemId")) == Counter({p: 1 for p in seeded | added})
    assert {r["executionStatus"] for r in records} == {"Successful"}
    # Later windows asked Dynatrace only for the time since the window before.
    windows = [(int(c["query"]["from"][0]), int(c["query"]["to"][0]))
               for c in fake.log.matching("/api/v2/problems") if "from" in c["query"]]
    assert windows and all(high - low <= 30 * 60_000 for low, high in windows)  # vs the first window's hour
    assert all(a[1] <= b[0] + 1 for a, b in itertools.pairwise(windows))

