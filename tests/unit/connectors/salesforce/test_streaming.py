"""Salesforce CDC over CometD: the Bayeux state machine against a scripted server (httpx.MockTransport),
and end to end against the fake org (tests/fakes/salesforce) when it is available."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sluice.connectors.base import ConnectorError, EventBatch, EventContext, ProfileView
from sluice.connectors.salesforce.streaming import ChangeEventStream, change_channel, event_records

BASE = "https://org.example.test"
CHANNEL = "/data/AccountChangeEvent"


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_SALESFORCE_BACKOFF_BASE", "0.01")
    monkeypatch.setenv("SLUICE_SALESFORCE_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("SLUICE_SALESFORCE_LOGIN_URL", BASE)
    monkeypatch.setenv("SLUICE_SALESFORCE_CLIENT_ID", "app")
    monkeypatch.setenv("SLUICE_SALESFORCE_CLIENT_SECRET", "app-secret")


class Bayeux:
    """A small scripted CometD server: Salesforce's replies, one channel, replayable events."""

    def __init__(self, hold: float = 0.3) -> None:
        self.hold = hold
        self.valid_tokens = {"tok-1"}
        self.token_serial = itertools.count(2)
        self.clients: dict[str, int] = {}  # client id -> replay cursor
        self.client_serial = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.fail_transport = 0  # the next N requests fail with a connection error
        self.changed = threading.Condition()

    def emit(self, record_id: str, **fields: Any) -> int:
        with self.changed:
            replay = 100 + len(self.events)
            payload = {
                "ChangeEventHeader": {
                    "entityName": "Account",
                    "recordIds": [record_id],
                    "changeType": "UPDATE",
                    "changedFields": list(fields),
                    "commitTimestamp": 1_700_000_000_000 + replay,
                },
                **fields,
            }
            self.events.append(
                {"channel": CHANNEL, "data": {"schema": "s", "payload": payload, "event": {"replayId": replay}}}
            )
            self.changed.notify_all()
            return replay

    def forget_clients(self) -> None:
        with self.changed:
            self.clients.clear()

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.fail_transport:
            self.fail_transport -= 1
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/services/oauth2/token":
            form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
            self.requests.append({"channel": "token", **form})
            if form.get("refresh_token") != "refresh-1":
                return httpx.Response(400, json={"error": "invalid_grant", "error_description": "expired"})
            token = f"tok-{next(self.token_serial)}"
            self.valid_tokens.add(token)
            return httpx.Response(200, json={"access_token": token, "instance_url": BASE, "token_type": "Bearer"})
        assert request.url.path == "/cometd/59.0"
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        answers: list[dict[str, Any]] = []
        cookies: dict[str, str] = {}
        for message in json.loads(request.content):
            self.requests.append({**message, "cookie": request.headers.get("cookie", "")})
            answers.extend(self._answer(message, token, cookies))
        response = httpx.Response(200, json=answers)
        for name, value in cookies.items():
            response.headers["set-cookie"] = f"{name}={value}; Path=/"
        return response

    def _answer(self, message: dict[str, Any], token: str, cookies: dict[str, str]) -> list[dict[str, Any]]:
        channel, reply = message["channel"], {"channel": message["channel"], "id": message.get("id")}
        if channel == "/meta/handshake":
            if token not in self.valid_tokens:
                ext = {"sfdc": {"failureReason": "401::Authentication invalid"}}
                return [{**reply, "successful": False, "error": "403::Handshake denied", "ext": ext}]
            client = f"c{next(self.client_serial)}"
            with self.changed:
                self.clients[client] = 0
            cookies["BAYEUX_BROWSER"] = client
            advice = {"timeout": int(self.hold * 1000), "interval": 0, "reconnect": "retry"}
            return [{**reply, "successful": True, "clientId": client, "advice": advice, "version": "1.0"}]
        client = message.get("clientId", "")
        if client not in self.clients:
            advice = {"reconnect": "handshake", "interval": 0}
            return [{**reply, "successful": False, "error": "403::Unknown client", "advice": advice}]
        if token not in self.valid_tokens:
            advice = {"reconnect": "none", "interval": 0}
            return [{**reply, "successful": False, "error": "401::Authentication invalid", "advice": advice}]
        if channel == "/meta/subscribe":
            if message["subscription"] != CHANNEL:
                error = f"400::The channel you requested to subscribe to does not exist {message['subscription']}"
                return [{**reply, "successful": False, "error": error}]
            replay = message["ext"]["replay"][CHANNEL]
            with self.changed:
                latest = self.events[-1]["data"]["event"]["replayId"] if self.events else 0
                self.clients[client] = latest if replay == -1 else replay
            return [{**reply, "successful": True, "subscription": CHANNEL}]
        if channel == "/meta/connect":
            with self.changed:
                self.changed.wait_for(lambda: self._pending(client), timeout=self.hold)
                pending = self._pending(client)
                if pending:
                    self.clients[client] = pending[-1]["data"]["event"]["replayId"]
            return [*pending, {**reply, "successful": True, "advice": {"timeout": int(self.hold * 1000)}}]
        if channel == "/meta/disconnect":
            self.clients.pop(client, None)
        return [{**reply, "successful": True}]

    def _pending(self, client: str) -> list[dict[str, Any]]:
        cursor = self.clients.get(client)
        if cursor is None:
            return []
        return [e for e in self.events if e["data"]["event"]["replayId"] > cursor]

    def sent(self, channel: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["channel"] == channel]


