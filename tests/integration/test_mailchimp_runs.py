"""Mailchimp (managed label) -> S3 over signed boto3 against the fake Mailchimp (https, test CA).

The profile and flow are cdk-appflow's `ondemand-mailchimp-to-s3` stack (custom `api_key` scheme,
`instanceUrl`, `campaigns`, Map_all) pointed at the fake; the catalog answers AppFlow's objects;
a projection and filters reach Mailchimp as `fields=` / `status=`; 429s are retried; a refused key
fails the profile, and a key revoked later ends the run `Error` quoting Mailchimp with nothing
published; a bearer-token profile reads too; a Scheduled incremental flow of list members moves
each edit once (`since_last_changed`). Expected rows come from the fake, never from Sluice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from tests.fakes.mailchimp.server import FakeMailchimp
from tests.integration.builders import raises, unique
from tests.integration.cdk_appflow_stacks import CUSTOM, Stack, stacks
from tests.support import flows, managed
from tests.support.managed import map_all, projected
from tests.support.server import SluiceServer

SPEEDUP = 60.0
EPOCH = time.time()


virtual_now = managed.virtual_clock(SPEEDUP, EPOCH)
flow = partial(managed.flow_to_s3, api_version="3.0")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeMailchimp]:
    with FakeMailchimp(members=600, campaigns=40) as server:
        server.state.now = virtual_now
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeMailchimp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    with flows.saas_server(tmp_path_factory.mktemp("mailchimp"), secrets=[fake.state.api_key],
                           **flows.scheduler_env(SPEEDUP, EPOCH)) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def cdk_stack(fake: FakeMailchimp, api_key: str | None = None) -> Stack:
    """cdk-appflow's Mailchimp stack with the fake's URL and key in place of the account's."""
    [stack] = [s for s in stacks(unique("mc")) if s.name == "mailchimp"]
    config = stack.profiles[0]["connectorProfileConfig"]
    config["connectorProfileProperties"][CUSTOM]["profileProperties"]["instanceUrl"] = fake.url
    config["connectorProfileCredentials"][CUSTOM]["custom"]["credentialsMap"]["api_key"] = api_key or fake.state.api_key
    return stack


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeMailchimp) -> str:
    stack = cdk_stack(fake)
    appflow.create_connector_profile(**stack.profiles[0])
    return str(stack.profiles[0]["connectorProfileName"])


def test_the_cdk_stack_moves_every_campaign(appflow: Any, sluice: SluiceServer, fake: FakeMailchimp) -> None:
    stack = cdk_stack(fake)
    managed.create_stack(appflow, sluice, stack)
    record = flows.start_and_wait(appflow, stack.flow["flowName"])
    assert record["executionStatus"] == "Successful", record
    rows = flows.json_lines(sluice.data_dir / "s3" / stack.buckets[0])
    expected = {c["id"]: c for c in fake.state.campaigns}
    assert sorted(r["id"] for r in rows) == sorted(expected)
    assert record["executionResult"]["recordsProcessed"] == len(expected)
    sample = next(r for r in rows if expected[r["id"]]["status"] == "sent")
    assert sample["recipients"]["list_id"] == expected[sample["id"]]["recipients"]["list_id"]
    assert "¡Hola!" in sample["settings"]


def test_objects_and_fields_as_appflow_lists_them(appflow: Any, profile: str) -> None:
    entities = appflow.list_connector_entities(connectorProfileName=profile)["connectorEntityMap"]
    labels = {e["name"]: e["label"] for group in entities.values() for e in group}
    assert {labels[n] for n in ("abuse-reports", "automations", "campaigns", "click-details", "lists",
                                "open-details", "segments", "segment-members", "stores", "unsubscribed")} == {
        "Abuse Report", "Automation", "Campaign", "Click Detail", "List", "Open Detail", "Segment",
        "Segment Member", "Store", "Unsubscribed"}
    fields = {f["identifier"]: f for f in appflow.describe_connector_entity(
        connectorProfileName=profile, connectorEntityName="campaigns")["connectorEntityFields"]}
    created = fields["create_time"]
    assert created["supportedFieldTypeDetails"]["v1"]["fieldType"] == "DateTime"
    assert created["supportedFieldTypeDetails"]["v1"]["filterOperators"] == ["LESS_THAN", "GREATER_THAN"]
    assert created["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert fields["status"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == ["EQUAL_TO"]
    assert fields["recipients"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "Struct"


def test_projection_and_filters_reach_mailchimp(appflow: Any, sluice: SluiceServer, fake: FakeMailchimp,
                                                profile: str) -> None:
    bucket = flows.new_bucket(sluice)
    name = unique("mc-members")
    tasks = [*projected("id", "email_address", "status", "location"),
             {"taskType": "Filter", "sourceFields": ["status"], "connectorOperator": {CUSTOM: "EQUAL_TO"},
              "taskProperties": {"DATA_TYPE": "string", "VALUE": "subscribed"}}]
    fake.log.clear()
    record, rows = flows.run_to_s3(appflow, sluice, flow(name, profile, bucket, "members", tasks))
    assert record["executionStatus"] == "Successful", record
    expected = [m for list_id in fake.state.list_ids for m in fake.state.members(list_id)
                if m["status"] == "subscribed"]
    assert sorted(r["id"] for r in rows) == sorted(m["id"] for m in expected)
    assert set(rows[0]) == {"id", "email_address", "status", "location"}
    assert isinstance(rows[0]["location"], dict) and "country_code" in rows[0]["location"]
    asked = fake.log.matching("/members")
    assert asked and all(e["query"]["status"] == ["subscribed"] and e["query"]["count"] == ["1000"] for e in asked)
    assert set(asked[0]["query"]["fields"][0].split(",")) == {
        "members.id", "members.email_address", "members.status", "members.location", "total_items"}
    # The lists were listed for their ids only.
    assert all(e["query"]["fields"] == ["lists.id,total_items"] for e in fake.log.matching("/lists")
               if not e["path"].endswith("/members"))


def test_campaigns_of_one_list_by_appflows_list_id_field(appflow: Any, sluice: SluiceServer, fake: FakeMailchimp,
                                                         profile: str) -> None:
    list_id = fake.state.list_ids[2]
    tasks = [*projected("id", "list_id", "recipients"),
             {"taskType": "Filter", "sourceFields": ["list_id"], "connectorOperator": {CUSTOM: "EQUAL_TO"},
              "taskProperties": {"DATA_TYPE": "string", "VALUE": list_id}}]
    fake.log.clear()
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("mc-list"), profile, flows.new_bucket(sluice),
                                                         "campaigns", tasks))
    assert record["executionStatus"] == "Successful", record
    expected = [c["id"] for c in fake.state.campaigns if c["recipients"]["list_id"] == list_id]
    assert sorted(r["id"] for r in rows) == sorted(expected) and expected
    assert {r["list_id"] for r in rows} == {list_id} and all(r["recipients"]["list_id"] == list_id for r in rows)
    [asked] = fake.log.matching("/campaigns")
    assert asked["query"]["list_id"] == [list_id]


