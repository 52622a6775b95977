"""Streaming API (CometD / Change Data Capture) of the fake Salesforce org (tests/fakes/salesforce/cometd.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.salesforce.server import FakeSalesforce

ACCOUNTS = "/data/AccountChangeEvent"


HOLD = 3.0
AT_ONCE = HOLD / 2  # answered well before the hold would have ended


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSalesforce]:
    with FakeSalesforce({"Account": 50, "Contact": 10, "Opportunity": 0}) as server:
        # Connects are held 3 s (Salesforce: 110 s): long enough that "answered at once" and "held
        # to the end" stay apart by seconds even on a loaded machine.
        server.org.cometd_timeout = HOLD
        yield server


@pytest.fixture
def client(fake: FakeSalesforce) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {fake.token()}"}, timeout=30) as c:
        yield c


def bayeux(client: httpx.Client, *messages: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/cometd/59.0", json=list(messages))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert isinstance(answer, list)
    return answer


def handshake(client: httpx.Client) -> str:
    [reply] = bayeux(client, {"channel": "/meta/handshake", "version": "1.0", "id": "1",
                              "supportedConnectionTypes": ["long-polling"]})
    assert reply["successful"] is True and reply["version"] == "1.0" and reply["id"] == "1"
    assert reply["supportedConnectionTypes"] == ["long-polling"]
    assert reply["advice"] == {"reconnect": "retry", "interval": 0, "timeout": int(HOLD * 1000)}
    return str(reply["clientId"])


def subscribe(client: httpx.Client, client_id: str, channel: str, replay: int) -> dict[str, Any]:
    [reply] = bayeux(client, {"channel": "/meta/subscribe", "clientId": client_id, "subscription": channel,
                              "ext": {"replay": {channel: replay}}})
    return reply


def session(client: httpx.Client, channel: str, replay: int = -1) -> str:
    """Handshake, subscribe and make the first connect, which CometD answers at once; the client id."""
    client_id = handshake(client)
    assert subscribe(client, client_id, channel, replay)["successful"]
    started = time.monotonic()
    events, reply = connect(client, client_id)
    assert reply["successful"] is True and events == [] and time.monotonic() - started < AT_ONCE
    return client_id


def connect(client: httpx.Client, client_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(events, connect reply) of one long poll."""
    answer = bayeux(client, {"channel": "/meta/connect", "clientId": client_id, "connectionType": "long-polling"})
    assert answer[-1]["channel"] == "/meta/connect"
    return answer[:-1], answer[-1]


def new_account(fake: FakeSalesforce, name: str) -> str:
    [result] = fake.org.write("Account", "insert", [{"Name": name}])
    assert result["success"]
    return str(result["id"])


def connect_reply(client_id: str) -> dict[str, Any]:
    return {"channel": "/meta/connect", "clientId": client_id, "successful": True,
            "advice": {"reconnect": "retry", "interval": 0, "timeout": int(HOLD * 1000)}}


def replay_ids(events: list[dict[str, Any]]) -> list[int]:
    return [e["data"]["event"]["replayId"] for e in events]


def test_connect_delivers_a_change_made_while_held(fake: FakeSalesforce, client: httpx.Client) -> None:
    client_id = handshake(client)
    reply = subscribe(client, client_id, ACCOUNTS, -1)
    assert reply["successful"] is True and reply["subscription"] == ACCOUNTS
    assert connect(client, client_id) == ([], connect_reply(client_id))  # the first connect is not held
    made: list[str] = []
    timer = threading.Timer(0.3, lambda: made.append(new_account(fake, "Streamed Co")))
    timer.start()
    started = time.monotonic()
    events, reply = connect(client, client_id)
    assert time.monotonic() - started < AT_ONCE  # answered when the event arrived, not at the timeout
    timer.join()
    assert reply["successful"] is True and reply["advice"]["reconnect"] == "retry"
    [event] = events
    header = event["data"]["payload"]["ChangeEventHeader"]
    assert event["channel"] == ACCOUNTS and event["data"]["schema"]
    assert header["changeType"] == "CREATE" and header["recordIds"] == made and header["entityName"] == "Account"
    assert event["data"]["payload"]["Name"] == "Streamed Co"


def test_connect_times_out_empty(fake: FakeSalesforce, client: httpx.Client) -> None:
    client_id = session(client, "/data/ContactChangeEvent")
    new_account(fake, "Not a contact")  # other channels do not wake this client
    started = time.monotonic()
    events, reply = connect(client, client_id)
    assert events == [] and reply["successful"] is True
    assert HOLD - 0.1 <= time.monotonic() - started < HOLD + 10


def test_held_connect_does_not_block_other_requests(client: httpx.Client, fake: FakeSalesforce) -> None:
    client_id = session(client, "/data/ContactChangeEvent")
    held = threading.Thread(target=connect, args=(client, client_id))
    held.start()
    time.sleep(0.1)
    started = time.monotonic()
    with httpx.Client(base_url=fake.url, headers=client.headers) as other:
        handshake(other)
    assert time.monotonic() - started < AT_ONCE
    held.join()


