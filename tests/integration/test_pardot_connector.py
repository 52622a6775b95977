"""Pardot -> S3 through boto3 against the fake business unit (over https, the test CA).

A refresh token Salesforce refuses fails CreateConnectorProfile; the objects and fields (custom prospect
fields read live) come from the business unit; a flow pages through prospects with an expired token and
a forced 429 and lands every record once in Parquet, with its projection and EQUAL_TO filter pushed into
the query; a scheduled incremental flow lands each edit once. Expected rows come from the fake.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.fakes.pardot.server import FakePardot
from tests.integration.builders import raises, unique
from tests.support import flows
from tests.support.server import SluiceServer

SPEEDUP = 60.0
EPOCH = time.time()


def virtual_now() -> float:
    """The scheduler's accelerated clock (SLUICE_SCHEDULER_SPEEDUP / EPOCH)."""
    return EPOCH + (time.time() - EPOCH) * SPEEDUP


@pytest.fixture(scope="module")
def fake() -> Iterator[FakePardot]:
    with FakePardot(prospects=2300) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakePardot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    env = {"SLUICE_ENDPOINT_URL_PARDOT": fake.url, "SLUICE_SALESFORCE_LOGIN_URL": fake.url,
           "SLUICE_SALESFORCE_SANDBOX_LOGIN_URL": fake.url, **flows.scheduler_env(SPEEDUP, EPOCH)}
    with flows.saas_server(tmp_path_factory.mktemp("pardot"), secrets=[fake.state.refresh_token], **env) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def profile_request(name: str, refresh_token: str, unit: str) -> dict[str, Any]:
    return {"connectorProfileName": name, "connectorType": "Pardot", "connectionMode": "Public",
            "connectorProfileConfig": {
                "connectorProfileProperties": {"Pardot": {"businessUnitId": unit, "isSandboxEnvironment": False}},
                "connectorProfileCredentials": {"Pardot": {"accessToken": "stale", "refreshToken": refresh_token}}}}


def new_profile(appflow: Any, fake: FakePardot) -> str:
    name = unique("pd")
    appflow.create_connector_profile(**profile_request(name, fake.state.refresh_token, fake.state.business_unit_id))
    return name


def projection(*fields: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": list(fields), "connectorOperator": {"Pardot": "PROJECTION"},
            "taskProperties": {}}


def mapped(*fields: str) -> list[dict[str, Any]]:
    return [{"taskType": "Map", "sourceFields": [f], "destinationField": f,
             "connectorOperator": {"Pardot": "NO_OP"}, "taskProperties": {}} for f in fields]


def equal(field: str, value: str, data_type: str = "string") -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"Pardot": "EQUAL_TO"},
            "taskProperties": {"DATA_TYPE": data_type, "VALUE": value}}


def flow(name: str, profile: str, bucket: str, tasks: list[dict[str, Any]], entity: str = "prospects",
         trigger: dict[str, Any] | None = None, **source: Any) -> dict[str, Any]:
    return {"flowName": name, "triggerConfig": trigger or {"triggerType": "OnDemand"},
            "sourceFlowConfig": {"connectorType": "Pardot", "connectorProfileName": profile,
                                 "sourceConnectorProperties": {"Pardot": {"object": entity}}, **source},
            "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
            "tasks": tasks}


