"""Datadog -> S3 through boto3 against the fake Datadog API (https, test CA): profile check, entity
metadata, a paged run through a 429, Filter push-down, and a scheduled incremental flow.

The expected records come from the fake's own store (`state.logs.scan`), never from Sluice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.datadog.search import compile_query
from tests.fakes.datadog.server import FakeDatadog
from tests.fakes.datadog.state import DEFAULT_START, log_view
from tests.integration.builders import unique
from tests.support import flows
from tests.support.server import SluiceServer

SPEEDUP = 60.0
EPOCH = time.time()
LOGS = 2600  # 2.6 pages of 1000
START_MS = int(DEFAULT_START.timestamp() * 1000)
FAR_MS = START_MS + 86_400_000


def virtual_now() -> float:
    """The scheduler's accelerated clock (SLUICE_SCHEDULER_SPEEDUP from EPOCH)."""
    return EPOCH + (time.time() - EPOCH) * SPEEDUP


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDatadog]:
    with FakeDatadog(logs=LOGS, events=50) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    # One thread: these tests follow one search's cursor pages (time slices: test_vendor_splits.py).
    with flows.saas_server(tmp_path_factory.mktemp("dd"), SLUICE_PARALLELISM="1",
                           **flows.scheduler_env(SPEEDUP, EPOCH)) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def profile_request(name: str, fake: FakeDatadog, **credentials: str) -> dict[str, Any]:
    keys = {"apiKey": fake.api_key, "applicationKey": fake.app_key, **credentials}
    return {"connectorProfileName": name, "connectorType": "Datadog", "connectionMode": "Public",
            "connectorProfileConfig": {"connectorProfileProperties": {"Datadog": {"instanceUrl": fake.url}},
                                       "connectorProfileCredentials": {"Datadog": keys}}}


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeDatadog) -> str:
    name = unique("dd")
    appflow.create_connector_profile(**profile_request(name, fake))
    return name


def task(kind: str, fields: list[str], operator: str, **props: str) -> dict[str, Any]:
    return {"taskType": kind, "sourceFields": fields, "connectorOperator": {"Datadog": operator},
            "taskProperties": props}


MAP_ALL = task("Map_all", [], "NO_OP")


def flow(name: str, profile: str, bucket: str, tasks: list[dict[str, Any]], entity: str = "logs",
         **extra: Any) -> dict[str, Any]:
    return {
        "flowName": name,
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": "Datadog", "connectorProfileName": profile,
                             "sourceConnectorProperties": {"Datadog": {"object": entity}}},
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket),
        "tasks": tasks,
        **extra,
    }


def test_a_profile_with_a_bad_key_is_refused_with_datadogs_message(appflow: Any, fake: FakeDatadog,
                                                                    profile: str) -> None:
    for bad in ({"apiKey": "0" * 32}, {"applicationKey": "f" * 40}):
        with pytest.raises(appflow.exceptions.ConnectorAuthenticationException) as refused:
            appflow.create_connector_profile(**profile_request(unique("dd-bad"), fake, **bad))
        assert "Forbidden" in refused.value.response["Error"]["Message"]
        update = profile_request(profile, fake, **bad)
        update.pop("connectorType"), update.pop("connectorProfileName"), update.pop("connectionMode")
        with pytest.raises(appflow.exceptions.ConnectorAuthenticationException):
            appflow.update_connector_profile(connectorProfileName=profile, connectionMode="Public", **update)