def test_resubscribe_from_a_stored_replay_id_misses_and_repeats_nothing(fake: FakeSalesforce,
                                                                       client: httpx.Client) -> None:
    client_id = session(client, ACCOUNTS)
    for n in range(2):
        new_account(fake, f"Before {n}")
    events, _ = connect(client, client_id)
    assert [e["data"]["payload"]["Name"] for e in events] == ["Before 0", "Before 1"]
    stored = replay_ids(events)[-1]
    [bye] = bayeux(client, {"channel": "/meta/disconnect", "clientId": client_id})
    assert bye["successful"] is True
    made = [new_account(fake, f"While away {n}") for n in range(3)]
    client_id = handshake(client)
    assert subscribe(client, client_id, ACCOUNTS, stored)["successful"]
    events, _ = connect(client, client_id)
    assert [e["data"]["payload"]["ChangeEventHeader"]["recordIds"][0] for e in events] == made
    assert all(r > stored for r in replay_ids(events)) and replay_ids(events) == sorted(replay_ids(events))
    events, _ = connect(client, client_id)
    assert events == []  # held for the whole timeout: the cursor moved past what was delivered
    # -2 replays everything retained on the channel; /data/ChangeEvents carries every entity.
    everything = handshake(client)
    assert subscribe(client, everything, ACCOUNTS, -2)["successful"]
    events, _ = connect(client, everything)
    assert replay_ids(events) == replay_ids(fake.org.events.since(ACCOUNTS, -2))
    all_changes = handshake(client)
    assert subscribe(client, all_changes, "/data/ChangeEvents", stored)["successful"]
    events, _ = connect(client, all_changes)
    assert len(events) == 3 and {e["channel"] for e in events} == {"/data/ChangeEvents"}


def test_unknown_client_is_told_to_handshake(client: httpx.Client) -> None:
    for message in ({"channel": "/meta/connect", "clientId": "nope", "connectionType": "long-polling"},
                    {"channel": "/meta/subscribe", "clientId": "nope", "subscription": ACCOUNTS}):
        [reply] = bayeux(client, message)
        assert reply["successful"] is False and reply["error"] == "403::Unknown client"
        assert reply["advice"]["reconnect"] == "handshake"
    client_id = handshake(client)
    bayeux(client, {"channel": "/meta/disconnect", "clientId": client_id})
    [reply] = bayeux(client, {"channel": "/meta/connect", "clientId": client_id, "connectionType": "long-polling"})
    assert reply["error"] == "403::Unknown client"


def test_idle_clients_are_forgotten(fake: FakeSalesforce, client: httpx.Client) -> None:
    client_id = handshake(client)
    fake.org.cometd_client_idle = 0.2  # type: ignore[attr-defined]
    try:
        time.sleep(0.3)
        [reply] = bayeux(client, {"channel": "/meta/connect", "clientId": client_id, "connectionType": "long-polling"})
    finally:
        del fake.org.cometd_client_idle  # type: ignore[attr-defined]
    assert reply["error"] == "403::Unknown client" and reply["advice"]["reconnect"] == "handshake"


def test_bad_subscriptions(client: httpx.Client) -> None:
    client_id = handshake(client)
    reply = subscribe(client, client_id, "/data/FooChangeEvent", -1)
    assert reply["successful"] is False
    assert reply["error"] == "400::The channel you requested to subscribe to doesn't exist {/data/FooChangeEvent}"
    reply = subscribe(client, client_id, ACCOUNTS, -7)
    assert reply["successful"] is False and reply["error"].startswith("400::The replayId {-7} you provided was invalid")
    [reply] = bayeux(client, {"channel": "/meta/unsubscribe", "clientId": client_id, "subscription": ACCOUNTS})
    assert reply["successful"] is False
    assert subscribe(client, client_id, ACCOUNTS, -1)["successful"]
    [reply] = bayeux(client, {"channel": "/meta/unsubscribe", "clientId": client_id, "subscription": ACCOUNTS})
    assert reply["successful"] is True


def test_authentication_failures_are_bayeux_shaped(fake: FakeSalesforce, client: httpx.Client) -> None:
    anonymous = httpx.post(f"{fake.url}/cometd/59.0", json=[{"channel": "/meta/handshake", "version": "1.0"}])
    assert anonymous.status_code == 401
    [reply] = anonymous.json()
    assert reply["error"] == "403::Handshake denied" and reply["advice"] == {"reconnect": "none"}
    assert reply["ext"]["sfdc"]["failureReason"] == "401::Request requires authentication"
    client_id = handshake(client)
    expired = fake.org.auth.issue_token(ttl=-1)
    response = httpx.post(f"{fake.url}/cometd/59.0", headers={"Authorization": f"Bearer {expired}"},
                          json=[{"channel": "/meta/connect", "clientId": client_id, "connectionType": "long-polling"}])
    assert response.status_code == 401
    [reply] = response.json()
    assert reply["successful"] is False and reply["error"] == "401::Authentication invalid"
    assert reply["advice"]["reconnect"] == "none"