def test_a_refused_refresh_token_fails_and_the_fields_come_from_the_business_unit(
        appflow: Any, sluice: SluiceServer, fake: FakePardot) -> None:
    with raises(appflow, "ConnectorAuthenticationException", 401, "expired access/refresh token"):
        appflow.create_connector_profile(**profile_request(unique("pd-bad"), "not-a-token",
                                                           fake.state.business_unit_id))
    profile = unique("pd-code")  # an authorization code is exchanged once for tokens
    request = profile_request(profile, "", fake.state.business_unit_id)
    request["connectorProfileConfig"]["connectorProfileCredentials"]["Pardot"] = {
        "oAuthRequest": {"authCode": fake.state.auth_code, "redirectUri": "https://console.example.com/cb"}}
    appflow.create_connector_profile(**request)
    assert [e["query"]["grant_type"][0] for e in fake.log.matching("/services/oauth2/token")][-1:] == [
        "authorization_code"]
    listed = appflow.list_connector_entities(connectorProfileName=profile, connectorType="Pardot")
    names = [e["name"] for group in listed["connectorEntityMap"].values() for e in group]
    assert {"prospects", "campaigns", "lists", "list-memberships", "visitor-activities"} <= set(names)
    fields = appflow.describe_connector_entity(connectorProfileName=profile, connectorType="Pardot",
                                               connectorEntityName="prospects")["connectorEntityFields"]
    by_name = {f["identifier"]: f for f in fields}
    assert by_name["id"]["isPrimaryKey"] is True
    assert by_name["updatedAt"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert by_name["Lifetime_Value__c"]["label"] == "Lifetime Value"  # a custom field, read live
    assert by_name["Lifetime_Value__c"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "Number"
    assert by_name["email"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == ["EQUAL_TO"]
    with raises(appflow, "ValidationException", 400, "noSuchField"):
        appflow.create_flow(**flow(unique("pd-bad-field"), profile, flows.new_bucket(sluice, "pdb"),
                                   [projection("id", "noSuchField"), *mapped("id", "noSuchField")]))


def test_prospects_page_through_an_expired_token_and_a_429_landing_each_once(
        appflow: Any, sluice: SluiceServer, fake: FakePardot) -> None:
    profile, bucket, name = new_profile(appflow, fake), flows.new_bucket(sluice, "pdb"), unique("pd-all")
    columns = ("id", "email", "firstName", "campaign", "Lifetime_Value__c", "isDeleted", "updatedAt")
    appflow.create_flow(**flow(name, profile, bucket,
                               [projection(*columns), equal("isDeleted", "false", "boolean"), *mapped(*columns)]))
    fake.log.clear()
    fake.state.expire_tokens()
    fake.state.throttle_next(1, after=1, path="/api/v5/objects/prospects")
    record = flows.start_and_wait(appflow, name, timeout=120)
    assert record["executionStatus"] == "Successful", record
    expected = {r["id"]: r for r in fake.state.records("prospects") if not r["isDeleted"]}
    rows = flows.published_rows(sluice, bucket)
    assert Counter(r["id"] for r in rows) == Counter(set(expected)) and len(rows) == len(expected) > 2000
    assert record["executionResult"]["recordsProcessed"] == len(expected)
    sample = next(r for r in rows if expected[r["id"]]["campaign"] is not None)
    assert sample["campaign"] == expected[sample["id"]]["campaign"]
    assert sample["firstName"] == expected[sample["id"]]["firstName"]
    queries = fake.log.matching("/api/v5/objects/prospects")
    first = queries[0]["query"]
    assert first["deleted"] == ["false"] and first["limit"] == ["1000"] and first["orderBy"] == ["id asc"]
    assert set(first["fields"][0].split(",")) == {"id", "email", "firstName", "campaign.id", "campaign.name",
                                                  "Lifetime_Value__c", "isDeleted", "updatedAt"}
    assert [list(q["query"]) for q in queries[1:]].count(["nextPageToken"]) >= 2  # 3 pages, one retried
    assert len(queries) == 4 and fake.log.matching("/services/oauth2/token")
    schema = pq.read_schema(next((sluice.data_dir / "s3" / bucket).rglob("*.parquet")))
    assert str(schema.field("updatedAt").type).startswith("timestamp")
    assert str(schema.field("campaign").type).startswith("struct")


def test_an_equal_to_filter_on_id_is_pushed_down(appflow: Any, sluice: SluiceServer, fake: FakePardot) -> None:
    profile, bucket, name = new_profile(appflow, fake), flows.new_bucket(sluice, "pdb"), unique("pd-one")
    appflow.create_flow(**flow(name, profile, bucket, [projection("id", "name"), equal("id", "1004", "integer"),
                                                       *mapped("id", "name")], entity="campaigns"))
    fake.log.clear()
    record = flows.start_and_wait(appflow, name)
    assert record["executionStatus"] == "Successful", record
    assert [r["id"] for r in flows.published_rows(sluice, bucket)] == [1004]
    (query,) = [q["query"] for q in fake.log.matching("/api/v5/objects/campaigns")]
    assert query["idGreaterThanOrEqualTo"] == ["1004"] and query["idLessThanOrEqualTo"] == ["1004"]


def test_a_scheduled_incremental_flow_lands_each_edit_once(appflow: Any, sluice: SluiceServer,
                                                          fake: FakePardot) -> None:
    profile, name, bucket = new_profile(appflow, fake), unique("pd-inc"), flows.new_bucket(sluice, "pdb")
    ids = [r["id"] for r in fake.state.records("prospects") if not r["isDeleted"]][:4]

    def edit(index: int, label: str) -> None:  # the business unit's clock is the scheduler's
        fake.state.edit("prospects", ids[index], virtual_now(), jobTitle=label)

    for index in range(3):
        edit(index, f"first-{index}")
    columns = ("id", "jobTitle", "updatedAt")
    fake.log.clear()
    appflow.create_flow(**flow(name, profile, bucket, [projection(*columns), *mapped(*columns)],
                               trigger=flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600),
                               incrementalPullConfig={"datetimeTypeFieldName": "updatedAt"}))
    flows.edits_land_once(appflow, sluice, name, bucket, "jobTitle", edit)
    windows = [q["query"] for q in fake.log.matching("/api/v5/objects/prospects") if "updatedAtAfter" in q["query"]]
    assert windows and all("updatedAtBeforeOrEqualTo" in q for q in windows)
