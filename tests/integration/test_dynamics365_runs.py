"""Microsoft Dynamics 365 (managed label `MicrosoftDynamics365`) -> S3 over signed boto3, against the fake environment.

The profile and flow are cdk-appflow's `ondemand-microsoftdynamics365-to-s3` stack as sent (the
`common` tenant's token URL, `instanceUrl` https://contoso.crm.dynamics.com, `entityName: accounts`,
Map_all, one JSON file), with the fake's client and tokens as the stand-in credentials;
`SLUICE_ENDPOINT_URL_MICROSOFTDYNAMICS365` moves the environment and token hosts to the fake. The fake
cuts pages at 100 rows, so every read follows `@odata.nextLink`. Expected rows come from the fake.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.dynamics365.model import ACCOUNT
from tests.fakes.dynamics365.server import FakeDynamics365
from tests.integration.builders import raises, unique
from tests.integration.cdk_appflow_stacks import Stack, stacks
from tests.support import flows, managed
from tests.support.server import SluiceServer

ACCOUNTS = 450
SPEEDUP = 60.0  # rate(1minutes) fires about once a real second
EPOCH = time.time()
CUSTOM = "CustomConnector"


def virtual_now() -> float:
    """The scheduler's accelerated clock (SLUICE_SCHEDULER_SPEEDUP / EPOCH)."""
    return EPOCH + (time.time() - EPOCH) * SPEEDUP


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDynamics365]:
    with FakeDynamics365(accounts=ACCOUNTS, contacts=50, page_cap=100) as server:
        server.state.now = virtual_now
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeDynamics365, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    # Two threads: reads are cut into createdon slices (at most 8), each paged by its own next links.
    env = {"SLUICE_ENDPOINT_URL_MICROSOFTDYNAMICS365": fake.url, "SLUICE_PARALLELISM": "2",
           **flows.scheduler_env(SPEEDUP, EPOCH)}
    with flows.saas_server(tmp_path_factory.mktemp("dynamics"), secrets=[fake.state.client_secret,
                                                                          fake.state.refresh_token], **env) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def cdk_stack(fake: FakeDynamics365, **credentials: str) -> Stack:
    """cdk-appflow's Dynamics 365 stack with the fake's client and tokens in its credentials."""
    stack = next(s for s in stacks(unique("d")) if s.name == "dynamics")
    oauth2 = stack.profiles[0]["connectorProfileConfig"]["connectorProfileCredentials"][CUSTOM]["oauth2"]
    oauth2.update({"accessToken": fake.state.access_token, "clientId": fake.state.client_id,
                   "clientSecret": fake.state.client_secret, "refreshToken": fake.state.refresh_token, **credentials})
    return stack


@pytest.fixture(scope="module")
def stack(appflow: Any, sluice: SluiceServer, fake: FakeDynamics365) -> Stack:
    created = cdk_stack(fake)
    managed.create_stack(appflow, sluice, created)
    return created


def profile_of(stack: Stack) -> str:
    return str(stack.profiles[0]["connectorProfileName"])


def account(fake: FakeDynamics365, index: int) -> dict[str, Any]:
    return fake.state.row(ACCOUNT, index)


def flow_to_parquet(name: str, profile: str, bucket: str, tasks: list[dict[str, Any]], entity: str = "accounts",
                    **extra: Any) -> dict[str, Any]:
    return {"flowName": name, "triggerConfig": extra.pop("trigger", {"triggerType": "OnDemand"}),
            "sourceFlowConfig": {"connectorType": CUSTOM, "apiVersion": "v9.2", "connectorProfileName": profile,
                                 "sourceConnectorProperties": {CUSTOM: {"entityName": entity}}, **extra},
            "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
            "tasks": tasks}


def task(field: str, operator: str, **properties: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {CUSTOM: operator},
            "taskProperties": properties}


