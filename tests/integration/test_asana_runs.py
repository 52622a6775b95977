"""Asana (managed label) -> S3 over signed boto3 against the fake Asana (https, test CA).

The profile and flow are cdk-appflow's `ondemand-asana-to-s3` stack (custom `PAT` scheme,
`projects`, Map_all) with the fake's token; `SLUICE_ENDPOINT_URL_ASANA` points Sluice at the fake.
The catalog answers AppFlow's objects; a projection reaches Asana as `opt_fields`, and a task in two
projects lands once; an OAuth profile's expired access token is renewed at the profile's token URL
(at creation and mid-run); a 429's `Retry-After` is waited out; a refused token fails the profile,
and one revoked later ends the run `Error` quoting Asana with nothing published; a Scheduled
incremental flow of tasks moves each edit once (`modified_since`). Expected rows come from the
fake, never from Sluice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from tests.fakes.asana.server import FakeAsana
from tests.integration.builders import raises, unique
from tests.integration.cdk_appflow_stacks import CUSTOM, Stack, stacks
from tests.support import flows, managed
from tests.support.managed import map_all, projected
from tests.support.server import SluiceServer

SPEEDUP = 60.0
EPOCH = time.time()
TASKS = 420


virtual_now = managed.virtual_clock(SPEEDUP, EPOCH)
flow = partial(managed.flow_to_s3, api_version="1.0")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAsana]:
    with FakeAsana(tasks=TASKS, projects=5) as server:
        server.state.now = virtual_now
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeAsana, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    env = {"SLUICE_ENDPOINT_URL_ASANA": fake.url, **flows.scheduler_env(SPEEDUP, EPOCH)}
    with flows.saas_server(tmp_path_factory.mktemp("asana"), secrets=[fake.state.pat, fake.state.client_secret],
                           **env) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def cdk_stack(token: str) -> Stack:
    """cdk-appflow's Asana stack with `token` as its personal access token."""
    [stack] = [s for s in stacks(unique("as")) if s.name == "asana"]
    stack.profiles[0]["connectorProfileConfig"]["connectorProfileCredentials"][CUSTOM]["custom"][
        "credentialsMap"]["patToken"] = token
    return stack


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeAsana) -> str:
    stack = cdk_stack(fake.state.pat)
    appflow.create_connector_profile(**stack.profiles[0])
    return str(stack.profiles[0]["connectorProfileName"])


def test_the_cdk_stack_moves_every_project(appflow: Any, sluice: SluiceServer, fake: FakeAsana) -> None:
    stack = cdk_stack(fake.state.pat)
    managed.create_stack(appflow, sluice, stack)
    record = flows.start_and_wait(appflow, stack.flow["flowName"])
    assert record["executionStatus"] == "Successful", record
    rows = flows.json_lines(sluice.data_dir / "s3" / stack.buckets[0])
    expected = {p["gid"]: p for p in fake.state.projects}
    assert sorted(r["gid"] for r in rows) == sorted(expected)
    sample = rows[0]
    assert sample["workspace"] == expected[sample["gid"]]["workspace"]
    assert sample["name"] == expected[sample["gid"]]["name"]
    # Each workspace's projects were asked for, with every declared field as opt_fields.
    asked = fake.log.matching("/api/1.0/projects")
    assert {e["query"]["workspace"][0] for e in asked} == {w["gid"] for w in fake.state.workspaces}
    assert all("modified_at" in e["query"]["opt_fields"][0].split(",") for e in asked)


