"""Singular -> S3 through boto3 against the fake account (over https, the test CA).

A wrong API key is refused at CreateConnectorProfile; the report's fields include the account's own
dimensions, values and metrics; a flow reads one async report per day (create -> poll -> download) through
a forced 429, with its EQUAL_TO filter on `source` pushed into each report, and lands every row once in
Parquet; a scheduled incremental flow (the scheduler and the fake on one accelerated clock) reads each day
once. Expected rows come from the fake, never from Sluice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.fakes.singular.server import FakeSingular
from tests.integration.builders import raises, unique
from tests.support import flows
from tests.support.server import SluiceServer

SPEEDUP = 14400.0  # a virtual day every 6 s: Singular flows run at most daily
EPOCH = time.time()
KEY = ("start_date", "adn_campaign_id")


def virtual_now() -> float:
    """The scheduler's accelerated clock (SLUICE_SCHEDULER_SPEEDUP / EPOCH)."""
    return EPOCH + (time.time() - EPOCH) * SPEEDUP


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSingular]:
    with FakeSingular(rows_per_day=60, days=4) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeSingular, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    env = {"SLUICE_ENDPOINT_URL_SINGULAR": fake.url, **flows.scheduler_env(SPEEDUP, EPOCH)}
    with flows.saas_server(tmp_path_factory.mktemp("singular"), secrets=[fake.state.api_key], **env) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def profile_request(name: str, api_key: str) -> dict[str, Any]:
    return {"connectorProfileName": name, "connectorType": "Singular", "connectionMode": "Public",
            "connectorProfileConfig": {"connectorProfileProperties": {"Singular": {}},
                                       "connectorProfileCredentials": {"Singular": {"apiKey": api_key}}}}


def new_profile(appflow: Any, fake: FakeSingular) -> str:
    name = unique("sng")
    appflow.create_connector_profile(**profile_request(name, fake.state.api_key))
    return name


def projection(*fields: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": list(fields), "connectorOperator": {"Singular": "PROJECTION"},
            "taskProperties": {}}


def mapped(*fields: str) -> list[dict[str, Any]]:
    return [{"taskType": "Map", "sourceFields": [f], "destinationField": f,
             "connectorOperator": {"Singular": "NO_OP"}, "taskProperties": {}} for f in fields]


def equal(field: str, value: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"Singular": "EQUAL_TO"},
            "taskProperties": {"DATA_TYPE": "string", "VALUE": value}}


def flow(name: str, profile: str, bucket: str, tasks: list[dict[str, Any]],
         trigger: dict[str, Any] | None = None, **source: Any) -> dict[str, Any]:
    return {"flowName": name, "triggerConfig": trigger or {"triggerType": "OnDemand"},
            "sourceFlowConfig": {"connectorType": "Singular", "connectorProfileName": profile,
                                 "sourceConnectorProperties": {"Singular": {"object": "report"}}, **source},
            "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
            "tasks": tasks}


