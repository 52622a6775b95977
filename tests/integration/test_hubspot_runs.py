"""The HubSpot data path end to end over signed boto3: cdk-appflow's HubSpot stacks (source and S3 -> HubSpot)
against the fake HubSpot account.

One Sluice server and one fake serve the module. The server runs its scheduler 60x faster than real
time from a shared epoch, and the fake's clock runs on the same accelerated time, so a record changed
between scheduled runs carries a modified time inside the next run's window. Profiles are the cdk
stacks' own: a placeholder access token (`dummyAccessToken`) the fake refuses, beside a refresh token
the fake knows, so CreateConnectorProfile's credentials check renews each profile's token at its
tokenUrl and stores the new one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.hubspot.server import FakeHubSpot
from tests.integration.builders import raises, unique
from tests.integration.cdk_appflow_stacks import CUSTOM, Stack, stacks
from tests.support import flows
from tests.support.server import SluiceServer

RECORDS = 300
SPEEDUP = 60.0
EPOCH = time.time()


def virtual_now() -> float:
    """The scheduler's (and the fake's) accelerated clock."""
    return EPOCH + (time.time() - EPOCH) * SPEEDUP


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeHubSpot]:
    server = FakeHubSpot(records=RECORDS)
    server.state.clock = virtual_now
    with server:
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeHubSpot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    env = {"SLUICE_ENDPOINT_URL_HUBSPOT": fake.url, **flows.scheduler_env(SPEEDUP, EPOCH)}
    secrets = ("hubspot-secret", "hubspot-refresh-0000")
    with flows.saas_server(tmp_path_factory.mktemp("hubspot"), secrets=secrets, **env) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


@pytest.fixture(scope="module")
def cdk(sluice: SluiceServer, appflow: Any, fake: FakeHubSpot) -> dict[str, Stack]:
    """The two HubSpot stacks, created as CloudFormation creates them (buckets, profile, flow)."""
    created = {}
    fake.state.log.clear()
    for stack in stacks(unique("hs")):
        if stack.name not in ("hubspot", "s3-hubspot"):
            continue
        for bucket in stack.buckets:
            (sluice.data_dir / "s3" / bucket).mkdir(parents=True)
        for profile in stack.profiles:
            appflow.create_connector_profile(**profile)
        appflow.create_flow(**stack.flow)
        created[stack.name] = stack
    return created


@pytest.fixture(scope="module")
def profile(cdk: dict[str, Stack]) -> str:
    """The source stack's profile (the cdk HubSpot OAuth profile)."""
    return str(cdk["hubspot"].profiles[0]["connectorProfileName"])


