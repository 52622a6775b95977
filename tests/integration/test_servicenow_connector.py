"""ServiceNow -> S3 through boto3 against the fake instance: profile check, catalog, paged runs
through a 429, and Filter push-down.

The expected records come from the fake's own data (`state.query`), never from Sluice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.servicenow.server import FakeServiceNow
from tests.integration.builders import raises, unique
from tests.support.flows import run_to_s3, s3_parquet_destination, saas_server
from tests.support.server import SluiceServer

COUNTS = {"sys_user": 40, "sys_user_group": 8, "cmdb_ci": 10, "cmdb_ci_server": 10, "problem": 20,
          "incident": 260, "change_request": 30}
PAGE = 100


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServiceNow]:
    with FakeServiceNow(COUNTS) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeServiceNow, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    # One thread: these tests follow one stream's Link-header pages (split reads: test_vendor_splits.py).
    with saas_server(tmp_path_factory.mktemp("sn"), SLUICE_SERVICENOW_PAGE_SIZE=str(PAGE),
                     SLUICE_PARALLELISM="1") as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def profile_request(name: str, fake: FakeServiceNow, password: str) -> dict[str, Any]:
    return {"connectorProfileName": name, "connectorType": "Servicenow", "connectionMode": "Public",
            "connectorProfileConfig": {
                "connectorProfileProperties": {"ServiceNow": {"instanceUrl": fake.url}},
                "connectorProfileCredentials": {"ServiceNow": {"username": fake.USER, "password": password}}}}


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeServiceNow) -> str:
    name = unique("sn")
    appflow.create_connector_profile(**profile_request(name, fake, fake.PASSWORD))
    return name


def flow(name: str, profile: str, bucket: str, table: str, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "flowName": name,
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": "Servicenow", "connectorProfileName": profile,
                             "sourceConnectorProperties": {"ServiceNow": {"object": table}}},
        "destinationFlowConfigList": s3_parquet_destination(bucket, preserveSourceDataTyping=True),
        "tasks": tasks,
    }


def map_all() -> list[dict[str, Any]]:
    return [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"ServiceNow": "NO_OP"},
             "taskProperties": {}}]


def test_a_bad_password_is_refused_with_the_vendor_message(appflow: Any, fake: FakeServiceNow, profile: str) -> None:
    with raises(appflow, "ConnectorAuthenticationException", 401, "User Not Authenticated"):
        appflow.create_connector_profile(**profile_request(unique("sn-bad"), fake, "not-the-password"))
    update = profile_request(profile, fake, "not-the-password")
    del update["connectorType"]
    with raises(appflow, "ConnectorAuthenticationException", 401, "User Not Authenticated"):
        appflow.update_connector_profile(**update)
    assert appflow.describe_connector_profiles(connectorProfileNames=[profile])["connectorProfileDetails"]


def test_tables_and_their_fields_are_listed(appflow: Any, profile: str) -> None:
    entities = appflow.list_connector_entities(connectorProfileName=profile, connectorType="Servicenow")
    names = {e["name"] for group in entities["connectorEntityMap"].values() for e in group}
    assert {"incident", "problem", "change_request", "task", "sys_user", "cmdb_ci_server"} <= names
    fields = appflow.describe_connector_entity(connectorProfileName=profile, connectorType="Servicenow",
                                               connectorEntityName="incident")["connectorEntityFields"]
    by_name = {f["identifier"]: f for f in fields}
    assert {"sys_id", "number", "caller_id", "short_description", "sys_updated_on"} <= set(by_name)
    assert by_name["sys_id"]["isPrimaryKey"] is True
    assert by_name["sys_updated_on"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert "LESS_THAN" in by_name["priority"]["supportedFieldTypeDetails"]["v1"]["filterOperators"]


def test_a_flow_naming_an_unknown_field_or_table_is_refused(appflow: Any, profile: str) -> None:
    projection = [{"taskType": "Filter", "sourceFields": ["number", "u_nope"],
                   "connectorOperator": {"ServiceNow": "PROJECTION"}, "taskProperties": {}},
                  *[{"taskType": "Map", "sourceFields": [f], "destinationField": f,
                     "connectorOperator": {"ServiceNow": "NO_OP"}, "taskProperties": {}} for f in ("number", "u_nope")]]
    with raises(appflow, "ValidationException", 400, "u_nope"):
        appflow.create_flow(**flow(unique("sn-f"), profile, unique("b"), "incident", projection))
    with raises(appflow, "ValidationException", 400, "u_missing_table"):
        appflow.create_flow(**flow(unique("sn-t"), profile, unique("b"), "u_missing_table", map_all()))


def test_pages_through_a_429_land_every_record_once(appflow: Any, sluice: SluiceServer, fake: FakeServiceNow,
                                                    profile: str) -> None:
    fake.state.log.clear()
    fake.state.throttle_next(1, retry_after=1, path_part="/table/incident", after=1)  # the second page
    record, rows = run_to_s3(appflow, sluice, flow(unique("sn-all"), profile, unique("b"), "incident", map_all()))
    assert record["executionStatus"] == "Successful", record
    expected = sorted(str(r["sys_id"]) for r in fake.state.query("incident", "", 10_000, 0)[1])
    assert sorted(r["sys_id"] for r in rows) == expected and len(expected) == 260
    assert record["executionResult"]["recordsProcessed"] == 260
    pages = fake.state.log.matching("/api/now/table/incident")
    assert len(pages) == 4  # three pages of at most 100, the second one twice
    assert pages[1]["query"]["sysparm_offset"] == pages[2]["query"]["sysparm_offset"] == ["100"]
    sample = next(r for r in rows if r["number"] == "INC0010001")
    source = fake.state.query("incident", "number=INC0010001", 1, 0)[1][0]
    assert sample["priority"] == source["priority"] and sample["caller_id"] == (source["caller_id"] or None)
    assert sample["short_description"] == source["short_description"]


def test_filters_and_projection_are_pushed_into_sysparm_query(appflow: Any, sluice: SluiceServer,
                                                              fake: FakeServiceNow, profile: str) -> None:
    fields = ["sys_id", "number", "priority", "short_description"]
    tasks = [
        {"taskType": "Filter", "sourceFields": fields, "connectorOperator": {"ServiceNow": "PROJECTION"},
         "taskProperties": {}},
        {"taskType": "Filter", "sourceFields": ["priority"],
         "connectorOperator": {"ServiceNow": "LESS_THAN_OR_EQUAL_TO"},
         "taskProperties": {"DATA_TYPE": "integer", "VALUE": "2"}},
        {"taskType": "Filter", "sourceFields": ["short_description"], "connectorOperator": {"ServiceNow": "CONTAINS"},
         "taskProperties": {"DATA_TYPE": "string", "VALUE": "VPN"}},
        *[{"taskType": "Map", "sourceFields": [f], "destinationField": f, "connectorOperator": {"ServiceNow": "NO_OP"},
           "taskProperties": {}} for f in fields],
    ]
    fake.state.log.clear()
    record, rows = run_to_s3(appflow, sluice, flow(unique("sn-filter"), profile, unique("b"), "incident", tasks))
    assert record["executionStatus"] == "Successful", record
    (request,) = fake.state.log.matching("/api/now/table/incident")
    query = request["query"]["sysparm_query"][0]
    assert query.startswith("priority<=2^short_descriptionLIKEVPN^"), query
    assert request["query"]["sysparm_fields"] == [",".join(fields)]
    expected = {str(r["sys_id"]) for r in fake.state.query("incident", "priority<=2", 10_000, 0)[1]
                if "VPN" in str(r["short_description"])}
    assert {r["sys_id"] for r in rows} == expected and expected
    assert set(rows[0]) == set(fields)
