"""The Zendesk connector end to end: a real `sluice serve` driven by boto3, the fake Zendesk over https.

Profiles (a refused token fails with Zendesk's message), entities and fields (custom fields
included), a tickets -> S3 Parquet pull of 2.6 export pages through a 429, a filter pushed down
as the export's `start_time`, and an S3 -> Zendesk write whose rejected record lands in the error
bucket while the run ends Successful.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.zendesk.seed import iso, stamp_of
from tests.fakes.zendesk.server import FakeZendesk
from tests.integration.builders import unique
from tests.support import flows
from tests.support.server import SluiceServer

TICKETS = 2600  # 2.6 export pages of 1000


def zendesk_env(url: str) -> dict[str, str]:
    """Server environment: the fake's host is the Zendesk endpoint Sluice allows."""
    return {"SLUICE_ENDPOINT_URL_ZENDESK": url}


def profile_request(name: str, url: str, token: str) -> dict[str, Any]:
    """CreateConnectorProfile for Zendesk with an OAuth access token."""
    return {"connectorProfileName": name, "connectorType": "Zendesk", "connectionMode": "Public",
            "connectorProfileConfig": {
                "connectorProfileProperties": {"Zendesk": {"instanceUrl": url}},
                "connectorProfileCredentials": {"Zendesk": {"clientId": "sluice", "clientSecret": "sluice-secret",
                                                            "accessToken": token}}}}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeZendesk]:
    with FakeZendesk(tickets=TICKETS, users=80, organizations=12) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeZendesk, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    with flows.saas_server(tmp_path_factory.mktemp("zendesk"), **zendesk_env(fake.url)) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeZendesk) -> str:
    name = unique("zd")
    appflow.create_connector_profile(**profile_request(name, fake.url, fake.token()))
    return name


def pull(appflow: Any, sluice: SluiceServer, profile: str, obj: str, tasks: list[dict[str, Any]]) -> tuple[
        dict[str, Any], list[dict[str, Any]]]:
    """Create and run a Zendesk -> S3 Parquet flow; (its execution record, the rows landed)."""
    name, bucket = unique("zd-pull"), flows.new_bucket(sluice)
    appflow.create_flow(
        flowName=name, triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "Zendesk", "connectorProfileName": profile,
                          "sourceConnectorProperties": {"Zendesk": {"object": obj}}},
        destinationFlowConfigList=flows.s3_parquet_destination(bucket), tasks=tasks)
    record = flows.start_and_wait(appflow, name, timeout=120)
    return record, flows.published_rows(sluice, bucket)


def map_all() -> list[dict[str, Any]]:
    return [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Zendesk": "NO_OP"},
             "taskProperties": {}}]


def test_a_refused_token_is_refused_with_zendesks_message(appflow: Any, fake: FakeZendesk) -> None:
    with pytest.raises(appflow.exceptions.ConnectorAuthenticationException) as refused:
        appflow.create_connector_profile(**profile_request(unique("zd-bad"), fake.url, "not-a-token"))
    assert "expired, revoked, malformed or invalid" in str(refused.value)