def test_objects_and_fields_as_appflow_lists_them(appflow: Any, profile: str) -> None:
    entities = appflow.list_connector_entities(connectorProfileName=profile)["connectorEntityMap"]
    labels = {e["name"]: e["label"] for group in entities.values() for e in group}
    assert labels == {"audit_log_events": "Audit Log Event", "goals": "Goal", "portfolios": "Portfolio",
                      "projects": "Project", "sections": "Section", "tags": "Tag", "tasks": "Task", "teams": "Team",
                      "users": "User", "workspaces": "Workspace"}
    fields = {f["identifier"]: f for f in appflow.describe_connector_entity(
        connectorProfileName=profile, connectorEntityName="tasks")["connectorEntityFields"]}
    modified = fields["modified_at"]
    assert modified["supportedFieldTypeDetails"]["v1"]["fieldType"] == "DateTime"
    assert modified["supportedFieldTypeDetails"]["v1"]["filterOperators"] == [
        "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN_OR_EQUAL_TO"]
    assert modified["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert fields["projects"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "List"
    assert fields["gid"]["isPrimaryKey"] is True


def test_projection_reaches_asana_and_multi_homed_tasks_land_once(appflow: Any, sluice: SluiceServer,
                                                                  fake: FakeAsana, profile: str) -> None:
    fake.log.clear()
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("as-tasks"), profile, flows.new_bucket(sluice), "tasks",
                                                         projected("gid", "name", "assignee", "modified_at")))
    assert record["executionStatus"] == "Successful", record
    assert sorted(r["gid"] for r in rows) == sorted(fake.state.task(i)["gid"] for i in range(TASKS))
    assert set(rows[0]) == {"gid", "name", "assignee", "modified_at"}
    with_assignee = next(r for r in rows if r["assignee"])
    assert with_assignee["assignee"] == fake.state.task(
        next(i for i in range(TASKS) if fake.state.task(i)["gid"] == with_assignee["gid"]))["assignee"]
    asked = fake.log.matching("/api/1.0/tasks")
    assert {e["query"]["project"][0] for e in asked} == {p["gid"] for p in fake.state.projects}
    assert all(set(e["query"]["opt_fields"][0].split(",")) == {"gid", "name", "assignee", "assignee.name",
                                                                "modified_at"}
               and e["query"]["limit"] == ["100"] for e in asked)


def test_the_audit_log_takes_the_time_range_and_event_type(appflow: Any, sluice: SluiceServer, fake: FakeAsana,
                                                           profile: str) -> None:
    events = fake.state.audit_events
    low, high = events[10]["created_at"], events[30]["created_at"]
    tasks = [*map_all(),
             {"taskType": "Filter", "sourceFields": ["created_at"], "connectorOperator": {CUSTOM: "BETWEEN"},
              "taskProperties": {"DATA_TYPE": "datetime", "LOWER_BOUND": low, "UPPER_BOUND": high}},
             {"taskType": "Filter", "sourceFields": ["event_type"], "connectorOperator": {CUSTOM: "EQUAL_TO"},
              "taskProperties": {"DATA_TYPE": "string", "VALUE": "task_deleted"}}]
    fake.log.clear()
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("as-audit"), profile, flows.new_bucket(sluice),
                                                         "audit_log_events", tasks))
    assert record["executionStatus"] == "Successful", record
    expected = [e for e in events if low <= e["created_at"] <= high and e["event_type"] == "task_deleted"]
    assert sorted(r["gid"] for r in rows) == sorted(e["gid"] for e in expected) and expected
    assert rows[0]["actor_type"] == rows[0]["actor"]["actor_type"]
    [asked] = fake.log.matching("/audit_log_events")  # the organization only; one page
    assert asked["path"].endswith(f"/workspaces/{fake.state.workspaces[0]['gid']}/audit_log_events")
    assert asked["query"]["event_type"] == ["task_deleted"] and "opt_fields" not in asked["query"]
    assert asked["query"]["start_at"] == [low] and asked["query"]["end_at"][0] > high