def profile(saved: list[Any] | None = None, token: str = "tok-1", wrapped: bool = False) -> ProfileView:
    creds: dict[str, Any] = {"accessToken": token, "refreshToken": "refresh-1", "instanceUrl": BASE}
    return ProfileView(
        name="sf",
        connector_type="Salesforce",
        properties={"instanceUrl": BASE},
        credentials={"Salesforce": creds} if wrapped else creds,
        save_credentials=saved.append if saved is not None else None,
    )


@pytest.fixture
def server() -> Bayeux:
    return Bayeux()


@pytest.fixture
def open_stream(server: Bayeux) -> Iterator[Any]:
    streams: list[ChangeEventStream] = []

    def opener(replay_from: str | None = None, obj: str = "Account", **kwargs: Any) -> ChangeEventStream:
        stream = ChangeEventStream(
            kwargs.pop("view", None) or profile(),
            {"object": obj},
            EventContext(flow_name="f", replay_from=replay_from),
            transport=httpx.MockTransport(server.handler),
        )
        streams.append(stream)
        return stream

    yield opener
    for stream in streams:
        stream.close()


def poll_until(stream: ChangeEventStream, count: int, limit: float = 5.0) -> list[EventBatch]:
    """Poll until `count` records arrived (or `limit` seconds passed)."""
    batches: list[EventBatch] = []
    deadline = time.monotonic() + limit
    while sum(len(b.records) for b in batches) < count and time.monotonic() < deadline:
        batch = stream.poll(0.2)
        if batch is not None:
            batches.append(batch)
    return batches


# -- records -------------------------------------------------------------------------------


def test_change_channel_names() -> None:
    assert change_channel("Account") == "/data/AccountChangeEvent"
    assert change_channel("Invoice__c") == "/data/Invoice__ChangeEvent"


def test_event_records_flatten_compound_fields_and_split_record_ids() -> None:
    payload = {
        "ChangeEventHeader": {"recordIds": ["001A", "001B"], "changeType": "UPDATE", "commitTimestamp": 17},
        "Name": {"FirstName": "Ada", "LastName": "Lovelace"},
        "BillingAddress": {"Street": "1 Main St", "City": "Paris"},
        "Address": {"City": "Lyon"},
        "Spot__c": {"Latitude": 1.5, "Longitude": 2.5},
        "Odd": {"a": 1},
        "Tags": ["x"],
        "Phone": None,
    }
    records = event_records({"data": {"payload": payload, "event": {"replayId": 9}}})
    assert [r["Id"] for r in records] == ["001A", "001B"]
    assert records[0] == {
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "BillingStreet": "1 Main St",
        "BillingCity": "Paris",
        "City": "Lyon",
        "Spot__Latitude__s": 1.5,
        "Spot__Longitude__s": 2.5,
        "Odd": '{"a": 1}',
        "Tags": '["x"]',
        "Phone": None,
        "Id": "001A",
        "ChangeType": "UPDATE",
        "ChangeEventCommitTimestamp": 17,
        "ReplayId": 9,
    }


