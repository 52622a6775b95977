"""Slack -> S3 through a real `sluice serve` and boto3, against the fake workspace over https.

Profiles are checked against Slack (`auth.test`); entities and fields come from the workspace;
a paged read of a conversation (threads included) survives a 429 mid-run; time filters reach Slack
as `oldest`/`latest`; a scheduled incremental flow moves each new message exactly once. Expected
records come from the fake's own state, never from Sluice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.slack.seed import ts_us
from tests.fakes.slack.server import FakeSlack
from tests.integration.builders import unique
from tests.support import flows
from tests.support.server import SluiceServer

SPEEDUP = 60.0


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(channels=4, messages_per_channel=520, users=12) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    with flows.saas_server(tmp_path_factory.mktemp("slack")) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def profile_request(name: str, fake: FakeSlack, token: str) -> dict[str, Any]:
    return {"connectorProfileName": name, "connectorType": "Slack", "connectionMode": "Public",
            "connectorProfileConfig": {
                "connectorProfileProperties": {"Slack": {"instanceUrl": fake.url}},
                "connectorProfileCredentials": {"Slack": {"clientId": fake.state.auth.client_id,
                                                          "clientSecret": fake.state.auth.client_secret,
                                                          "accessToken": token}}}}


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeSlack) -> str:
    name = unique("slack")
    appflow.create_connector_profile(**profile_request(name, fake, fake.token()))
    return name


def slack_flow(name: str, profile: str, obj: str, bucket: str, tasks: list[dict[str, Any]],
               trigger: dict[str, Any] | None = None, **source: Any) -> dict[str, Any]:
    return {
        "flowName": name,
        "triggerConfig": trigger or {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": "Slack", "connectorProfileName": profile,
                             "sourceConnectorProperties": {"Slack": {"object": obj}}, **source},
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
        "tasks": tasks,
    }


MAP_ALL = [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Slack": "NO_OP"}, "taskProperties": {}}]


def every_message(fake: FakeSlack, channel: str) -> dict[str, dict[str, Any]]:
    """Every message of a conversation, replies included, from the fake's own state."""
    ws = fake.state.workspace
    return {m["ts"]: m for top in ws.history(channel, 0, 2 ** 62) for m in ws.thread(channel, top["ts"]) or [top]}


def test_a_bad_token_is_refused_with_slacks_reason(appflow: Any, fake: FakeSlack) -> None:
    with pytest.raises(appflow.exceptions.ConnectorAuthenticationException) as refused:
        appflow.create_connector_profile(**profile_request(unique("slack-bad"), fake, "xoxb-1-2-not-a-token"))
    assert "invalid_auth" in str(refused.value)


def test_entities_and_fields_come_from_the_workspace(appflow: Any, fake: FakeSlack, profile: str) -> None:
    top = [e for group in appflow.list_connector_entities(connectorProfileName=profile)["connectorEntityMap"].values()
           for e in group]
    assert {e["name"]: e["hasNestedEntities"] for e in top} == {"conversations": True, "users": False}
    nested = [e for group in appflow.list_connector_entities(
        connectorProfileName=profile, entitiesPath="conversations")["connectorEntityMap"].values() for e in group]
    assert [e["name"] for e in nested] == [f"conversations/{c}" for c in fake.state.workspace.channel_ids()]
    assert "#general" in {e["label"] for e in nested}
    fields = {f["identifier"]: f for f in appflow.describe_connector_entity(
        connectorProfileName=profile, connectorEntityName=nested[0]["name"])["connectorEntityFields"]}
    assert fields["ts"]["isPrimaryKey"] and fields["timestamp"]["supportedFieldTypeDetails"]["v1"]["fieldType"] \
        == "datetime"
    with pytest.raises(appflow.exceptions.ValidationException) as unknown:
        appflow.create_flow(**slack_flow(unique("slack-none"), profile, "conversations/C0NOPE", unique("b"), MAP_ALL))
    assert "C0NOPE" in str(unknown.value)
    mapped = [{"taskType": "Map", "sourceFields": ["no_such_field"], "destinationField": "x",
               "connectorOperator": {"Slack": "NO_OP"}, "taskProperties": {}}]
    with pytest.raises(appflow.exceptions.ValidationException) as field:
        appflow.create_flow(**slack_flow(unique("slack-field"), profile, nested[0]["name"], unique("b"), mapped))
    assert "no_such_field" in str(field.value)