def test_too_many_connections_are_retried(appflow: Any, sluice: SluiceServer, fake: FakeMailchimp,
                                          profile: str) -> None:
    fake.log.clear()
    fake.state.throttle_next(2, path="/3.0/automations")
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("mc-auto"), profile, flows.new_bucket(sluice),
                                                         "automations", map_all()))
    assert record["executionStatus"] == "Successful", record
    assert sorted(r["id"] for r in rows) == sorted(a["id"] for a in fake.state.automations)
    assert len(fake.log.matching("/automations")) == 3


def test_a_run_failing_midway_publishes_nothing(appflow: Any, sluice: SluiceServer, fake: FakeMailchimp,
                                               profile: str) -> None:
    """Two lists' members are read, then the third list stays over the limit through every attempt."""
    fake.state.throttle_next(5, after=2, path="/3.0/lists/")
    bucket = flows.new_bucket(sluice)
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("mc-midway"), profile, bucket, "members", map_all()))
    assert record["executionStatus"] == "Error", record
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "Too Many Requests" in message and "You have exceeded the limit of 10 simultaneous connections" in message
    assert rows == [] and not [p for p in (sluice.data_dir / "s3" / bucket).rglob("*") if p.is_file()]


def test_refused_keys(appflow: Any, sluice: SluiceServer, fake: FakeMailchimp) -> None:
    with raises(appflow, "ConnectorAuthenticationException", 401, "API Key Invalid"):
        appflow.create_connector_profile(**cdk_stack(fake, api_key="0000000000-us21").profiles[0])
    stack = cdk_stack(fake)
    appflow.create_connector_profile(**stack.profiles[0])
    bucket = flows.new_bucket(sluice)
    name = unique("mc-revoked")
    appflow.create_flow(**flow(name, stack.profiles[0]["connectorProfileName"], bucket, "lists", map_all()))
    kept, fake.state.api_key = fake.state.api_key, "revoked-us21"
    try:
        record = flows.start_and_wait(appflow, name)
    finally:
        fake.state.api_key = kept
    assert record["executionStatus"] == "Error"
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "API Key Invalid" in message and "Your API key may be invalid" in message, message
    assert kept not in message
    assert flows.published_rows(sluice, bucket) == []


def test_an_oauth_profile_reads_with_its_bearer_token(appflow: Any, sluice: SluiceServer, fake: FakeMailchimp) -> None:
    name = unique("mc-oauth")
    appflow.create_connector_profile(**managed.oauth_profile(
        name, "Mailchimp", "https://login.mailchimp.com/oauth2/token",
        {"accessToken": fake.state.issue_token(), "clientId": "mc-client", "clientSecret": "mc-secret"},
        profileProperties={"instanceUrl": fake.url}))
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("mc-oauth"), name, flows.new_bucket(sluice), "segments",
                                                         map_all()))
    assert record["executionStatus"] == "Successful", record
    assert sorted(r["id"] for r in rows) == sorted(s["id"] for group in fake.state.segments.values() for s in group)


def test_scheduled_incremental_members_move_each_edit_once(appflow: Any, sluice: SluiceServer, fake: FakeMailchimp,
                                                           profile: str) -> None:
    list_id = fake.state.list_ids[1]

    def edit(index: int, label: str) -> None:
        fake.state.edit_member(list_id, index, full_name=label)

    for index in range(3):
        edit(index, f"first-{index}")
    name, bucket = unique("mc-inc"), flows.new_bucket(sluice)
    fake.log.clear()
    appflow.create_flow(**flow(
        name, profile, bucket, "members", map_all(),
        trigger=flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600),
        incrementalPullConfig={"datetimeTypeFieldName": "last_changed"}))
    flows.edits_land_once(appflow, sluice, name, bucket, "full_name", edit)
    since = [e["query"]["since_last_changed"][0] for e in fake.log.matching("/members")]
    assert since and all(s >= "2024-02" for s in since)  # every run asked for changes since its window only