# -- the Bayeux state machine --------------------------------------------------------------


def test_subscribes_from_now_and_receives_later_events(server: Bayeux, open_stream: Any) -> None:
    server.emit("001OLD", Name="before")
    stream = open_stream()
    (handshake,) = server.sent("/meta/handshake")
    assert handshake["supportedConnectionTypes"] == ["long-polling"]
    (subscribe,) = server.sent("/meta/subscribe")
    assert subscribe["ext"] == {"replay": {CHANNEL: -1}}
    server.hold = 3.0  # connects are held 3 s: a poll that waited for the hold would take that long
    started = time.monotonic()
    assert stream.poll(0.1) is None
    assert time.monotonic() - started < 1.5  # poll is bounded by its timeout, not by the server's hold
    replay = server.emit("001NEW", Name="Acme")
    (batch,) = poll_until(stream, 1)
    assert batch.replay_id == str(replay)
    assert batch.records == [
        {
            "Name": "Acme",
            "Id": "001NEW",
            "ChangeType": "UPDATE",
            "ChangeEventCommitTimestamp": 1_700_000_000_101,
            "ReplayId": replay,
        }
    ]
    # The handshake's session cookie goes back with every later request.
    assert all("BAYEUX_BROWSER=" in r["cookie"] for r in server.sent("/meta/connect"))


def test_subscribes_from_the_given_replay_id(server: Bayeux, open_stream: Any) -> None:
    first = server.emit("001A", Name="a")
    second = server.emit("001B", Name="b")
    stream = open_stream(replay_from=str(first))
    assert server.sent("/meta/subscribe")[0]["ext"]["replay"][CHANNEL] == first
    batches = poll_until(stream, 1)
    assert [r["Id"] for b in batches for r in b.records] == ["001B"]
    assert batches[-1].replay_id == str(second)


def test_unknown_client_rehandshakes_and_resumes_from_the_last_replay_id(server: Bayeux, open_stream: Any) -> None:
    stream = open_stream()
    first = server.emit("001A", Name="a")
    assert [r["Id"] for b in poll_until(stream, 1) for r in b.records] == ["001A"]
    server.forget_clients()  # the session expired: the next connect answers 403::Unknown client
    server.emit("001B", Name="b")
    server.emit("001C", Name="c")
    ids = [r["Id"] for b in poll_until(stream, 2) for r in b.records]
    assert ids == ["001B", "001C"]  # nothing missed, nothing repeated
    assert len(server.sent("/meta/handshake")) == 2
    assert server.sent("/meta/subscribe")[-1]["ext"]["replay"][CHANNEL] == first


def test_expired_token_is_refreshed_once_and_saved(server: Bayeux, open_stream: Any) -> None:
    saved: list[Any] = []
    stream = open_stream(view=profile(saved, wrapped=True))
    server.valid_tokens.clear()  # tok-1 expires mid-stream
    server.emit("001A", Name="a")  # may still come on a connect the server accepted before the expiry
    assert [r["Id"] for b in poll_until(stream, 1) for r in b.records] == ["001A"]
    server.emit("001B", Name="b")  # comes on a connect sent after the expiry: refused, then refreshed
    assert [r["Id"] for b in poll_until(stream, 1) for r in b.records] == ["001B"]
    assert len(server.sent("token")) == 1
    assert saved and saved[-1]["Salesforce"]["accessToken"] == "tok-2"
    assert saved[-1]["Salesforce"]["refreshToken"] == "refresh-1"