def test_entities_and_fields_from_the_table_definitions(appflow: Any, stack: Stack) -> None:
    listed = appflow.list_connector_entities(connectorProfileName=profile_of(stack), connectorType=CUSTOM)
    entities = {e["name"]: e for group in listed["connectorEntityMap"].values() for e in group}
    assert set(entities) == {"accounts", "contacts"}  # the private table is not offered
    assert entities["accounts"]["label"] == "Account" and not entities["accounts"]["hasNestedEntities"]
    fields = appflow.describe_connector_entity(connectorProfileName=profile_of(stack), connectorType=CUSTOM,
                                               connectorEntityName="accounts")["connectorEntityFields"]
    by_name = {f["identifier"]: f for f in fields}
    assert {"accountid", "name", "revenue", "modifiedon", "_parentaccountid_value", "_ownerid_value"} <= set(by_name)
    assert "parentaccountidname" not in by_name and "entityimage" not in by_name  # helper and virtual columns
    assert by_name["accountid"]["isPrimaryKey"] is True
    assert by_name["modifiedon"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    types = {name: f["supportedFieldTypeDetails"]["v1"]["fieldType"] for name, f in by_name.items()}
    assert (types["revenue"], types["numberofemployees"], types["versionnumber"], types["modifiedon"],
            types["name"], types["_ownerid_value"], types["creditonhold"]) == (
        "Decimal", "Integer", "Long", "DateTime", "String", "String", "Boolean")
    assert by_name["name"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == ["EQUAL_TO", "NOT_EQUAL_TO"]
    assert "BETWEEN" in by_name["modifiedon"]["supportedFieldTypeDetails"]["v1"]["filterOperators"]
    assert by_name["name"]["label"] == "Account Name"


def test_an_authorization_code_is_exchanged_once(appflow: Any, fake: FakeDynamics365) -> None:
    coded = cdk_stack(fake)
    request = coded.profiles[0]
    oauth2 = request["connectorProfileConfig"]["connectorProfileCredentials"][CUSTOM]["oauth2"]
    code = {"authCode": fake.state.new_code(), "redirectUri": "https://us-east-1.console.aws.amazon.com/appflow/oauth"}
    for key in ("accessToken", "refreshToken"):
        oauth2.pop(key)
    oauth2["oAuthRequest"] = code
    appflow.create_connector_profile(**request)
    listed = appflow.list_connector_entities(connectorProfileName=profile_of(coded), connectorType=CUSTOM)
    assert {e["name"] for group in listed["connectorEntityMap"].values() for e in group} == {"accounts", "contacts"}
    request["connectorProfileName"] = unique("dyn-reused")
    with raises(appflow, "ConnectorAuthenticationException", 401, "AADSTS70008"):
        appflow.create_connector_profile(**request)  # the code was used


def test_the_cdk_flow_runs_through_an_expired_token_and_a_429(appflow: Any, sluice: SluiceServer,
                                                               fake: FakeDynamics365, stack: Stack) -> None:
    fake.state.expire_tokens()
    fake.state.throttle_next(1, retry_after=1)
    fake.log.clear()
    flow = stack.flow["flowName"]
    record = flows.start_and_wait(appflow, flow)
    assert record["executionStatus"] == "Successful", record
    rows = flows.json_lines(sluice.data_dir / "s3" / stack.buckets[0])
    assert sorted(r["accountid"] for r in rows) == sorted(account(fake, i)["accountid"] for i in range(ACCOUNTS))
    first = next(r for r in rows if r["accountid"] == account(fake, 0)["accountid"])
    assert first["name"] == account(fake, 0)["name"] and first["modifiedon"].startswith("2024-01-01")
    assert record["executionResult"]["recordsProcessed"] == ACCOUNTS
    assert fake.log.matching("/oauth2/v2.0/token")  # the expired token was renewed at the profile's tokenUrl
    assert not fake.state.faults  # the 429 was answered, and the read retried after it
    pages = fake.log.matching("/api/data/v9.2/accounts")
    assert len([p for p in pages if "$skiptoken" in p["query"]]) == ACCOUNTS // 100
    assert "odata.maxpagesize=5000" in (fake.state.prefers[-1] or "")
    # The read was planned from the earliest createdon and cut into slices read in parallel.
    assert any(p["query"].get("$orderby") == ["createdon asc"] and p["query"].get("$top") == ["1"] for p in pages)
    sliced = [p for p in pages if "createdon gt" in (p["query"].get("$filter") or [""])[0]]
    assert len(sliced) >= 2


def test_projection_and_filters_are_pushed_down(appflow: Any, sluice: SluiceServer, fake: FakeDynamics365,
                                                stack: Stack) -> None:
    bucket = flows.new_bucket(sluice)
    fake.log.clear()
    tasks = [task("name", "PROJECTION") | {"sourceFields": ["name", "revenue", "address1_city"]},
             task("revenue", "GREATER_THAN", DATA_TYPE="double", VALUE="10000000"),
             task("name", "CONTAINS", DATA_TYPE="string", VALUE="o"),
             *[{"taskType": "Map", "sourceFields": [f], "destinationField": f, "connectorOperator": {CUSTOM: "NO_OP"},
                "taskProperties": {}} for f in ("name", "revenue", "address1_city")]]
    record, rows = flows.run_to_s3(appflow, sluice, flow_to_parquet(unique("dyn-f"), profile_of(stack), bucket, tasks))
    assert record["executionStatus"] == "Successful", record
    expected = [account(fake, i) for i in range(ACCOUNTS)]
    # CONTAINS is not among the operators AWS offers on text: the engine applies it after the source.
    expected = [a for a in expected if a["revenue"] is not None and a["revenue"] > 1e7 and "o" in a["name"]]
    assert sorted(r["name"] for r in rows) == sorted(a["name"] for a in expected) and expected
    sent = [e["query"] for e in fake.log.matching("/api/data/v9.2/accounts") if "$orderby" not in e["query"]]
    assert {tuple(q["$select"]) for q in sent} == {("name,revenue,address1_city,createdon",)}
    pushed = "revenue gt 10000000"
    assert sent and all(q["$filter"][0].startswith("createdon") and q["$filter"][0].endswith(pushed) for q in sent)


def test_scheduled_incremental_pulls_each_change_once(appflow: Any, sluice: SluiceServer, fake: FakeDynamics365,
                                                      stack: Stack) -> None:
    def edit(index: int, label: str) -> None:
        fake.state.update("accounts", index, name=label)

    bucket = flows.new_bucket(sluice)
    name = unique("dyn-inc")
    for index in range(3):
        edit(index, f"first-{index}")
    fake.log.clear()
    trigger = flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600)
    appflow.create_flow(**flow_to_parquet(name, profile_of(stack), bucket, [
        {"taskType": "Map_all", "sourceFields": [], "connectorOperator": {CUSTOM: "NO_OP"}, "taskProperties": {}}],
        trigger=trigger, incrementalPullConfig={"datetimeTypeFieldName": "modifiedon"}))
    flows.edits_land_once(appflow, sluice, name, bucket, "name", edit)
    filters = [e["query"]["$filter"][0] for e in fake.log.matching("/api/data/v9.2/accounts")
               if "$filter" in e["query"]]
    assert filters and all("modifiedon gt " in f and "modifiedon le " in f for f in filters)


def test_create_connector_profile_checks_the_token_and_renews_a_refused_one(appflow: Any,
                                                                            fake: FakeDynamics365) -> None:
    stale = cdk_stack(fake, accessToken="dynamics-access-0000")  # the stack's own stand-in: not a token
    fake.log.clear()
    appflow.create_connector_profile(**stale.profiles[0])
    assert [e["path"] for e in fake.log.entries] == ["/api/data/v9.2/WhoAmI", "/common/oauth2/v2.0/token",
                                                     "/api/data/v9.2/WhoAmI"]
    fake.log.clear()
    listed = appflow.list_connector_entities(connectorProfileName=profile_of(stale), connectorType=CUSTOM)
    assert {e["name"] for group in listed["connectorEntityMap"].values() for e in group} == {"accounts", "contacts"}
    assert not fake.log.matching("/oauth2/v2.0/token")  # the renewed token was stored


def test_a_refused_refresh_token_is_refused_at_create_connector_profile(appflow: Any, fake: FakeDynamics365) -> None:
    bad = cdk_stack(fake, accessToken="not-a-token", refreshToken="revoked-refresh-token")
    with raises(appflow, "ConnectorAuthenticationException", 401, "AADSTS70000") as refused:
        appflow.create_connector_profile(**bad.profiles[0])
    assert "revoked-refresh-token" not in str(refused.value) and "not-a-token" not in str(refused.value)


def test_a_refused_token_ends_the_run_in_error_quoting_microsoft(appflow: Any, sluice: SluiceServer,
                                                                 fake: FakeDynamics365) -> None:
    revoked = cdk_stack(fake)
    (sluice.data_dir / "s3" / revoked.buckets[0]).mkdir(parents=True)
    appflow.create_connector_profile(**revoked.profiles[0])
    appflow.create_flow(**revoked.flow)
    fake.state.expire_tokens()
    refresh_token = fake.state.refresh_token
    fake.state.refresh_token = "rotated-" + refresh_token  # the profile's refresh token is no longer valid
    try:
        record = flows.start_and_wait(appflow, revoked.flow["flowName"])
        assert record["executionStatus"] == "Error", record
        message = record["executionResult"]["errorInfo"]["executionMessage"]
        assert "AADSTS70000" in message and refresh_token not in message, message
        assert [p for p in (sluice.data_dir / "s3" / revoked.buckets[0]).rglob("*") if p.is_file()] == []
        with raises(appflow, "ConnectorAuthenticationException", 401, "AADSTS70000"):
            appflow.list_connector_entities(connectorProfileName=profile_of(revoked), connectorType=CUSTOM)
    finally:
        fake.state.refresh_token = refresh_token


def test_a_dataverse_error_mid_read_leaves_no_output(appflow: Any, sluice: SluiceServer, fake: FakeDynamics365,
                                                     stack: Stack) -> None:
    bucket = flows.new_bucket(sluice)
    denied = ("Principal user (Id=3b6e5a1c-9f0d-4c2e-8a77-0000000000aa, type=8) is missing prvReadAccount "
              "privilege (Id=886b280c-6396-4d56-a0a3-2c1b0a50ceb0) on OTC=1 for entity 'account'.")
    # Two table-definition reads and two pages answer; the third page is refused.
    fake.state.fail_next(403, "0x80040220", denied, after=4)
    mapped = [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {CUSTOM: "NO_OP"},
               "taskProperties": {}}]
    record, rows = flows.run_to_s3(appflow, sluice, flow_to_parquet(unique("dyn-e"), profile_of(stack), bucket,
                                                                     copy.deepcopy(mapped)))
    assert record["executionStatus"] == "Error", record
    assert "prvReadAccount" in record["executionResult"]["errorInfo"]["executionMessage"]
    assert rows == [] and not fake.state.faults
