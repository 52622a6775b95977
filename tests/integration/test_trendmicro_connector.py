"""Trend Micro -> S3 through boto3 against the fake Deep Security API (https, test CA): profile check,
entity metadata, CreateFlow field checks, an ID-paged run through a 429, EQUAL_TO push-down, and a
scheduled incremental flow on software changes.

The expected records come from the fake's own store (`state.scan`), never from Sluice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.trendmicro.server import FakeTrendMicro
from tests.integration.builders import unique
from tests.support import flows
from tests.support.server import SluiceServer

SPEEDUP = 3600.0  # a virtual hour a second: Trend Micro flows run at most hourly
EPOCH = time.time()
COMPUTERS = 2300  # 2.3 pages of 1000


def virtual_now() -> float:
    """The scheduler's accelerated clock (SLUICE_SCHEDULER_SPEEDUP from EPOCH)."""
    return EPOCH + (time.time() - EPOCH) * SPEEDUP


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTrendMicro]:
    with FakeTrendMicro(records=300, sizes={"computers": COMPUTERS}) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeTrendMicro, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    env = {"SLUICE_ENDPOINT_URL_TRENDMICRO": fake.api_url, **flows.scheduler_env(SPEEDUP, EPOCH)}
    with flows.saas_server(tmp_path_factory.mktemp("trendmicro"), secrets=[fake.key], **env) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def profile_request(name: str, key: str) -> dict[str, Any]:
    return {"connectorProfileName": name, "connectorType": "Trendmicro", "connectionMode": "Public",
            "connectorProfileConfig": {"connectorProfileProperties": {"Trendmicro": {}},
                                       "connectorProfileCredentials": {"Trendmicro": {"apiSecretKey": key}}}}


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeTrendMicro) -> str:
    name = unique("tm")
    appflow.create_connector_profile(**profile_request(name, fake.key))
    return name


def task(kind: str, fields: list[str], operator: str, **props: str) -> dict[str, Any]:
    return {"taskType": kind, "sourceFields": fields, "connectorOperator": {"Trendmicro": operator},
            "taskProperties": props}


MAP_ALL = task("Map_all", [], "NO_OP")


def flow(name: str, profile: str, bucket: str, tasks: list[dict[str, Any]], entity: str = "computers",
         **extra: Any) -> dict[str, Any]:
    return {
        "flowName": name,
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": "Trendmicro", "connectorProfileName": profile,
                             "sourceConnectorProperties": {"Trendmicro": {"object": entity}}},
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket),
        "tasks": tasks,
        **extra,
    }


def test_a_profile_with_a_bad_key_is_refused_with_trend_micros_message(appflow: Any) -> None:
    with pytest.raises(appflow.exceptions.ConnectorAuthenticationException) as refused:
        appflow.create_connector_profile(**profile_request(unique("tm-bad"), "2:not-the-key"))
    assert "Invalid API Key" in refused.value.response["Error"]["Message"]


def test_entities_and_fields_are_listed(appflow: Any, profile: str) -> None:
    entities = appflow.list_connector_entities(connectorProfileName=profile, connectorType="Trendmicro")
    names = [e["name"] for group in entities["connectorEntityMap"].values() for e in group]
    assert names == ["computers", "policies", "intrusionPreventionRules", "softwareChanges", "administrators"]
    fields = {f["identifier"]: f for f in appflow.describe_connector_entity(
        connectorEntityName="softwareChanges", connectorProfileName=profile,
        connectorType="Trendmicro")["connectorEntityFields"]}
    assert fields["ID"]["isPrimaryKey"] is True
    assert fields["fileName"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == ["EQUAL_TO"]
    assert fields["changeEventTime"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True


def test_a_flow_naming_an_unknown_field_is_refused(appflow: Any, profile: str) -> None:
    with pytest.raises(appflow.exceptions.ValidationException):
        appflow.create_flow(**flow(unique("tm-bad-field"), profile, unique("b"),
                                   [task("Filter", ["ID", "no_such_field"], "PROJECTION")]))


def test_computers_land_once_each_through_pages_and_a_429(appflow: Any, sluice: SluiceServer,
                                                          fake: FakeTrendMicro, profile: str) -> None:
    fake.requests.clear()
    fake.state.throttle_next(1, after=1)  # the second page is refused once
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("tm-computers"), profile, unique("b"), [MAP_ALL]))
    assert record["executionStatus"] == "Successful", record
    expected = [c["ID"] for c in fake.state.scan("computers")]
    assert len(expected) == COMPUTERS
    assert sorted(int(r["ID"]) for r in rows) == expected
    assert record["executionResult"]["recordsProcessed"] == COMPUTERS
    searches = fake.requests.matching("/api/computers/search")
    assert len(searches) == 4  # pages 1, 2 (refused), 2, 3
    assert searches[1]["body"] == searches[2]["body"]
    assert searches[2]["body"]["searchCriteria"] == [{"idTest": "greater-than", "idValue": 1000}]
    assert searches[0]["query"]["expand"] == ["computerStatus", "antiMalware", "ec2VirtualMachineSummary"]
    first = next(r for r in rows if int(r["ID"]) == 1)
    assert "agentStatusMessages" in str(first["computerStatus"])


