"""The Slack connector against the fake workspace: catalog, messages with threads, time push-down,
incremental windows, Slack's error bodies and 429s, token rotation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.slack.connector import CONNECTOR
from sluice.connectors.slack.messages import slack_ts
from tests.fakes.slack.seed import ts_us
from tests.fakes.slack.server import FakeSlack
from tests.support.tls import tls_env


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    for key, value in tls_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")
    monkeypatch.setenv("SLUICE_REST_BACKOFF_BASE", "0")
    with FakeSlack(channels=4, messages_per_channel=450, users=8) as server:
        yield server


def view(fake: FakeSlack, token: str | None = None, **credentials: Any) -> tuple[ProfileView, list[Any]]:
    saved: list[Any] = []
    creds = {"clientId": fake.state.auth.client_id, "clientSecret": fake.state.auth.client_secret,
             "accessToken": token or fake.token(), **credentials}
    return ProfileView(name="p", connector_type="Slack", properties={"instanceUrl": fake.url},
                       credentials=creds, save_credentials=saved.append), saved


def run(**window: Any) -> RunContext:
    return RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/tmp",
                      batch_size=1000, **window)


def channel_of(fake: FakeSlack) -> str:
    return fake.state.workspace.channel_ids()[0]


def every_message(fake: FakeSlack, channel: str) -> dict[str, dict[str, Any]]:
    """All messages of a conversation, replies included, straight from the fake's state."""
    ws = fake.state.workspace
    found = {}
    for msg in ws.history(channel, 0, 2 ** 62):
        for item in ws.thread(channel, msg["ts"]) or [msg]:
            found[item["ts"]] = item
    return found


def read(fake: FakeSlack, obj: str, ctx: RunContext | None = None, profile: ProfileView | None = None) -> list[Any]:
    source = CONNECTOR.open_source(profile or view(fake)[0], {"object": obj}, ctx or run())
    return [row for batch in source.read() for row in batch.to_pylist()]