def test_entities_and_fields_are_listed(appflow: Any, profile: str) -> None:
    entities = appflow.list_connector_entities(connectorProfileName=profile, connectorType="Datadog")
    names = [e["name"] for group in entities["connectorEntityMap"].values() for e in group]
    assert names == ["logs", "events", "metrics"]
    fields = {f["identifier"]: f for f in appflow.describe_connector_entity(
        connectorEntityName="logs", connectorProfileName=profile, connectorType="Datadog")["connectorEntityFields"]}
    assert {"id", "timestamp", "service", "status", "host", "message", "tags", "attributes", "query"} <= set(fields)
    assert fields["id"]["isPrimaryKey"] is True
    assert fields["timestamp"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == ["BETWEEN"]
    assert fields["query"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == ["EQUAL_TO"]


def test_a_flow_naming_an_unknown_field_is_refused(appflow: Any, profile: str) -> None:
    with pytest.raises(appflow.exceptions.ValidationException):
        appflow.create_flow(**flow(unique("dd-bad-field"), profile, unique("b"),
                                   [task("Filter", ["id", "no_such_field"], "PROJECTION")]))


def test_logs_land_once_each_through_pages_and_a_429(appflow: Any, sluice: SluiceServer, fake: FakeDatadog,
                                                     profile: str) -> None:
    fake.requests.clear()
    fake.state.throttle_next(1, reset=0, after=1)  # the second page is refused once
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("dd-logs"), profile, unique("b"), [MAP_ALL]))
    assert record["executionStatus"] == "Successful", record
    expected = [r["id"] for _, r in fake.state.logs.scan(0, FAR_MS)]
    assert len(expected) == LOGS
    assert sorted(r["id"] for r in rows) == sorted(expected)
    assert record["executionResult"]["recordsProcessed"] == LOGS
    searches = fake.requests.matching("/api/v2/logs/events/search")
    assert len(searches) == 4  # pages 1, 2 (refused), 2, 3
    assert searches[1]["body"] == searches[2]["body"] and searches[1]["body"]["page"]["cursor"]


def test_filters_are_pushed_down(appflow: Any, sluice: SluiceServer, fake: FakeDatadog, profile: str) -> None:
    fake.requests.clear()
    lo, hi = START_MS + 60_000, START_MS + 1_500_000
    tasks = [
        task("Filter", ["id", "timestamp", "service", "status", "message"], "PROJECTION"),
        task("Filter", ["timestamp"], "BETWEEN", DATA_TYPE="datetime", LOWER_BOUND=str(lo), UPPER_BOUND=str(hi)),
        task("Filter", ["service"], "EQUAL_TO", DATA_TYPE="string", VALUE="payments"),
        task("Filter", ["query"], "EQUAL_TO", DATA_TYPE="string", VALUE="status:error"),
        *[{**task("Map", [name], "NO_OP"), "destinationField": name}
          for name in ("id", "timestamp", "service", "status", "message")],
    ]
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("dd-filter"), profile, unique("b"), tasks))
    assert record["executionStatus"] == "Successful", record
    body = fake.requests.matching("/api/v2/logs/events/search")[0]["body"]
    assert body["filter"]["query"] == "(status:error) service:payments"
    assert body["filter"]["from"] == "2026-11-01T00:01:00.000Z" and body["filter"]["to"] == "2026-11-01T00:25:00.001Z"
    match = compile_query("status:error service:payments")
    expected = sorted(r["id"] for _, r in fake.state.logs.scan(lo, hi + 1) if match(log_view(r)))
    assert expected and sorted(r["id"] for r in rows) == expected


def test_an_incremental_scheduled_flow_pulls_only_changes(appflow: Any, sluice: SluiceServer) -> None:
    import datetime as dt

    begin = dt.datetime.fromtimestamp(virtual_now() - 1800, tz=dt.UTC)
    with FakeDatadog(logs=200, events=0, start=begin) as live:
        name, bucket = unique("dd-inc"), flows.new_bucket(sluice)
        profile = unique("dd-live")
        appflow.create_connector_profile(**profile_request(profile, live))
        request = flow(name, profile, bucket, [MAP_ALL],
                       triggerConfig=flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600))
        request["sourceFlowConfig"]["incrementalPullConfig"] = {"datetimeTypeFieldName": "timestamp"}
        appflow.create_flow(**request)
        appflow.start_flow(flowName=name)
        flows.wait_for(lambda: len(flows.published_rows(sluice, bucket)) >= 200, 60)
        added = live.state.add_logs(3, timestamp_ms=int(virtual_now() * 1000), overrides={"service": "late"})
        flows.wait_for(lambda: {r["id"] for r in added} <= {r["id"] for r in flows.published_rows(sluice, bucket)}, 60)
        time.sleep(2)  # a few more (empty) windows
        appflow.stop_flow(flowName=name)
        records = flows.wait_until_idle(appflow, name)
        counts = Counter(r["id"] for r in flows.published_rows(sluice, bucket))
        assert len(counts) == 203 and set(counts.values()) == {1}, counts.most_common(3)
        searches = live.requests.matching("/api/v2/logs/events/search")
        froms = [s["body"]["filter"]["from"] for s in searches if not s["body"]["page"].get("cursor")]
        assert len(set(froms)) == len(froms) >= 3  # each run asked only for its own window
        statuses = {r["executionStatus"] for r in records}
        assert statuses == {"Successful"}, statuses