def test_expired_token_and_forgotten_client_refresh_then_rehandshake(server: Bayeux, open_stream: Any) -> None:
    saved: list[Any] = []
    stream = open_stream(view=profile(saved))
    first = server.emit("001A", Name="a")
    assert len(poll_until(stream, 1)) == 1
    server.valid_tokens.clear()
    server.forget_clients()
    server.emit("001B", Name="b")
    assert [r["Id"] for b in poll_until(stream, 1) for r in b.records] == ["001B"]
    assert [s["accessToken"] for s in saved] == ["tok-2"]
    # This server checks the client before the token: re-handshake, denied (old token), refresh, handshake.
    assert len(server.sent("/meta/handshake")) == 3
    assert server.sent("/meta/subscribe")[-1]["ext"]["replay"][CHANNEL] == first


def test_token_refused_at_start_is_refreshed(server: Bayeux, open_stream: Any) -> None:
    saved: list[Any] = []
    open_stream(view=profile(saved, token="stale"))
    assert saved[-1]["accessToken"] == "tok-2"
    assert len(server.sent("/meta/subscribe")) == 1


def test_refresh_that_fails_raises_invalid_credentials(server: Bayeux, open_stream: Any) -> None:
    view = ProfileView(
        name="sf", connector_type="Salesforce", credentials={"accessToken": "stale", "instanceUrl": BASE}
    )
    with pytest.raises(ConnectorError) as info:
        open_stream(view=view)
    assert info.value.code == "InvalidCredentials"


def test_token_expiring_mid_stream_without_refresh_surfaces_in_poll(server: Bayeux, open_stream: Any) -> None:
    view = ProfileView(
        name="sf", connector_type="Salesforce", credentials={"accessToken": "tok-1", "instanceUrl": BASE}
    )
    stream = open_stream(view=view)
    server.valid_tokens.clear()
    with pytest.raises(ConnectorError) as info:
        poll_until(stream, 1)
    assert info.value.code == "InvalidCredentials"


def test_unknown_object_is_an_invalid_argument(server: Bayeux, open_stream: Any) -> None:
    with pytest.raises(ConnectorError) as info:
        open_stream(obj="Nope__c")
    assert info.value.code == "InvalidArgument"
    assert "/data/Nope__ChangeEvent" in info.value.message


def test_unreachable_server_is_a_server_error_after_bounded_retries(server: Bayeux, open_stream: Any) -> None:
    server.fail_transport = 3
    with pytest.raises(ConnectorError) as info:
        open_stream()
    assert info.value.code == "ServerError"
    assert "after 3 tries" in info.value.message


def test_transient_connection_errors_are_retried(server: Bayeux, open_stream: Any) -> None:
    stream = open_stream()
    server.fail_transport = 2
    server.emit("001A", Name="a")
    assert [r["Id"] for b in poll_until(stream, 1) for r in b.records] == ["001A"]


def test_close_unsubscribes_and_disconnects_and_never_raises(server: Bayeux, open_stream: Any) -> None:
    stream = open_stream()
    started = time.monotonic()
    stream.close()
    assert time.monotonic() - started < 3
    assert [r["subscription"] for r in server.sent("/meta/unsubscribe")] == [CHANNEL]
    assert len(server.sent("/meta/disconnect")) == 1
    stream.close()  # twice is fine

    broken = open_stream()
    server.fail_transport = 100
    broken.close()


# -- end to end against the fake org -------------------------------------------------------


@pytest.fixture(scope="module")
def fake() -> Iterator[Any]:
    from tests.fakes.salesforce.server import FakeSalesforce

    with FakeSalesforce(seed_counts={"Account": 5, "Contact": 0, "Opportunity": 0}) as server:
        server.org.cometd_timeout = 1.0  # connects are held 1 s instead of 110 s
        yield server