def test_equal_to_filters_are_pushed_down(appflow: Any, sluice: SluiceServer, fake: FakeTrendMicro,
                                          profile: str) -> None:
    fake.requests.clear()
    columns = ["ID", "name", "severity", "detectOnly", "CVE"]
    tasks = [
        task("Filter", columns, "PROJECTION"),
        task("Filter", ["severity"], "EQUAL_TO", DATA_TYPE="string", VALUE="critical"),
        task("Filter", ["detectOnly"], "EQUAL_TO", DATA_TYPE="boolean", VALUE="false"),
        *[{**task("Map", [name], "NO_OP"), "destinationField": name} for name in columns],
    ]
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("tm-filter"), profile, unique("b"), tasks,
                                                         entity="intrusionPreventionRules"))
    assert record["executionStatus"] == "Successful", record
    body = fake.requests.matching("/api/intrusionpreventionrules/search")[0]["body"]
    assert body["searchCriteria"] == [
        {"fieldName": "severity", "stringTest": "equal", "stringValue": "critical", "stringWildcards": False},
        {"fieldName": "detectOnly", "booleanTest": False}]
    expected = [r["ID"] for r in fake.state.scan("intrusionpreventionrules")
                if r["severity"] == "critical" and not r["detectOnly"]]
    assert expected and sorted(int(r["ID"]) for r in rows) == expected


def test_an_incremental_scheduled_flow_pulls_only_new_changes(appflow: Any, sluice: SluiceServer,
                                                               fake: FakeTrendMicro, profile: str) -> None:
    name, bucket = unique("tm-inc"), flows.new_bucket(sluice)
    first = fake.state.add_software_changes(4, at_ms=int((virtual_now() - 600) * 1000))
    request = flow(name, profile, bucket, [MAP_ALL], entity="softwareChanges",
                   triggerConfig=flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600,
                                                            "rate(1hours)"))
    request["sourceFlowConfig"]["incrementalPullConfig"] = {"datetimeTypeFieldName": "changeEventTime"}
    appflow.create_flow(**request)
    fake.requests.clear()
    appflow.start_flow(flowName=name)

    def landed() -> Counter[int]:
        return Counter(int(r["ID"]) for r in flows.published_rows(sluice, bucket, ["ID"]))

    try:
        flows.wait_for(lambda: {r["ID"] for r in first} <= set(landed()), 60)
        later = fake.state.add_software_changes(3, at_ms=int(virtual_now() * 1000))
        flows.wait_for(lambda: {r["ID"] for r in later} <= set(landed()), 60)
        time.sleep(2)  # a few more (empty) windows
    finally:
        appflow.stop_flow(flowName=name)
    records = flows.wait_until_idle(appflow, name)
    counts = landed()
    assert set(counts) == {r["ID"] for r in first + later} and set(counts.values()) == {1}, counts
    assert {r["executionStatus"] for r in records} == {"Successful"}
    windows = [c["firstDateValue"] for s in fake.requests.matching("/api/softwarechanges/search")
               for c in s["body"]["searchCriteria"] if c.get("fieldName") == "changeEventTime"]
    assert len(windows) >= 3 and len(set(windows)) == len(windows)  # each run asked for its own window