def to_s3(appflow: Any, sluice: SluiceServer, profile: str, entity: str, tasks: list[dict[str, Any]],
          **source: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Create and run an on-demand HubSpot -> S3 Parquet flow; (the run's record, the rows it wrote)."""
    bucket = flows.new_bucket(sluice)
    request = {"flowName": unique("hs"), "triggerConfig": {"triggerType": "OnDemand"},
               "sourceFlowConfig": {"connectorType": CUSTOM, "apiVersion": "v3", "connectorProfileName": profile,
                                    "sourceConnectorProperties": {CUSTOM: {"entityName": entity}}, **source},
               "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
               "tasks": tasks}
    return flows.run_to_s3(appflow, sluice, request)


def projection(fields: list[str], *filters: dict[str, Any]) -> list[dict[str, Any]]:
    """A PROJECTION task, `filters`, and Map tasks for `fields`."""
    tasks = [{"taskType": "Filter", "sourceFields": fields, "connectorOperator": {CUSTOM: "PROJECTION"},
              "taskProperties": {}}, *filters]
    return tasks + [{"taskType": "Map", "sourceFields": [f], "destinationField": f,
                     "connectorOperator": {CUSTOM: "NO_OP"}, "taskProperties": {}} for f in fields]


def test_cdk_source_stack_renews_its_placeholder_token_and_reads_association_labels(
        appflow: Any, sluice: SluiceServer, fake: FakeHubSpot, cdk: dict[str, Stack]) -> None:
    # CreateConnectorProfile checked each stack's profile by reading one owner: HubSpot refused
    # dummyAccessToken, the token was renewed once, and the owner read again.
    assert len(fake.state.log.matching("/crm/v3/owners")) == 2 * 2 and fake.state.auth.refreshes == 2
    stack = cdk["hubspot"]
    refreshes = fake.state.auth.refreshes
    record = flows.start_and_wait(appflow, stack.flow["flowName"])
    assert record["executionStatus"] == "Successful", record
    rows = flows.json_lines(sluice.data_dir / "s3" / stack.buckets[0])  # the stack's S3 output is JSON
    assert sorted((r["typeId"], r["category"], r["label"]) for r in rows) == [
        (16, "HUBSPOT_DEFINED", None), (37, "USER_DEFINED", "Requester — primary")]
    assert fake.state.auth.refreshes == refreshes  # the run used the token stored at creation
    assert fake.state.log.matching("/crm/v4/associations/tickets/contacts/labels")


def test_entities_and_fields_are_sdk_shaped(appflow: Any, profile: str) -> None:
    listed = appflow.list_connector_entities(connectorProfileName=profile, connectorType=CUSTOM)
    entities = {e["name"]: e for e in listed["connectorEntityMap"]["Objects"]}
    assert {"company", "contact", "deal", "ticket", "product", "line_item", "owner"} <= set(entities)
    assert entities["contact"]["label"] == "Contact" and entities["association_label"]["hasNestedEntities"]
    nested = appflow.list_connector_entities(connectorProfileName=profile, connectorType=CUSTOM,
                                             entitiesPath="association_label")
    assert "association_label/ticket/contact" in {e["name"] for e in nested["connectorEntityMap"]["association_label"]}
    fields = {f["identifier"]: f for f in appflow.describe_connector_entity(
        connectorProfileName=profile, connectorType=CUSTOM, connectorEntityName="contact")["connectorEntityFields"]}
    modified = fields["lastmodifieddate"]
    assert modified["supportedFieldTypeDetails"]["v1"]["fieldType"] == "datetime"
    assert modified["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert modified["destinationProperties"]["isCreatable"] is False  # HubSpot sets it (readOnlyValue)
    assert fields["email"]["destinationProperties"]["isCreatable"] is True
    assert fields["lifecyclestage"]["supportedFieldTypeDetails"]["v1"]["supportedValues"][:2] == ["subscriber", "lead"]
    assert fields["id"]["isPrimaryKey"] is True


def test_full_run_lists_every_contact_with_the_projection_pushed_down(
        appflow: Any, sluice: SluiceServer, fake: FakeHubSpot, profile: str) -> None:
    fake.state.log.clear()
    columns = ["id", "email", "firstname", "city", "hs_email_optout", "date_of_birth", "lastmodifieddate"]
    record, rows = to_s3(appflow, sluice, profile, "contact", projection(columns))
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["recordsProcessed"] == RECORDS and len(rows) == RECORDS
    assert len({r["id"] for r in rows}) == RECORDS
    first = next(r for r in rows if r["id"] == "1002")
    assert first["lastmodifieddate"].year == 2024 and isinstance(first["hs_email_optout"], bool)
    assert any(r["email"] is None for r in rows) and any("ø" in (r["firstname"] or "") for r in rows)
    pages = fake.state.log.matching("/crm/v3/objects/contacts")
    assert len(pages) == 3 and all(p["query"]["limit"] == ["100"] for p in pages)
    assert set(pages[0]["query"]["properties"][0].split(",")) == set(columns) - {"id"}


def test_filters_are_pushed_into_a_search(appflow: Any, sluice: SluiceServer, fake: FakeHubSpot,
                                          profile: str) -> None:
    fake.state.bodies.clear()
    filters = [
        {"taskType": "Filter", "sourceFields": ["amount"], "connectorOperator": {CUSTOM: "GREATER_THAN"},
         "taskProperties": {"DATA_TYPE": "double", "VALUE": "100000"}},
        {"taskType": "Filter", "sourceFields": ["dealstage"], "connectorOperator": {CUSTOM: "EQUAL_TO"},
         "taskProperties": {"DATA_TYPE": "string", "VALUE": "closedwon"}},
    ]
    record, rows = to_s3(appflow, sluice, profile, "deal", projection(["id", "dealname", "amount", "dealstage"],
                                                                      *filters))
    assert record["executionStatus"] == "Successful", record
    assert rows and all(r["amount"] > 100000 and r["dealstage"] == "closedwon" for r in rows)
    [(path, body)] = fake.state.bodies
    assert path == "/crm/v3/objects/deals/search"
    assert {(f["propertyName"], f["operator"], f["value"]) for f in body["filterGroups"][0]["filters"]} == {
        ("amount", "GT", "100000"), ("dealstage", "EQ", "closedwon")}
    assert body["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]


def test_expired_token_is_refreshed_and_a_rate_limit_waited_out(
        appflow: Any, sluice: SluiceServer, fake: FakeHubSpot, profile: str) -> None:
    fake.state.expire_tokens()
    fake.state.throttle_next(2, path="/crm/v3/objects/products", retry_after=0)
    refreshes = fake.state.auth.refreshes
    fake.state.log.clear()
    record, rows = to_s3(appflow, sluice, profile, "product", projection(["id", "name", "price"]))
    assert record["executionStatus"] == "Successful", record
    assert len(rows) == RECORDS and fake.state.auth.refreshes == refreshes + 1
    assert len(fake.state.log.matching("/crm/v3/objects/products")) == 3 + 2  # three pages, two refusals


def test_a_refused_refresh_token_is_refused_at_create_connector_profile(appflow: Any, fake: FakeHubSpot) -> None:
    [stack] = [s for s in stacks(unique("bad")) if s.name == "hubspot"]
    bad = stack.profiles[0]
    bad["connectorProfileConfig"]["connectorProfileCredentials"][CUSTOM]["oauth2"]["refreshToken"] = "revoked-0000"
    with raises(appflow, "ConnectorAuthenticationException", 401, "missing or unknown refresh token") as refused:
        appflow.create_connector_profile(**bad)
    assert "revoked-0000" not in str(refused.value) and "dummyAccessToken" not in str(refused.value)
    assert not appflow.describe_connector_profiles(
        connectorProfileNames=[bad["connectorProfileName"]])["connectorProfileDetails"]


def test_credentials_revoked_after_creation_end_the_run_with_hubspots_message(
        appflow: Any, sluice: SluiceServer, fake: FakeHubSpot) -> None:
    [stack] = [s for s in stacks(unique("gone")) if s.name == "hubspot"]
    profile = stack.profiles[0]
    fake.state.auth.refresh_tokens.add("short-lived-0000")
    profile["connectorProfileConfig"]["connectorProfileCredentials"][CUSTOM]["oauth2"]["refreshToken"] = (
        "short-lived-0000")
    appflow.create_connector_profile(**profile)
    fake.state.auth.refresh_tokens.discard("short-lived-0000")  # the app was uninstalled
    fake.state.expire_tokens()
    record, rows = to_s3(appflow, sluice, profile["connectorProfileName"], "company", projection(["id", "name"]))
    assert record["executionStatus"] == "Error" and rows == []
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "missing or unknown refresh token" in message and "short-lived-0000" not in message, message


def test_a_hubspot_error_body_ends_the_run_with_its_message(appflow: Any, sluice: SluiceServer, profile: str) -> None:
    # The fake account has no postal mail object: HubSpot answers 400 VALIDATION_ERROR for its properties.
    record, rows = to_s3(appflow, sluice, profile, "postal_mail", projection(["id"]))
    assert record["executionStatus"] == "Error" and rows == []
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "VALIDATION_ERROR" in message and "Unable to infer object type from: postal_mail" in message, message


def test_scheduled_incremental_search_picks_up_each_change_once(
        appflow: Any, sluice: SluiceServer, fake: FakeHubSpot, profile: str) -> None:
    ids = ["1010", "1011", "1012", "1013"]
    for index in range(3):
        fake.state.edit("contacts", ids[index], firstname=f"first-{index}")
    fake.state.bodies.clear()
    fake.state.log.clear()
    bucket = flows.new_bucket(sluice)
    name = unique("hs-inc")
    appflow.create_flow(
        flowName=name, triggerConfig=flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600),
        sourceFlowConfig={"connectorType": CUSTOM, "apiVersion": "v3", "connectorProfileName": profile,
                          "sourceConnectorProperties": {CUSTOM: {"entityName": "contact"}},
                          "incrementalPullConfig": {"datetimeTypeFieldName": "lastmodifieddate"}},
        destinationFlowConfigList=flows.s3_parquet_destination(bucket),
        tasks=projection(["id", "firstname", "lastmodifieddate"]))
    flows.edits_land_once(appflow, sluice, name, bucket, "firstname",
                          lambda index, label: fake.state.edit("contacts", ids[index], firstname=label))
    searches = [body for path, body in fake.state.bodies if path == "/crm/v3/objects/contacts/search"]
    listed = [e for e in fake.state.log.matching("/crm/v3/objects/contacts") if e["method"] == "GET"]
    assert searches and not listed  # windows are searched, never listed whole
    for body in searches:  # every run asked only for its window, by last-modified time
        operators = {(f["propertyName"], f["operator"]) for f in body["filterGroups"][0]["filters"]}
        assert {("lastmodifieddate", "GTE"), ("lastmodifieddate", "LTE")} <= operators


def test_cdk_s3_to_hubspot_stack_writes_companies_in_batches_with_one_refusal(
        appflow: Any, sluice: SluiceServer, fake: FakeHubSpot, cdk: dict[str, Stack]) -> None:
    stack = cdk["s3-hubspot"]
    bucket = stack.buckets[0]
    tag = unique("co")
    fake.state.reject("companies", "domain", f"blocked-{tag}.example.com", "Property values were not valid: the "
                      "domain is on the block list")
    rows = [{"name": f"{tag} Société {i}", "domain": f"{tag}-{i}.example.com", "numberofemployees": 10 + i,
             "is_public": i % 2 == 0} for i in range(150)]
    rows[120]["domain"] = f"blocked-{tag}.example.com"
    (sluice.data_dir / "s3" / bucket / "hubspot").mkdir(parents=True, exist_ok=True)
    (sluice.data_dir / "s3" / bucket / "hubspot" / "companies.json").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    fake.state.bodies.clear()
    record = flows.start_and_wait(appflow, stack.flow["flowName"], timeout=120)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 1
    calls = [body for path, body in fake.state.bodies if path == "/crm/v3/objects/companies/batch/create"]
    assert [len(c["inputs"]) for c in calls] == [100, 50]
    assert all(i["objectWriteTraceId"] for c in calls for i in c["inputs"])
    landed = [r["properties"] for r in fake.state.all("companies") if str(r["properties"].get("name")).startswith(tag)]
    assert len(landed) == 149
    sample = next(p for p in landed if p["name"] == f"{tag} Société 4")
    assert sample["is_public"] == "true" and sample["numberofemployees"] == "14"
    failed = flows.error_records(sluice, bucket)
    assert [r["domain"] for r in failed] == [f"blocked-{tag}.example.com"]
    assert "block list" in json.dumps(failed)


def test_upsert_contacts_by_email_and_fail_on_first_error(appflow: Any, sluice: SluiceServer, fake: FakeHubSpot,
                                                          profile: str) -> None:
    existing = fake.state.get("contacts", "1020")
    assert existing is not None and existing["properties"]["email"]
    tag = unique("up")
    fake.state.reject("contacts", "city", f"nowhere-{tag}")
    rows = [{"email": existing["properties"]["email"], "city": f"Reykjavík {tag}"},
            {"email": f"{tag}@example.com", "city": "Lagos"},
            {"email": f"{tag}-2@example.com", "city": f"nowhere-{tag}"}]
    source, errors = flows.csv_bucket(sluice, rows), flows.new_bucket(sluice, "err")
    name = unique("hs-up")
    appflow.create_flow(
        flowName=name, triggerConfig={"triggerType": "OnDemand"}, sourceFlowConfig=flows.s3_csv_source(source),
        destinationFlowConfigList=[{"connectorType": CUSTOM, "apiVersion": "v3", "connectorProfileName": profile,
                                    "destinationConnectorProperties": {CUSTOM: {
                                        "entityName": "contact", "writeOperationType": "UPSERT",
                                        "idFieldNames": ["email"], "errorHandlingConfig": {
                                            "failOnFirstDestinationError": True, "bucketName": errors}}}}],
        tasks=flows.copy_columns(rows[0]))
    record = flows.start_and_wait(appflow, name, timeout=120)
    assert record["executionStatus"] == "Error", record
    assert "2 record(s) were written" in record["executionResult"]["errorInfo"]["executionMessage"]
    updated = fake.state.get("contacts", "1020")
    assert updated is not None and updated["properties"]["city"] == f"Reykjavík {tag}"
    created = fake.state.find("contacts", "email", f"{tag}@example.com")
    assert created is not None and created["properties"]["city"] == "Lagos"
    assert [r["email"] for r in flows.error_records(sluice, errors)] == [f"{tag}-2@example.com"]
