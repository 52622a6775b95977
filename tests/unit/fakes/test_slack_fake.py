"""The fake Slack workspace answers like Slack's Web API, driven by Slack's own client (`slack_sdk`).

Covers auth failures, cursor paging of conversations/users/history/replies, time-range arguments,
`ok: false` errors, forced and tiered 429s with `Retry-After`, token rotation, and the controls tests use
(posting, editing and replying after seeding).
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from tests.fakes.common.https import free_port
from tests.fakes.slack.auth import READ_SCOPES
from tests.fakes.slack.seed import ts_us
from tests.fakes.slack.server import FakeSlack
from tests.fakes.slack.state import SlackState
from tests.support.tls import certificates

CHANNELS, MESSAGES = 6, 60


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(channels=CHANNELS, messages_per_channel=MESSAGES, users=12) as server:
        yield server


def client(fake: FakeSlack, token: str | None = None, **kwargs: object) -> WebClient:
    """Slack's client against the fake, trusting the test CA."""
    context = ssl.create_default_context(cafile=certificates().ca_file)
    return WebClient(token=token, base_url=fake.api_url, ssl=context, **kwargs)  # type: ignore[arg-type]


def error_of(call: object) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call()  # type: ignore[operator]
    return info.value


def pages_of(response: object) -> list[dict]:
    """Each page's body (the client's iterator hands back one response object, updated in place)."""
    return [dict(page.data) for page in response]  # type: ignore[attr-defined]


def public_channel(fake: FakeSlack) -> str:
    return next(c.id for c in fake.state.workspace.conversations.values()
                if not c.info.get("is_private") and not c.info.get("is_im") and c.info["is_member"])


# --- auth ---------------------------------------------------------------------------------------------------------
def test_auth_test_names_the_team_and_bot(fake: FakeSlack) -> None:
    answer = client(fake, fake.token()).auth_test()
    assert answer["ok"] and answer["team_id"] == fake.state.workspace.team_id
    assert answer["user_id"] == fake.state.workspace.bot_user["id"] and answer["bot_id"].startswith("B")


def test_bad_missing_revoked_and_query_string_tokens_are_refused_with_200(fake: FakeSlack) -> None:
    assert error_of(lambda: client(fake, "xoxb-1-2-nope").auth_test()).response["error"] == "invalid_auth"
    missing = error_of(lambda: client(fake).auth_test()).response
    assert missing.status_code == 200 and missing["error"] == "not_authed"
    revoked = fake.token()
    fake.state.auth.revoke(revoked)
    assert error_of(lambda: client(fake, revoked).auth_test()).response["error"] == "token_revoked"
    token = fake.token()
    with httpx.Client(verify=ssl.create_default_context(cafile=certificates().ca_file)) as http:
        # Apps created after 2021-02-24 may not send the token in the query string; a form field is fine.
        assert http.get(f"{fake.api_url}auth.test", params={"token": token}).json()["error"] == "not_authed"
        assert http.post(f"{fake.api_url}auth.test", data={"token": token}).json()["ok"] is True
        # A JSON body carries the token only in the header.
        assert http.post(f"{fake.api_url}auth.test", json={"token": token}).json()["error"] == "not_authed"
        assert http.post(f"{fake.api_url}auth.test", json={},
                         headers={"Authorization": f"Bearer {token}"}).json()["ok"] is True
        unknown = http.post(f"{fake.api_url}conversations.nope", headers={"Authorization": f"Bearer {token}"})
        assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_method"


def test_missing_scope_names_what_is_needed(fake: FakeSlack) -> None:
    token = fake.token(scopes=("channels:read", "channels:history"))
    answer = error_of(lambda: client(fake, token).conversations_list(types="private_channel")).response
    assert answer["error"] == "missing_scope" and answer["needed"] == "groups:read"
    assert "channels:read" in answer["provided"]
    assert error_of(lambda: client(fake, token).users_list()).response["needed"] == "users:read"


