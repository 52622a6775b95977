"""Marketo end to end: a real `sluice serve` driven by boto3, the fake Marketo over https.

A bad client secret is refused; entities and lead fields come from the fake; CreateFlow refuses a field
leads do not have; an activities flow reads four pages (paging tokens from a pushed-down lower bound) through
a forced HTTP 429 and lands every activity exactly once in S3 Parquet; a Filter on
programs' updatedAt reaches the fake as earliestUpdatedAt/latestUpdatedAt; an S3 -> Marketo leads flow
with one lead the fake rejects ends Successful with putFailuresCount 1 and the record in the error
bucket; a Scheduled incremental leads flow (bulk extract on updatedAt) picks up each change once.

The scheduler runs 3600x faster than real time (an hourly schedule fires about once a real second),
and the fake stamps changes on that clock, as Marketo's clock and AppFlow's schedule share real time.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.marketo.server import FakeMarketo
from tests.integration.builders import unique
from tests.support import flows
from tests.support.server import SluiceServer

SPEEDUP = 3600.0
EPOCH = time.time()


def virtual_now() -> float:
    return EPOCH + (time.time() - EPOCH) * SPEEDUP


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeMarketo]:
    # The fake's own 100-calls-per-20-s limit is left out: an hourly schedule at 3600x makes a real
    # second hold an hour of calls. Throttling here is forced where a test wants it.
    server = FakeMarketo(leads=300, rate_limit=None)
    server.state.clock = lambda: dt.datetime.fromtimestamp(virtual_now(), dt.UTC)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def sluice(fake: FakeMarketo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    with flows.saas_server(tmp_path_factory.mktemp("marketo"), secrets=["sluice-secret"],
                     **flows.scheduler_env(SPEEDUP, EPOCH)) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def profile_request(name: str, url: str, secret: str = "sluice-secret") -> dict[str, Any]:
    return {"connectorProfileName": name, "connectorType": "Marketo", "connectionMode": "Public",
            "connectorProfileConfig": {
                "connectorProfileProperties": {"Marketo": {"instanceUrl": url}},
                "connectorProfileCredentials": {"Marketo": {"clientId": "sluice-client", "clientSecret": secret}}}}


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeMarketo) -> str:
    name = unique("mkto")
    appflow.create_connector_profile(**profile_request(name, fake.url))
    return name


def to_s3(name: str, profile: str, entity: str, out: str, tasks: list[dict[str, Any]],
          trigger: dict[str, Any] | None = None, incremental: str | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {"connectorType": "Marketo", "connectorProfileName": profile,
                              "sourceConnectorProperties": {"Marketo": {"object": entity}}}
    if incremental:
        source["incrementalPullConfig"] = {"datetimeTypeFieldName": incremental}
    return {"flowName": name, "triggerConfig": trigger or {"triggerType": "OnDemand"}, "sourceFlowConfig": source,
            "destinationFlowConfigList": flows.s3_parquet_destination(out),
            "tasks": tasks}


MAP_ALL = [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Marketo": "NO_OP"},
            "taskProperties": {}}]


def test_a_bad_client_secret_is_refused_with_marketos_message(appflow: Any, fake: FakeMarketo) -> None:
    with pytest.raises(appflow.exceptions.ConnectorAuthenticationException) as refused:
        appflow.create_connector_profile(**profile_request(unique("bad"), fake.url, secret="wrong-secret"))
    message = str(refused.value)
    assert "Bad client credentials" in message and "wrong-secret" not in message


def test_entities_and_fields_are_listed(appflow: Any, profile: str) -> None:
    entities = appflow.list_connector_entities(connectorProfileName=profile)["connectorEntityMap"]
    names = {e["name"] for group in entities.values() for e in group}
    assert names == {"leads", "activities", "programs", "campaigns"}
    described = appflow.describe_connector_entity(connectorEntityName="leads", connectorProfileName=profile)
    fields = {f["identifier"]: f for f in described["connectorEntityFields"]}
    assert fields["id"]["isPrimaryKey"] and "customerTier" in fields
    assert fields["updatedAt"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"]


def test_create_flow_checks_task_fields_against_the_lead_fields(sluice: SluiceServer, appflow: Any,
                                                               profile: str) -> None:
    tasks = [{"taskType": "Filter", "sourceFields": ["email", "shoeSize"],
              "connectorOperator": {"Marketo": "PROJECTION"}, "taskProperties": {}}, *MAP_ALL]
    with pytest.raises(appflow.exceptions.ValidationException, match="shoeSize"):
        appflow.create_flow(**to_s3(unique("bad"), profile, "leads", flows.new_bucket(sluice), tasks))


def test_activities_land_once_each_through_a_429_mid_run(sluice: SluiceServer, appflow: Any, fake: FakeMarketo,
                                                         profile: str) -> None:
    out, name = flows.new_bucket(sluice), unique("acts")
    # A lower bound on activityDate makes the read page with paging tokens (the whole history would be
    # a bulk extract); this one starts before the first activity.
    since = int((fake.state.epoch - dt.timedelta(days=1)).timestamp() * 1000)
    tasks = [{"taskType": "Filter", "sourceFields": ["activityDate"], "connectorOperator": {"Marketo": "GREATER_THAN"},
              "taskProperties": {"DATA_TYPE": "datetime", "VALUE": str(since)}}, *MAP_ALL]
    appflow.create_flow(**to_s3(name, profile, "activities", out, tasks))
    fake.state.log.clear()
    fake.state.throttle_next(1, style="429", retry_after=1, path="/rest/v1/activities.json", after=1)
    record = flows.start_and_wait(appflow, name)
    assert record["executionStatus"] == "Successful", record
    ids = Counter(r["marketoGUID"] for r in flows.published_rows(sluice, out, ["marketoGUID"]))
    assert set(ids.values()) == {1}
    assert sorted(int(i) for i in ids) == list(range(1, fake.state.activity_count() + 1))
    pages = fake.state.log.matching("/rest/v1/activities.json")
    # Four pages of at most 300 (900 seeded activities, and what the writes below may add), the
    # second asked twice because of the 429.
    assert len(pages) >= 4 and pages[1]["query"] == pages[2]["query"]
    (token,) = fake.state.log.matching("pagingtoken.json")
    assert token["query"]["sinceDatetime"] == [(fake.state.epoch - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert record["executionResult"]["recordsProcessed"] == sum(ids.values())


def test_a_program_filter_is_pushed_down(sluice: SluiceServer, appflow: Any, fake: FakeMarketo,
                                         profile: str) -> None:
    low = fake.state.epoch + dt.timedelta(days=30)
    high = fake.state.epoch + dt.timedelta(days=90)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    out, name = flows.new_bucket(sluice), unique("progs")
    tasks = [{"taskType": "Filter", "sourceFields": ["id", "name", "updatedAt"],
              "connectorOperator": {"Marketo": "PROJECTION"}, "taskProperties": {}},
             {"taskType": "Filter", "sourceFields": ["updatedAt"], "connectorOperator": {"Marketo": "BETWEEN"},
              "taskProperties": {"DATA_TYPE": "datetime", "LOWER_BOUND": str(int(low.timestamp() * 1000)),
                                 "UPPER_BOUND": str(int(high.timestamp() * 1000))}},
             *[{"taskType": "Map", "sourceFields": [f], "destinationField": f,
                "connectorOperator": {"Marketo": "NO_OP"}, "taskProperties": {}} for f in ("id", "name", "updatedAt")]]
    appflow.create_flow(**to_s3(name, profile, "programs", out, tasks))
    fake.state.log.clear()
    record = flows.start_and_wait(appflow, name)
    assert record["executionStatus"] == "Successful", record
    (call,) = fake.state.log.matching("programs.json")
    assert call["query"]["earliestUpdatedAt"] == [low.strftime(stamp)]
    assert call["query"]["latestUpdatedAt"] == [high.strftime(stamp)]
    landed = flows.published_rows(sluice, out, ["id", "updatedAt"])
    expected = [p["id"] for p in fake.state.programs()
                if low.strftime(stamp) <= p["updatedAt"][:20] <= high.strftime(stamp)]
    assert sorted(int(r["id"]) for r in landed) == expected and 0 < len(expected) < 45


def test_an_s3_to_marketo_write_reports_the_rejected_lead(sluice: SluiceServer, appflow: Any, fake: FakeMarketo,
                                                          profile: str) -> None:
    tag = unique("w").lower()
    leads = [{"email": f"{tag}-{i}@example.org", "firstName": f"Zoë {i}", "company": "Ünïcode Ltd"}
             for i in range(5)]
    rejected = f"{tag}-3@example.org"
    fake.state.reject(email=rejected, code="1003", message="Lead is blocked by a test")
    source, errors, name = flows.csv_bucket(sluice, leads, "b", "leads.csv"), flows.new_bucket(sluice), unique("write")
    appflow.create_flow(
        flowName=name, triggerConfig={"triggerType": "OnDemand"}, sourceFlowConfig=flows.s3_csv_source(source),
        destinationFlowConfigList=[{"connectorType": "Marketo", "connectorProfileName": profile,
                                    "destinationConnectorProperties": {"Marketo": {
                                        "object": "leads", "errorHandlingConfig": {
                                            "failOnFirstDestinationError": False, "bucketName": errors,
                                            "bucketPrefix": "mkto"}}}}],
        tasks=flows.copy_columns(leads[0]))
    record = flows.start_and_wait(appflow, name)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 1
    for lead in leads:
        found = fake.state.find("email", lead["email"])
        assert (found == []) == (lead["email"] == rejected)
        if found:
            assert found[0]["firstName"] == lead["firstName"]
    failed = flows.error_records(sluice, errors)
    assert [r["email"] for r in failed] == [rejected]
    assert "Lead is blocked by a test" in json.dumps(failed, ensure_ascii=False)


def test_scheduled_incremental_lead_pulls_pick_up_each_change_once(sluice: SluiceServer, appflow: Any,
                                                                    fake: FakeMarketo, profile: str) -> None:
    out, name = flows.new_bucket(sluice), unique("inc")
    first_from = virtual_now() - 3600
    fake.state.update_lead(11, title="first-11")
    fake.state.update_lead(12, title="first-12")
    hourly = flows.incremental_schedule(virtual_now() + SPEEDUP, first_from, "rate(1hours)")
    appflow.create_flow(**to_s3(name, profile, "leads", out, MAP_ALL, incremental="updatedAt", trigger=hourly))
    appflow.start_flow(flowName=name)  # activates the schedule

    def titles() -> list[str]:
        return [r["title"] for r in flows.published_rows(sluice, out, ["title"]) if r["title"]]

    try:
        flows.wait_for(lambda: {"first-11", "first-12"} <= set(titles()), 30)
        fake.state.update_lead(11, title="second-11")
        created = fake.state.add_leads([{"email": "late@example.org", "title": "second-new"}])[0]
        flows.wait_for(lambda: {"second-11", "second-new"} <= set(titles()), 30)
        time.sleep(2)  # a few more (empty) hourly windows
    finally:
        appflow.stop_flow(flowName=name)
    records = flows.wait_until_idle(appflow, name, 30)
    assert Counter(titles()) == Counter({"first-11": 1, "first-12": 1, "second-11": 1, "second-new": 1})
    assert {r["executionStatus"] for r in records} == {"Successful"}
    # Every lead changed since firstExecutionFrom landed (those the write test made too), lead 11 once
    # per change.
    landed = Counter(int(r["id"]) for r in flows.published_rows(sluice, out, ["id"]))
    changed = {r["id"] for r in fake.state.leads()
               if dt.datetime.fromisoformat(r["updatedAt"].replace("Z", "+00:00")).timestamp() > first_from}
    assert set(landed) == changed and {11, 12, created["id"]} <= changed
    assert landed[11] == 2 and all(n == 1 for i, n in landed.items() if i != 11)
    # Each run asked Marketo for leads updated in its own window only.
    jobs = [j for j in fake.state.exports.values() if list(j.filter) == ["updatedAt"]]
    assert len(jobs) >= 3