def test_an_expired_oauth_token_is_renewed(appflow: Any, sluice: SluiceServer, fake: FakeAsana) -> None:
    access, refresh = fake.state.issue(expires_in=0)
    name = unique("as-oauth")
    appflow.create_connector_profile(**managed.oauth_profile(
        name, "Asana", "https://app.asana.com/-/oauth_token",
        {"accessToken": access, "refreshToken": refresh, "clientId": fake.state.client_id,
         "clientSecret": fake.state.client_secret}))
    assert len(fake.log.matching("/-/oauth_token")) == 1  # renewed while the profile was checked
    fake.state.expire_tokens()
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("as-oauth"), name, flows.new_bucket(sluice), "users",
                                                         map_all()))
    assert record["executionStatus"] == "Successful", record
    assert len(fake.log.matching("/-/oauth_token")) == 2
    assert sorted(r["gid"] for r in rows) == sorted(u["gid"] for u in fake.state.users)


def test_retry_after_is_waited_out(appflow: Any, sluice: SluiceServer, fake: FakeAsana, profile: str) -> None:
    fake.log.clear()
    fake.state.throttle_next(1, path="/api/1.0/tags", retry_after=1)
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("as-tags"), profile, flows.new_bucket(sluice), "tags",
                                                         map_all()))
    assert record["executionStatus"] == "Successful", record
    assert sorted(r["gid"] for r in rows) == sorted(t["gid"] for t in fake.state.tags)
    assert len(fake.log.matching("/api/1.0/tags")) == len(fake.state.workspaces) + 1


def test_a_run_failing_midway_publishes_nothing(appflow: Any, sluice: SluiceServer, fake: FakeAsana,
                                               profile: str) -> None:
    """The first page of tasks is read, then Asana refuses every attempt at the next as over its limit."""
    fake.state.throttle_next(5, after=1, path="/api/1.0/tasks", retry_after=0)
    bucket = flows.new_bucket(sluice)
    record, rows = flows.run_to_s3(appflow, sluice, flow(unique("as-midway"), profile, bucket, "tasks", map_all()))
    assert record["executionStatus"] == "Error", record
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "You have made too many requests recently" in message, message
    assert rows == [] and not [p for p in (sluice.data_dir / "s3" / bucket).rglob("*") if p.is_file()]


def test_refused_tokens(appflow: Any, sluice: SluiceServer, fake: FakeAsana) -> None:
    with raises(appflow, "ConnectorAuthenticationException", 401, "Not Authorized"):
        appflow.create_connector_profile(**cdk_stack("2/0/not-a-token").profiles[0])
    stack = cdk_stack(fake.state.pat)
    appflow.create_connector_profile(**stack.profiles[0])
    bucket, name = flows.new_bucket(sluice), unique("as-revoked")
    appflow.create_flow(**flow(name, stack.profiles[0]["connectorProfileName"], bucket, "workspaces", map_all()))
    fake.state.pats.clear()
    try:
        record = flows.start_and_wait(appflow, name)
    finally:
        fake.state.pats.add(fake.state.pat)
    assert record["executionStatus"] == "Error"
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "Not Authorized" in message and fake.state.pat not in message, message
    assert flows.published_rows(sluice, bucket) == []


def test_scheduled_incremental_tasks_move_each_edit_once(appflow: Any, sluice: SluiceServer, fake: FakeAsana,
                                                         profile: str) -> None:
    def edit(index: int, label: str) -> None:
        fake.state.edit_task(index * 7 + 3, name=label)

    for index in range(3):
        edit(index, f"first-{index}")
    name, bucket = unique("as-inc"), flows.new_bucket(sluice)
    fake.log.clear()
    appflow.create_flow(**flow(
        name, profile, bucket, "tasks", map_all(),
        trigger=flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600),
        incrementalPullConfig={"datetimeTypeFieldName": "modified_at"}))
    flows.edits_land_once(appflow, sluice, name, bucket, "name", edit)
    since = [e["query"].get("modified_since", [""])[0] for e in fake.log.matching("/api/1.0/tasks")]
    assert since and all(s >= "2024-02" for s in since)  # every run asked for changes since its window only