def test_a_paged_read_lands_every_message_once_through_a_429(appflow: Any, sluice: SluiceServer, fake: FakeSlack,
                                                            profile: str) -> None:
    channel = fake.state.workspace.channel_ids()[0]
    expected = every_message(fake, channel)
    before = len(fake.log.matching("conversations.history"))
    fake.state.throttle_next(1, retry_after=1, method="conversations.history", after=1)  # on the second page
    record, rows = flows.run_to_s3(appflow, sluice, slack_flow(unique("slack-all"), profile, f"conversations/{channel}",
                                                   unique("b"), MAP_ALL))
    assert record["executionStatus"] == "Successful", record
    assert Counter(r["ts"] for r in rows) == Counter({ts: 1 for ts in expected})
    assert len(fake.log.matching("conversations.history")) - before == 4  # 3 pages (520 at 200) + the refused one
    replies = [r for r in rows if r["thread_ts"] and r["thread_ts"] != r["ts"]]
    assert replies and {r["thread_ts"] for r in replies} <= set(expected)
    sample = next(r for r in rows if r["reactions"])
    assert sample["reactions"][0]["name"] and isinstance(sample["reactions"][0]["users"], list)


def test_a_time_filter_is_pushed_down_as_oldest_and_latest(appflow: Any, sluice: SluiceServer, fake: FakeSlack,
                                                           profile: str) -> None:
    channel = fake.state.workspace.channel_ids()[1]
    stamps = sorted(every_message(fake, channel), key=ts_us)
    lower, upper = ts_us(stamps[50]) // 1000 + 1, ts_us(stamps[150]) // 1000  # epoch milliseconds
    tasks = [{"taskType": "Filter", "sourceFields": ["timestamp"], "connectorOperator": {"Slack": "BETWEEN"},
              "taskProperties": {"DATA_TYPE": "datetime", "LOWER_BOUND": str(lower), "UPPER_BOUND": str(upper)}},
             *MAP_ALL]
    fake.log.clear()
    record, rows = flows.run_to_s3(appflow, sluice, slack_flow(unique("slack-push"), profile,
                                                               f"conversations/{channel}", unique("b"), tasks))
    assert record["executionStatus"] == "Successful", record
    inside = [ts for ts in stamps if lower * 1000 <= ts_us(ts) <= upper * 1000]
    assert sorted(r["ts"] for r in rows) == inside and 0 < len(inside) < len(stamps)
    query = fake.log.matching("conversations.history")[0]["query"]
    assert query["channel"] == [channel] and query["inclusive"] == ["true"]
    assert ts_us(query["latest"][0]) == upper * 1000
    assert ts_us(query["oldest"][0]) == lower * 1000 - 7 * 86400 * 1_000_000  # the thread lookback
    # Only one page of history was read: everything older than the lookback stayed in Slack.
    assert len(fake.log.matching("conversations.history")) == 1


def test_an_incremental_scheduled_flow_moves_each_new_message_once(tmp_path: Path) -> None:
    epoch = time.time()

    def virtual_now() -> float:  # the scheduler's accelerated clock, which the workspace shares
        return epoch + (time.time() - epoch) * SPEEDUP

    with FakeSlack(channels=2, messages_per_channel=30, users=6) as fake:
        fake.state.set_clock(virtual_now)
        ws = fake.state.workspace
        channel = ws.channel_ids()[0]
        with flows.saas_server(tmp_path / "data", **flows.scheduler_env(SPEEDUP, epoch)) as server:
            client = server.client()
            profile, name, bucket = unique("slack"), unique("slack-inc"), flows.new_bucket(server)
            client.create_connector_profile(**profile_request(profile, fake, fake.token()))
            first = [ws.post(channel, f"first-{n} ✨")["ts"] for n in range(3)]
            client.create_flow(**slack_flow(
                name, profile, f"conversations/{channel}", bucket, MAP_ALL,
                trigger=flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600),
                incrementalPullConfig={"datetimeTypeFieldName": "timestamp"}))
            client.start_flow(flowName=name)
            flows.wait_for(lambda: {r["ts"] for r in flows.published_rows(server, bucket)} >= set(first), 60)
            later = [ws.post(channel, "second 🚀")["ts"], ws.reply(channel, first[0], "a reply in the thread")["ts"]]
            flows.wait_for(lambda: {r["ts"] for r in flows.published_rows(server, bucket)} >= set(first + later), 60)
            time.sleep(2)  # a few more (empty) windows
            client.stop_flow(flowName=name)
            records = flows.wait_until_idle(client, name)
            counts = Counter(r["ts"] for r in flows.published_rows(server, bucket))
            assert counts == Counter({ts: 1 for ts in first + later}), counts  # no seeded message: all older
            assert {r["executionStatus"] for r in records} == {"Successful"}
            history = fake.log.matching("conversations.history")
            assert history and all("oldest" in e["query"] and "latest" in e["query"] for e in history)