@pytest.fixture
def org_profile(fake: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("SLUICE_SALESFORCE_LOGIN_URL", fake.url)
    monkeypatch.setenv("SLUICE_SALESFORCE_CLIENT_ID", "sluice-client")
    monkeypatch.setenv("SLUICE_SALESFORCE_CLIENT_SECRET", "sluice-secret")
    auth = fake.org.auth
    saved: list[Any] = []
    view = ProfileView(
        name="sf",
        connector_type="Salesforce",
        properties={"instanceUrl": fake.url},
        credentials={
            "accessToken": fake.token(),
            "refreshToken": auth.issue_refresh_token(auth.DEFAULT_USER, "sluice-client"),
            "instanceUrl": fake.url,
        },
        save_credentials=saved.append,
    )
    streams: list[ChangeEventStream] = []

    def opener(replay_from: str | None = None, obj: str = "Account") -> ChangeEventStream:
        streams.append(ChangeEventStream(view, {"object": obj}, EventContext("f", replay_from=replay_from)))
        return streams[-1]

    yield opener, saved
    for stream in streams:
        stream.close()


def account_ids(fake: Any) -> list[str]:
    return [row[0] for row in fake.org.query("SELECT Id FROM Account ORDER BY Id").rows]


def update(fake: Any, record_id: str, name: str) -> None:
    (result,) = fake.org.write("Account", "update", [{"Id": record_id, "Name": name}])
    assert result["success"], result


def test_fake_stream_receives_updates_made_after_subscribing(fake: Any, org_profile: Any) -> None:
    opener, _ = org_profile
    first = account_ids(fake)[0]
    update(fake, first, "before the stream")
    stream = opener()
    update(fake, first, "Acme Renamed")
    fake.org.write("Account", "update", [{"Id": first, "BillingCity": "Lyon"}])
    batches = poll_until(stream, 2)
    records = [r for b in batches for r in b.records]
    assert [(r["Id"], r["ChangeType"]) for r in records] == [(first, "UPDATE"), (first, "UPDATE")]
    assert records[0]["Name"] == "Acme Renamed"
    assert records[1]["BillingCity"] == "Lyon"  # BillingAddress.City flattened to the object's field
    assert "ChangeEventHeader" not in records[0] and isinstance(records[0]["ChangeEventCommitTimestamp"], int)
    assert batches[-1].replay_id == str(records[-1]["ReplayId"])


def test_fake_reopened_stream_resumes_after_the_last_batch(fake: Any, org_profile: Any) -> None:
    opener, _ = org_profile
    ids = account_ids(fake)
    stream = opener()
    update(fake, ids[0], "one")
    batches = poll_until(stream, 1)
    assert [r["Name"] for b in batches for r in b.records] == ["one"]
    stream.close()
    update(fake, ids[1], "two")
    update(fake, ids[2], "three")
    reopened = opener(replay_from=batches[-1].replay_id)
    update(fake, ids[3], "four")
    later = poll_until(reopened, 3)
    assert reopened.poll(1.5) is None  # nothing repeated after a full hold
    assert [r["Name"] for b in later for r in b.records] == ["two", "three", "four"]


def test_fake_expired_token_is_refreshed_and_saved(fake: Any, org_profile: Any) -> None:
    opener, saved = org_profile
    first = account_ids(fake)[0]
    stream = opener()
    fake.org.auth.expire_all_tokens()
    update(fake, first, "after expiry")  # may still come on a connect accepted before the expiry
    update_names = [r["Name"] for b in poll_until(stream, 1) for r in b.records]
    update(fake, first, "later")  # comes on a connect sent after the expiry: refused, then refreshed
    update_names += [r["Name"] for b in poll_until(stream, 1) for r in b.records]
    assert update_names == ["after expiry", "later"]
    assert len(saved) == 1 and saved[0]["accessToken"] and saved[0]["refreshToken"]
    fake.org.auth.authenticate(f"Bearer {saved[0]['accessToken']}")  # the stored token is a live one


def test_fake_unknown_object_is_an_invalid_argument(fake: Any, org_profile: Any) -> None:
    opener, _ = org_profile
    with pytest.raises(ConnectorError) as info:
        opener(obj="Nope__c")
    assert info.value.code == "InvalidArgument"
    assert "doesn't exist" in info.value.message