def test_entities_and_fields_come_from_the_account(appflow: Any, profile: str) -> None:
    entities = appflow.list_connector_entities(connectorProfileName=profile, connectorType="Zendesk")
    names = {e["name"] for group in entities["connectorEntityMap"].values() for e in group}
    assert {"tickets", "users", "organizations", "groups", "ticket_fields", "user_fields"} <= names
    fields = {f["identifier"]: f for f in appflow.describe_connector_entity(
        connectorProfileName=profile, connectorType="Zendesk", connectorEntityName="tickets")["connectorEntityFields"]}
    assert fields["id"]["isPrimaryKey"] is True
    assert fields["updated_at"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert fields["updated_at"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == ["GREATER_THAN"]
    product = fields["custom_field_360010000002"]  # a custom "tagger" field of the account
    assert product["label"] == "Product" and product["supportedFieldTypeDetails"]["v1"]["fieldType"] == "tagger"
    assert set(fields["subject"]["destinationProperties"]["supportedWriteOperations"]) == {"INSERT", "UPDATE", "UPSERT"}
    users = {f["identifier"] for f in appflow.describe_connector_entity(
        connectorProfileName=profile, connectorType="Zendesk", connectorEntityName="users")["connectorEntityFields"]}
    assert {"user_field_plan", "user_field_signup_date", "email"} <= users


def test_tickets_land_exactly_once_through_a_429(appflow: Any, sluice: SluiceServer, fake: FakeZendesk,
                                                 profile: str) -> None:
    fake.state.log.clear()
    fake.state.throttle_next(1, retry_after=1, path="/incremental/tickets/cursor", skip=1)  # the second page
    record, rows = pull(appflow, sluice, profile, "tickets", map_all())
    assert record["executionStatus"] == "Successful", record
    # S3 output without preserveSourceDataTyping is text, as in AppFlow.
    assert sorted(int(r["id"]) for r in rows) == list(range(1, TICKETS + 1))
    pages = fake.state.log.matching("/incremental/tickets/cursor")
    assert len(pages) == 4  # three pages, the second asked twice
    assert pages[1]["query"] == pages[2]["query"] and "cursor" in pages[1]["query"]
    first = next(r for r in rows if r["id"] == "1")
    assert "channel" in json.loads(first["via"]) and isinstance(json.loads(first["tags"]), list)


def test_a_greater_than_filter_on_updated_at_is_the_exports_start_time(appflow: Any, sluice: SluiceServer,
                                                                       fake: FakeZendesk, profile: str) -> None:
    cut = stamp_of(TICKETS - 300, TICKETS)  # when ticket 2301 changed: 299 tickets changed after it
    tasks = [{"taskType": "Filter", "sourceFields": ["updated_at"], "connectorOperator": {"Zendesk": "GREATER_THAN"},
              "taskProperties": {"DATA_TYPE": "datetime", "VALUE": iso(cut)}}, *map_all()]
    fake.state.log.clear()
    record, rows = pull(appflow, sluice, profile, "tickets", tasks)
    assert record["executionStatus"] == "Successful", record
    assert sorted(int(r["id"]) for r in rows) == list(range(TICKETS - 298, TICKETS + 1))
    asked = fake.state.log.matching("/incremental/tickets/cursor")
    assert asked[0]["query"]["start_time"] == [str(cut)] and len(asked) == 1


def write_flow(sluice: SluiceServer, appflow: Any, profile: str, rows: list[dict[str, Any]], operation: str,
               id_fields: list[str] | None = None, fail_fast: bool = False) -> tuple[str, str]:
    """Put `rows` as CSV in a new bucket and create an S3 -> Zendesk tickets flow; (flow, error bucket)."""
    source, errors = flows.csv_bucket(sluice, rows), flows.new_bucket(sluice, "err")
    name = unique(f"zd-{operation.lower()}")
    destination: dict[str, Any] = {"object": "tickets", "writeOperationType": operation, "errorHandlingConfig": {
        "failOnFirstDestinationError": fail_fast, "bucketName": errors, "bucketPrefix": "zd"}}
    if id_fields:
        destination["idFieldNames"] = id_fields
    appflow.create_flow(
        flowName=name, triggerConfig={"triggerType": "OnDemand"}, sourceFlowConfig=flows.s3_csv_source(source),
        destinationFlowConfigList=[{"connectorType": "Zendesk", "connectorProfileName": profile,
                                    "destinationConnectorProperties": {"Zendesk": destination}}],
        tasks=flows.copy_columns(rows[0]))
    return name, errors


def test_s3_to_zendesk_insert_with_one_rejected_record(appflow: Any, sluice: SluiceServer, fake: FakeZendesk,
                                                        profile: str) -> None:
    tag = unique("t")
    fake.state.reject("tickets", "subject", f"REJECT {tag}", "Subject: is on the block list")
    rows = [{"subject": f"{tag} {i}", "description": f"Bonjour nº{i}", "priority": "high",
             "custom_field_360010000001": str(100 + i)} for i in range(150)]
    rows.insert(70, {"subject": f"REJECT {tag}", "description": "x", "priority": "low",
                     "custom_field_360010000001": "1"})
    name, errors = write_flow(sluice, appflow, profile, rows, "INSERT")
    record = flows.start_and_wait(appflow, name, timeout=120)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 1
    tickets = fake.state.collections["tickets"]
    landed = [tickets.changed[i] for i in tickets.created if str(tickets.changed[i]["subject"]).startswith(tag)]
    assert sorted(t["subject"] for t in landed) == sorted(f"{tag} {i}" for i in range(150))
    fifth = next(t for t in landed if t["subject"] == f"{tag} 5")
    assert {"id": 360010000001, "value": "105"} in fifth["custom_fields"]
    failed = flows.error_records(sluice, errors)
    assert [r["subject"] for r in failed] == [f"REJECT {tag}"] and "block list" in json.dumps(failed)


def test_s3_to_zendesk_upsert_by_id_updates_and_creates(appflow: Any, sluice: SluiceServer, fake: FakeZendesk,
                                                         profile: str) -> None:
    tickets = fake.state.collections["tickets"]
    open_id = next(i for i in range(1, 50) if tickets.get(i, "")["status"] != "closed")
    tag = unique("u")
    rows = [{"id": str(open_id), "subject": f"{tag} updated", "description": "d"},
            {"id": "9999999", "subject": f"{tag} created", "description": "made by upsert"}]
    name, _ = write_flow(sluice, appflow, profile, rows, "UPSERT", ["id"])
    record = flows.start_and_wait(appflow, name, timeout=120)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 0
    assert tickets.get(open_id, "")["subject"] == f"{tag} updated"
    assert [tickets.changed[i]["description"] for i in tickets.created
            if tickets.changed[i]["subject"] == f"{tag} created"] == ["made by upsert"]


def test_fail_on_first_error_stops_after_the_chunk_and_says_what_was_written(
        appflow: Any, sluice: SluiceServer, fake: FakeZendesk, profile: str) -> None:
    tag = unique("ff")
    fake.state.reject("tickets", "subject", f"REJECT {tag}")
    rows = [{"subject": f"{tag} {i}", "description": "d"} for i in range(250)]
    rows[150]["subject"] = f"REJECT {tag}"
    name, errors = write_flow(sluice, appflow, profile, rows, "INSERT", fail_fast=True)
    record = flows.start_and_wait(appflow, name, timeout=120)
    assert record["executionStatus"] == "Error"
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    tickets = fake.state.collections["tickets"]
    written = [i for i in tickets.created if str(tickets.changed[i]["subject"]).startswith(f"{tag} ")]
    # Chunks of 100: the first wrote 100, the second 99 and refused the reject, the third was not sent.
    assert len(written) == 199 and "199 record(s) were written" in message, message
    assert [r["subject"] for r in flows.error_records(sluice, errors)] == [f"REJECT {tag}"]