def keys(rows: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    return Counter((str(r["start_date"])[:10], str(r["adn_campaign_id"])) for r in rows)


def test_a_wrong_key_is_refused_and_the_fields_come_from_the_account(appflow: Any, sluice: SluiceServer,
                                                                      fake: FakeSingular) -> None:
    with raises(appflow, "ConnectorAuthenticationException", 401, "Invalid or missing API key"):
        appflow.create_connector_profile(**profile_request(unique("sng-bad"), "not-the-key"))
    profile = new_profile(appflow, fake)
    listed = appflow.list_connector_entities(connectorProfileName=profile, connectorType="Singular")
    assert [e["name"] for group in listed["connectorEntityMap"].values() for e in group] == ["report"]
    fields = appflow.describe_connector_entity(connectorProfileName=profile, connectorType="Singular",
                                               connectorEntityName="report")["connectorEntityFields"]
    by_name = {f["identifier"]: f for f in fields}
    assert by_name["start_date"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    source = by_name["source"]["supportedFieldTypeDetails"]["v1"]
    assert source["filterOperators"] == ["EQUAL_TO"] and "TikTok for Business" in source["supportedValues"]
    assert by_name["cd_3f9a"]["label"] == "Creative Type"  # a custom dimension, read live
    assert by_name["purchase_event"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "double"
    with raises(appflow, "ValidationException", 400, "noSuchMetric"):
        appflow.create_flow(**flow(unique("sng-bad-field"), profile, flows.new_bucket(sluice, "sngb"),
                                   [projection("source", "noSuchMetric"), *mapped("source", "noSuchMetric")]))


def test_one_report_a_day_through_a_429_lands_every_row_once(appflow: Any, sluice: SluiceServer,
                                                             fake: FakeSingular) -> None:
    profile, bucket, name = new_profile(appflow, fake), flows.new_bucket(sluice, "sngb"), unique("sng-days")
    columns = ("start_date", "source", "app", "adn_campaign_id", "adn_campaign_name", "adn_cost", "adn_clicks",
               "purchase_event")
    appflow.create_flow(**flow(name, profile, bucket,
                               [projection(*columns), equal("source", "Facebook"), *mapped(*columns)]))
    fake.log.clear()
    fake.state.throttle_next(1, after=1, path="/api/v2.0/create_async_report", retry_after=1)
    record = flows.start_and_wait(appflow, name, timeout=120)
    assert record["executionStatus"] == "Successful", record
    expected = [r for r in fake.state.all_rows() if r["source"] == "Facebook"]
    rows = flows.published_rows(sluice, bucket)
    assert keys(rows) == keys(expected) and set(keys(rows).values()) == {1}
    assert record["executionResult"]["recordsProcessed"] == len(expected)
    by_key = {(r["start_date"], r["adn_campaign_id"]): r for r in expected}
    for row in rows:
        seeded = by_key[(str(row["start_date"])[:10], row["adn_campaign_id"])]
        assert row["adn_cost"] == pytest.approx(seeded["adn_cost"])
    creates = fake.log.matching("/api/v2.0/create_async_report")
    days = [c["query"]["start_date"][0] for c in creates]
    assert len(days) == 31 and len(set(days)) == 30  # the last 30 days, one a day; the 429'd one again
    assert all(c["query"]["source"] == ["Facebook"] and c["query"]["time_breakdown"] == ["day"] for c in creates)
    assert set(creates[0]["query"]["metrics"][0].split(",")) == {"adn_cost", "adn_clicks", "purchase_event"}
    assert "adn_cost" not in creates[0]["query"]["dimensions"][0]
    assert fake.log.matching("/get_report_status") and fake.log.matching("/download/")
    schema = pq.read_schema(next((sluice.data_dir / "s3" / bucket).rglob("*.parquet")))
    assert str(schema.field("start_date").type).startswith("timestamp")
    assert str(schema.field("adn_clicks").type) == "int64"


def test_a_scheduled_incremental_flow_reads_each_day_once(appflow: Any, sluice: SluiceServer,
                                                         fake: FakeSingular) -> None:
    profile, name, bucket = new_profile(appflow, fake), unique("sng-inc"), flows.new_bucket(sluice, "sngb")
    today = datetime.fromtimestamp(virtual_now(), UTC).date()  # the scheduler's day
    start_from = virtual_now() - 2.5 * 86400
    late = fake.state.add_rows(today - timedelta(days=1), 5)  # a day inside the first window
    columns = ("start_date", "adn_campaign_id", "adn_clicks")
    fake.log.clear()
    appflow.create_flow(**flow(name, profile, bucket, [projection(*columns), *mapped(*columns)],
                               trigger=flows.incremental_schedule(virtual_now() + 3600, start_from, "rate(1days)"),
                               incrementalPullConfig={"datetimeTypeFieldName": "start_date"}))
    appflow.start_flow(flowName=name)

    def landed() -> Counter[tuple[str, str]]:
        return keys(flows.published_rows(sluice, bucket, list(columns)))

    flows.wait_for(lambda: set(landed()) >= set(keys(late)), 60)
    added = fake.state.add_rows(datetime.fromtimestamp(virtual_now(), UTC).date() + timedelta(days=1), 3)
    flows.wait_for(lambda: set(landed()) >= set(keys(late + added)), 60)
    appflow.stop_flow(flowName=name)
    records = flows.wait_until_idle(appflow, name)
    def midnight(day: str) -> float:
        return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()

    # Every row of every day whose midnight came after firstExecutionFrom: seeded, late and added.
    expected = keys([r for r in fake.state.all_rows() if midnight(r["start_date"]) > start_from])
    assert set(keys(late + added)) <= set(expected)
    assert landed() == Counter({k: 1 for k in expected})
    assert {r["executionStatus"] for r in records} == {"Successful"}
    days = [c["query"]["start_date"][0] for c in fake.log.matching("/api/v2.0/create_async_report")]
    assert len(days) == len(set(days))  # each day asked for by one window only
    assert min(days) == (datetime.fromtimestamp(start_from, UTC).date() + timedelta(days=1)).isoformat()