# --- conversations ------------------------------------------------------------------------------------------------
def test_conversations_list_pages_by_cursor_and_filters_types(fake: FakeSlack) -> None:
    web = client(fake, fake.token())
    pages = pages_of(web.conversations_list(limit=2))
    ids = [c["id"] for page in pages for c in page["channels"]]
    infos = [c.info for c in fake.state.workspace.conversations.values()]
    public = [i["id"] for i in infos if not i.get("is_im") and not i["is_private"]]
    assert ids == public and len(pages) == -(-len(public) // 2)
    assert pages[-1]["response_metadata"]["next_cursor"] == ""
    everything = web.conversations_list(types="public_channel,private_channel,im", limit=1000)["channels"]
    assert {c["id"] for c in everything} == {i["id"] for i in infos}
    assert any(c.get("is_im") for c in everything) and any(c.get("is_private") for c in everything)
    live = web.conversations_list(exclude_archived=True, limit=1000)["channels"]
    assert all(not c["is_archived"] for c in live) and len(live) == len(public) - 1
    assert error_of(lambda: web.conversations_list(cursor="bm9wZQ==")).response["error"] == "invalid_cursor"
    assert error_of(lambda: web.conversations_list(types="secret")).response["error"] == "invalid_types"


def test_conversations_info_and_unknown_channel(fake: FakeSlack) -> None:
    web = client(fake, fake.token())
    channel = public_channel(fake)
    info = web.conversations_info(channel=channel)["channel"]
    assert info["id"] == channel and info["name"] and info["is_channel"] is True
    assert error_of(lambda: web.conversations_info(channel="C0NOPE")).response["error"] == "channel_not_found"
    missing = error_of(lambda: web.api_call("conversations.history", params={})).response
    assert missing["error"] == "invalid_arguments" and "channel" in missing["response_metadata"]["messages"][0]


def test_history_pages_every_top_level_message_once_newest_first(fake: FakeSlack) -> None:
    web = client(fake, fake.token())
    channel = public_channel(fake)
    pages = pages_of(web.conversations_history(channel=channel, limit=25))
    messages = [m for page in pages for m in page["messages"]]
    assert [p["has_more"] for p in pages] == [True, True, False]
    assert "response_metadata" not in pages[-1]
    stamps = [m["ts"] for m in messages]
    assert len(stamps) == len(set(stamps)) == MESSAGES
    assert stamps == sorted(stamps, key=ts_us, reverse=True)
    assert all("thread_ts" not in m or m["thread_ts"] == m["ts"] for m in messages)  # replies stay in threads
    kinds = {m.get("subtype") for m in messages}
    assert "bot_message" in kinds and None in kinds
    assert any(m.get("reactions") for m in messages) and any(m.get("blocks") for m in messages)
    assert any(m.get("reply_count") for m in messages)
    assert any(ord(ch) > 127 for m in messages for ch in m.get("text", ""))


def test_history_time_range_bounds_are_exclusive_unless_inclusive(fake: FakeSlack) -> None:
    web = client(fake, fake.token())
    channel = public_channel(fake)
    stamps = [m["ts"] for p in web.conversations_history(channel=channel, limit=200) for m in p["messages"]]
    oldest, latest = stamps[40], stamps[10]  # stamps run newest first
    inside = web.conversations_history(channel=channel, oldest=oldest, latest=latest, limit=200)["messages"]
    assert [m["ts"] for m in inside] == stamps[11:40]
    both = web.conversations_history(channel=channel, oldest=oldest, latest=latest, inclusive=True, limit=200)
    assert [m["ts"] for m in both["messages"]] == stamps[10:41]
    since = [m["ts"] for p in web.conversations_history(channel=channel, oldest=oldest, limit=7) for m in p["messages"]]
    assert since == stamps[:40]
    assert error_of(lambda: web.conversations_history(channel=channel, oldest="yesterday")).response["error"] == \
        "invalid_ts_oldest"
    query = fake.log.matching("conversations.history")[-2]["query"]
    assert query["oldest"] == [oldest] and query["limit"] == ["7"]


def test_replies_return_the_thread_oldest_first_and_page(fake: FakeSlack) -> None:
    web = client(fake, fake.token())
    channel = public_channel(fake)
    history = [m for p in web.conversations_history(channel=channel, limit=200) for m in p["messages"]]
    parent = max((m for m in history if m.get("reply_count")), key=lambda m: m["reply_count"])
    thread = web.conversations_replies(channel=channel, ts=parent["ts"])["messages"]
    assert thread[0]["ts"] == parent["ts"] and len(thread) == parent["reply_count"] + 1
    assert all(r["thread_ts"] == parent["ts"] and r["parent_user_id"] == parent["user"] for r in thread[1:])
    assert thread[-1]["ts"] == parent["latest_reply"]
    paged = [m["ts"] for p in web.conversations_replies(channel=channel, ts=parent["ts"], limit=1)
             for m in p["messages"]]
    assert paged == [m["ts"] for m in thread]
    by_reply = web.conversations_replies(channel=channel, ts=thread[-1]["ts"])["messages"]
    assert [m["ts"] for m in by_reply] == [m["ts"] for m in thread]
    plain = next(m for m in history if not m.get("reply_count"))
    assert [m["ts"] for m in web.conversations_replies(channel=channel, ts=plain["ts"])["messages"]] == [plain["ts"]]
    assert error_of(lambda: web.conversations_replies(channel=channel, ts="1.000001")).response["error"] == \
        "thread_not_found"


def test_history_of_a_channel_the_app_left_is_not_in_channel() -> None:
    with FakeSlack(channels=3, messages_per_channel=5) as fake:
        channel = public_channel(fake)
        fake.state.workspace.leave(channel)
        web = client(fake, fake.token())
        assert error_of(lambda: web.conversations_history(channel=channel)).response["error"] == "not_in_channel"


# --- users --------------------------------------------------------------------------------------------------------
def test_users_list_pages_and_hides_email_without_the_scope(fake: FakeSlack) -> None:
    web = client(fake, fake.token())
    members = [u for page in web.users_list(limit=5) for u in page["members"]]
    assert [u["id"] for u in members] == [u["id"] for u in fake.state.workspace.users]
    assert members[0]["id"] == "USLACKBOT" and any(u["is_bot"] for u in members) and any(u["deleted"] for u in members)
    assert any("email" in u["profile"] for u in members)
    narrow = client(fake, fake.token(scopes=("users:read",)))
    assert all("email" not in u["profile"] for u in narrow.users_list()["members"])
    assert web.users_info(user=members[3]["id"])["user"]["name"] == members[3]["name"]
    assert error_of(lambda: web.users_info(user="U0NOPE")).response["error"] == "user_not_found"


# --- rate limits --------------------------------------------------------------------------------------------------
def test_forced_429_carries_retry_after_and_the_client_retries(fake: FakeSlack) -> None:
    token = fake.token()
    fake.state.throttle_next(1, retry_after=1)
    refused = error_of(lambda: client(fake, token).auth_test()).response
    assert refused.status_code == 429 and refused["error"] == "ratelimited"
    assert refused.headers["Retry-After"] in ("1", ["1"])
    fake.state.throttle_next(2, retry_after=0, method="users.list")
    patient = client(fake, token, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    assert patient.users_list(limit=3)["ok"] is True


def test_tiers_limit_each_method_per_minute() -> None:
    with FakeSlack(channels=2, messages_per_channel=3, tiers=True) as fake:
        web = client(fake, fake.token())
        for _ in range(20):  # conversations.list is Tier 2: 20+ per minute
            web.conversations_list()
        refused = error_of(lambda: web.conversations_list()).response
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert web.auth_test()["ok"]  # other methods have their own allowance


# --- token rotation -----------------------------------------------------------------------------------------------
def test_token_rotation_refreshes_expired_tokens_once() -> None:
    with FakeSlack(channels=2, messages_per_channel=3) as fake:
        auth = fake.state.auth
        access, refresh = auth.issue_rotating()
        assert access.startswith("xoxe.xoxb-") and refresh.startswith("xoxe-")
        assert client(fake, access).auth_test()["ok"]
        fake.state.expire_tokens()
        assert error_of(lambda: client(fake, access).auth_test()).response["error"] == "token_expired"
        oauth = client(fake)
        rotated = oauth.oauth_v2_access(client_id=auth.client_id, client_secret=auth.client_secret,
                                        grant_type="refresh_token", refresh_token=refresh)
        assert rotated["token_type"] == "bot" and rotated["expires_in"] == 43200
        assert rotated["refresh_token"] != refresh and rotated["team"]["id"] == fake.state.workspace.team_id
        assert client(fake, rotated["access_token"]).auth_test()["ok"]
        again = error_of(lambda: oauth.oauth_v2_access(client_id=auth.client_id, client_secret=auth.client_secret,
                                                       grant_type="refresh_token", refresh_token=refresh))
        assert again.response["error"] == "invalid_refresh_token"
        wrong = error_of(lambda: oauth.oauth_v2_access(client_id=auth.client_id, client_secret="nope",
                                                       grant_type="refresh_token",
                                                       refresh_token=rotated["refresh_token"]))
        assert wrong.response["error"] == "bad_client_secret"
        code = auth.issue_code("https://example.com/cb")
        granted = oauth.oauth_v2_access(client_id=auth.client_id, client_secret=auth.client_secret, code=code,
                                        redirect_uri="https://example.com/cb")
        assert client(fake, granted["access_token"]).auth_test()["ok"] and "refresh_token" not in granted.data
        assert set(granted["scope"].split(",")) == set(READ_SCOPES)


# --- controls for incremental tests -------------------------------------------------------------------------------
def test_posted_edited_and_replied_messages_show_up_as_slack_shows_them() -> None:
    with FakeSlack(channels=2, messages_per_channel=20) as fake:
        web = client(fake, fake.token())
        channel = public_channel(fake)
        ws = fake.state.workspace
        newest = web.conversations_history(channel=channel, limit=1)["messages"][0]["ts"]
        posted = ws.post(channel, "Nouveau message 🎉")
        since = web.conversations_history(channel=channel, oldest=newest)["messages"]
        assert [m["ts"] for m in since] == [posted["ts"]] and since[0]["text"] == "Nouveau message 🎉"
        old = web.conversations_history(channel=channel, latest=newest, limit=1)["messages"][0]
        ws.edit(channel, old["ts"], "edited text ✏️")
        again = web.conversations_history(channel=channel, latest=newest, limit=1)["messages"][0]
        assert again["ts"] == old["ts"] and again["text"] == "edited text ✏️" and "ts" in again["edited"]
        assert web.conversations_history(channel=channel, oldest=posted["ts"])["messages"] == []
        answer = ws.reply(channel, posted["ts"], "a reply")
        parent = web.conversations_history(channel=channel, oldest=newest)["messages"][0]
        assert parent["reply_count"] == 1 and parent["latest_reply"] == answer["ts"]
        thread = web.conversations_replies(channel=channel, ts=posted["ts"])["messages"]
        assert [m["ts"] for m in thread] == [posted["ts"], answer["ts"]]
        assert ws.top_level_count(channel) == 21


def test_big_workspaces_are_made_lazily() -> None:
    state = SlackState(channels=2, messages_per_channel=400_000, users=5)
    ws = state.workspace
    channel = ws.channel_ids()[0]
    first = next(ws.history(channel, 0, 2 ** 62))
    assert ws.top_level_count(channel) == 400_000 and first["ts"] == ws.find(channel, first["ts"])["ts"]
    middle = ws.conversations[channel].seeded_us(200_000)
    window = list(ws.history(channel, middle, middle + 10 * 97_003_217))
    assert len(window) == 11 and window[-1]["ts"] == ws.find(channel, window[-1]["ts"])["ts"]


def test_module_serves_standalone() -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.fakes.slack", "--port", str(port), "--channels", "2",
                                "--messages", "5", "--token", "xoxb-standalone-token"],
                               stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "serving" in line, line
        context = ssl.create_default_context(cafile=line.rsplit("trust CA ", 1)[1].rstrip(")\n"))
        web = WebClient(token="xoxb-standalone-token", base_url=f"https://127.0.0.1:{port}/api/", ssl=context)
        for _ in range(200):  # the line is printed just before the socket opens
            try:
                assert web.auth_test()["ok"]
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError("standalone fake never answered")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_throttle_can_wait_for_earlier_calls(fake: FakeSlack) -> None:
    web = client(fake, fake.token())
    fake.state.throttle_next(1, retry_after=2, method="conversations.info", after=2)
    channel = public_channel(fake)
    assert web.conversations_info(channel=channel)["ok"] and web.conversations_info(channel=channel)["ok"]
    refused = error_of(lambda: web.conversations_info(channel=channel)).response
    assert refused.status_code == 429 and web.conversations_info(channel=channel)["ok"]