def test_catalog_lists_conversations_as_nested_entities(fake: FakeSlack) -> None:
    meta = CONNECTOR.metadata()
    profile, _ = view(fake)
    top = meta.list_entities(profile, None, None, None).entities
    assert [(e["name"], e["hasNestedEntities"]) for e in top] == [("conversations", True), ("users", False)]
    children = meta.list_entities(profile, "conversations", None, None).entities
    ws = fake.state.workspace
    assert [e["name"] for e in children] == [f"conversations/{c}" for c in ws.channel_ids()]
    general = next(e for e in children if e["label"] == "#general")
    assert general["hasNestedEntities"] is False
    fields = {f["identifier"]: f for f in meta.describe_entity(profile, children[0]["name"])}
    assert fields["ts"]["isPrimaryKey"] is True
    assert fields["timestamp"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert set(fields["timestamp"]["supportedFieldTypeDetails"]["v1"]["filterOperators"]) == {
        "LESS_THAN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO", "BETWEEN"}
    with pytest.raises(ConnectorError) as missing:
        meta.describe_entity(profile, "conversations/C0NOPE")
    assert missing.value.code == "ResourceNotFound" and "C0NOPE" in missing.value.message


def test_listing_follows_the_token_scopes(fake: FakeSlack) -> None:
    token = fake.token(scopes=("channels:read", "channels:history"))
    children = CONNECTOR.metadata().list_entities(view(fake, token)[0], "conversations", None, None).entities
    public = [c.id for c in fake.state.workspace.conversations.values()
              if not c.info.get("is_private") and not c.info.get("is_im")]
    assert [e["name"] for e in children] == [f"conversations/{c}" for c in public]
    assert fake.log.matching("conversations.list")[-1]["query"]["types"] == ["public_channel"]


def test_messages_with_threads_are_read_once_each_through_a_429(fake: FakeSlack) -> None:
    channel = channel_of(fake)
    fake.state.throttle_next(1, retry_after=0, method="conversations.history")
    rows = read(fake, f"conversations/{channel}")
    expected = every_message(fake, channel)
    assert sorted(r["ts"] for r in rows) == sorted(expected) and len(rows) > 450
    assert fake.state.limits.throttled == 1
    assert len(fake.log.matching("conversations.history")) == 4  # 3 pages of 200 + the refused call
    replies = [r for r in rows if r["thread_ts"] and r["thread_ts"] != r["ts"]]
    assert replies and all(r["parent_user_id"] for r in replies)
    row = next(r for r in rows if r["reactions"])
    assert isinstance(row["reactions"][0]["users"], list) and row["reactions"][0]["count"] >= 1
    assert ts_us(slack_ts(row["timestamp"].timestamp())) == ts_us(row["ts"])
    assert any(r["blocks"] and r["blocks"].startswith("[") for r in rows)


def test_time_filters_and_windows_are_pushed_down_as_oldest_and_latest(fake: FakeSlack) -> None:
    channel = channel_of(fake)
    stamps = sorted(every_message(fake, channel), key=ts_us)
    start, end = float(stamps[100]), float(stamps[200])
    rows = read(fake, f"conversations/{channel}", run(window_start=start, window_end=end, window_field="timestamp"))
    assert sorted(r["ts"] for r in rows) == stamps[101:201]
    query = fake.log.matching("conversations.history")[0]["query"]
    assert query["latest"] == [stamps[200]] and query["inclusive"] == ["true"]
    assert float(query["oldest"][0]) == pytest.approx(start - 7 * 86400)


def test_a_new_reply_to_an_older_thread_is_picked_up(fake: FakeSlack) -> None:
    channel = channel_of(fake)
    ws = fake.state.workspace
    clock = {"now": 1_800_000_000.0}
    fake.state.set_clock(lambda: clock["now"])
    parent = ws.post(channel, "parent")
    clock["now"] += 3600
    reply = ws.reply(channel, parent["ts"], "late reply 💬")
    shared = ws.reply(channel, parent["ts"], "also sent to the channel", broadcast=True)
    top = ws.post(channel, "new top-level")
    window = run(window_start=clock["now"] - 60, window_end=clock["now"] + 60, window_field="timestamp")
    rows = read(fake, f"conversations/{channel}", window)
    assert sorted(r["ts"] for r in rows) == sorted([reply["ts"], shared["ts"], top["ts"]])  # each once
    assert {r["subtype"] for r in rows if r["ts"] == shared["ts"]} == {"thread_broadcast"}


def test_conversations_and_users_objects(fake: FakeSlack) -> None:
    conversations = read(fake, "conversations")
    assert len(conversations) == len(fake.state.workspace.conversations)
    assert any(c["topic"] and c["topic"]["value"] for c in conversations)
    users = read(fake, "users")
    assert [u["id"] for u in users] == [u["id"] for u in fake.state.workspace.users]
    assert any(u["profile"]["email"] for u in users) and users[0]["id"] == "USLACKBOT"


def test_slack_errors_become_connector_errors_with_slack_code(fake: FakeSlack) -> None:
    channel = channel_of(fake)
    with pytest.raises(ConnectorError) as bad:
        CONNECTOR.check_profile(view(fake, "xoxb-0-0-wrong")[0])
    assert bad.value.code == "InvalidCredentials" and "invalid_auth" in bad.value.message
    fake.state.workspace.leave(channel)
    with pytest.raises(ConnectorError) as outside:
        read(fake, f"conversations/{channel}")
    assert outside.value.code == "AccessDenied" and "not_in_channel" in outside.value.message
    narrow = fake.token(scopes=("channels:read",))
    with pytest.raises(ConnectorError) as scope:
        read(fake, "users", profile=view(fake, narrow)[0])
    assert scope.value.code == "AccessDenied" and "users:read" in scope.value.message


def test_rotating_tokens_are_renewed_and_resealed(fake: FakeSlack) -> None:
    access, refresh = fake.state.auth.issue_rotating()
    profile, saved = view(fake, access, refreshToken=refresh)
    fake.state.expire_tokens()
    assert len(read(fake, "users", profile=profile)) == len(fake.state.workspace.users)
    assert saved and saved[-1]["accessToken"] != access and saved[-1]["refreshToken"] != refresh
    stale, _ = view(fake, access)  # no refresh token: refused, saying to authorize again
    with pytest.raises(ConnectorError) as expired:
        read(fake, "users", profile=stale)
    assert expired.value.code == "InvalidCredentials"


def test_profile_check_exchanges_an_authorization_code(fake: FakeSlack) -> None:
    code = fake.state.auth.issue_code("https://console.example.com/cb", rotating=True)
    profile, _ = view(fake, "", oAuthRequest={"authCode": code, "redirectUri": "https://console.example.com/cb"})
    stored = CONNECTOR.check_profile(profile)
    assert stored["accessToken"].startswith("xoxe.xoxb-") and stored["refreshToken"].startswith("xoxe-")
    assert "oAuthRequest" not in stored
    with pytest.raises(ConnectorError) as reused:
        CONNECTOR.check_profile(profile)
    assert reused.value.code == "InvalidCredentials" and "invalid_code" in reused.value.message
