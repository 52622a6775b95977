"""Streaming API (CometD 1.0 / Bayeux long polling) for Change Data Capture: `POST /cometd/{version}`.

Follows the Streaming API Developer Guide as pinned by docs/salesforce-wire.md:

- A request body is a JSON array of Bayeux messages (a single object is accepted too); the answer
  is a JSON array. A client's first `/meta/connect` is answered at once (as CometD servers do); later
  ones are held until an event exists after the client's cursor on any
  of its channels, or `org.cometd_timeout` seconds pass. The wait is `org.events.wait_many` (a
  condition variable) run in a worker thread via `anyio.to_thread`, in slices of at most WAIT_SLICE
  seconds, so the event loop keeps serving other requests and new subscriptions are noticed.
- Replay: `ext.replay[channel]` on subscribe is -1 (new events only), -2 (everything retained) or a
  replay id (events after it). Each client keeps a cursor per channel, advanced as events are sent.
- Errors are Bayeux-shaped with Salesforce's texts: an unknown client id is `403::Unknown client`
  with `advice.reconnect: "handshake"`; an unknown channel is `400::The channel you requested to
  subscribe to doesn't exist {channel}`; a garbage replay id is `400::The replayId {x} you provided
  was invalid...`.
- Authentication: a missing, unknown or expired token answers HTTP 401 whose body is still a Bayeux
  array, as documented under "Handling Streaming API Errors": a handshake gets
  `403::Handshake denied` with `ext.sfdc.failureReason: "401::Authentication invalid"`, any other
  message gets `401::Authentication invalid` (`401::Request requires authentication` without a
  token), both with `advice.reconnect: "none"`. Other injected faults answer as REST does.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import SalesforceError
from .events import ALL_CHANGES

# A client that sends nothing for this long (`org.cometd_client_idle` overrides it) is forgotten: Salesforce
# expires a client that does not reconnect within 40 s; its next message gets 403::Unknown client.
CLIENT_IDLE_SECONDS = 40.0
WAIT_SLICE = 1.0
REPLAY_HELP = "Please provide a valid ID, -2 to replay all events, or -1 to replay only new events."


class _Client:
    """One handshaken Bayeux client: its subscriptions with their replay cursors."""

    def __init__(self, client_id: str) -> None:
        self.id = client_id
        self.cursors: dict[str, int] = {}  # channel -> last replay id delivered (-2: all retained)
        self.seen = time.monotonic()
        self.connected = False  # the first /meta/connect is answered at once, as CometD servers do


class CometD:
    """The Bayeux server of one org."""

    def __init__(self, org: Any) -> None:
        self.org = org
        self.clients: dict[str, _Client] = {}
        self.lock = threading.Lock()

    # -- plumbing --------------------------------------------------------------------------------

    def _advice(self) -> dict[str, Any]:
        return {"reconnect": "retry", "interval": 0, "timeout": int(self.org.cometd_timeout * 1000)}

    def _client(self, message: dict[str, Any]) -> _Client | None:
        now = time.monotonic()
        idle = getattr(self.org, "cometd_client_idle", CLIENT_IDLE_SECONDS)
        with self.lock:
            for stale in [c for c in self.clients.values() if now - c.seen > idle]:
                del self.clients[stale.id]
            client = self.clients.get(str(message.get("clientId")))
            if client is not None:
                client.seen = now
            return client

    @staticmethod
    def _reply(message: dict[str, Any], **fields: Any) -> dict[str, Any]:
        reply: dict[str, Any] = {"channel": message.get("channel")}
        if "id" in message:
            reply["id"] = message["id"]
        if "clientId" in message:
            reply["clientId"] = message["clientId"]
        reply.update(fields)
        return reply

    def _unknown_client(self, message: dict[str, Any]) -> dict[str, Any]:
        return self._reply(message, successful=False, error="403::Unknown client",
                           advice={"reconnect": "handshake", "interval": 0})

    def _valid_channel(self, channel: str) -> bool:
        if channel == ALL_CHANGES:
            return True
        if not channel.startswith("/data/") or not channel.endswith("ChangeEvent"):
            return False
        entity = channel[len("/data/"):-len("ChangeEvent")]
        # Custom objects drop the trailing "c": Invoice__c -> /data/Invoice__ChangeEvent.
        names = {n.lower() for n in self.org.object_names()}
        return entity.lower() in names or (entity.endswith("__") and (entity + "c").lower() in names)

    # -- meta channels ---------------------------------------------------------------------------

    def handshake(self, message: dict[str, Any]) -> dict[str, Any]:
        """/meta/handshake: a new client id."""
        types = message.get("supportedConnectionTypes") or ["long-polling"]
        if "long-polling" not in types:
            return self._reply(message, successful=False, error=f"400::Invalid connection type {types}",
                               advice={"reconnect": "none"})
        client = _Client(secrets.token_hex(14))
        with self.lock:
            self.clients[client.id] = client
        return self._reply(message, clientId=client.id, successful=True, version="1.0", minimumVersion="1.0",
                           supportedConnectionTypes=["long-polling"], advice=self._advice(),
                           ext={"replay": True, "payload.format": True})

    def subscribe(self, message: dict[str, Any]) -> dict[str, Any]:
        """/meta/subscribe: validate channel and replay id, set the client's cursor for the channel."""
        client = self._client(message)
        if client is None:
            return self._unknown_client(message)
        channel = message.get("subscription")
        if not channel:
            return self._reply(message, successful=False, error="400::Channel name not specified")
        if not str(channel).startswith("/"):
            return self._reply(message, successful=False, subscription=channel,
                               error="400::Channel subscriptions must start with a leading '/'")
        if not self._valid_channel(channel):
            return self._reply(message, successful=False, subscription=channel,
                               error=f"400::The channel you requested to subscribe to doesn't exist {{{channel}}}")
        replay = ((message.get("ext") or {}).get("replay") or {}).get(channel, -1)
        if isinstance(replay, bool) or not isinstance(replay, int) or replay < -2:
            return self._reply(message, successful=False, subscription=channel,
                               error=f"400::The replayId {{{replay}}} you provided was invalid. {REPLAY_HELP}")
        # -1 means "from now on": pin the cursor to the newest event so later ones are delivered.
        cursor = self.org.events.last_replay_id(channel) if replay == -1 else replay
        with self.lock:
            client.cursors[channel] = cursor
        return self._reply(message, successful=True, subscription=channel)

    def unsubscribe(self, message: dict[str, Any]) -> dict[str, Any]:
        """/meta/unsubscribe: drop the channel's cursor."""
        client = self._client(message)
        if client is None:
            return self._unknown_client(message)
        channel = str(message.get("subscription"))
        with self.lock:
            known = client.cursors.pop(channel, None) is not None
        if not known:
            return self._reply(message, successful=False, subscription=channel,
                               error=f"400::Not subscribed to {channel}")
        return self._reply(message, successful=True, subscription=channel)

    def disconnect(self, message: dict[str, Any]) -> dict[str, Any]:
        """/meta/disconnect: forget the client."""
        with self.lock:
            known = self.clients.pop(str(message.get("clientId")), None) is not None
        if not known:
            return self._unknown_client(message)
        return self._reply(message, successful=True)

    def _pending(self, client: _Client) -> list[dict[str, Any]]:
        """Events after the client's cursors, across its channels, advancing the cursors."""
        out: list[dict[str, Any]] = []
        with self.lock:
            cursors = dict(client.cursors)
        for channel, cursor in cursors.items():
            events = self.org.events.since(channel, cursor)
            if events:
                out.extend(events)
                with self.lock:
                    if channel in client.cursors:
                        client.cursors[channel] = events[-1]["data"]["event"]["replayId"]
        return sorted(out, key=lambda e: e["data"]["event"]["replayId"])  # commit order across channels

    async def connect(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """/meta/connect: held until events exist for the client or the timeout passes."""
        client = self._client(message)
        if client is None:
            return [self._unknown_client(message)]
        if message.get("connectionType", "long-polling") != "long-polling":
            return [self._reply(message, successful=False, advice={"reconnect": "none"},
                                error=f"400::Invalid connection type {message.get('connectionType')}")]
        self.org.count("cometd_connect")
        deadline = time.monotonic() + self.org.cometd_timeout
        events = self._pending(client)
        held, client.connected = client.connected, True
        while held and not events and client.id in self.clients:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            with self.lock:
                positions = dict(client.cursors)
                client.seen = time.monotonic()  # a held client is not idle
            # Block in a worker thread; slices of at most WAIT_SLICE notice new subscriptions and disconnects.
            await anyio.to_thread.run_sync(self.org.events.wait_many, positions, min(remaining, WAIT_SLICE))
            events = self._pending(client)
        client.seen = time.monotonic()
        return [*events, self._reply(message, successful=True, clientId=client.id, advice=self._advice())]

    # -- HTTP ------------------------------------------------------------------------------------

    def _auth_failure(self, messages: list[dict[str, Any]], exc: SalesforceError, request: Request) -> Response:
        missing = not request.headers.get("authorization")
        reason = "401::Request requires authentication" if missing else "401::Authentication invalid"
        replies = []
        for message in messages:
            if message.get("channel") == "/meta/handshake":
                replies.append(self._reply(message, successful=False, error="403::Handshake denied",
                                           ext={"sfdc": {"failureReason": reason}}, advice={"reconnect": "none"}))
            else:
                replies.append(self._reply(message, successful=False, error=reason,
                                           advice={"reconnect": "none", "interval": 0}))
        return JSONResponse(replies, status_code=exc.status)

    async def handle(self, request: Request) -> Response:
        """POST /cometd/{version}: answer every message of the batch, connects last."""
        try:
            body = json.loads(await request.body() or b"[]")
        except ValueError:
            return JSONResponse([{"successful": False, "error": "400::Invalid JSON"}], status_code=400)
        batch = [body] if isinstance(body, dict) else body if isinstance(body, list) else []
        messages = [m for m in batch if isinstance(m, dict)]
        try:
            await self.org.aguard(request)
        except SalesforceError as exc:
            if exc.status == 401:
                return self._auth_failure(messages, exc, request)
            return self.org.error_response(exc)
        replies: list[dict[str, Any]] = []
        connects = []
        for message in messages:
            channel = message.get("channel")
            if channel == "/meta/handshake":
                replies.append(self.handshake(message))
            elif channel == "/meta/subscribe":
                replies.append(self.subscribe(message))
            elif channel == "/meta/unsubscribe":
                replies.append(self.unsubscribe(message))
            elif channel == "/meta/disconnect":
                replies.append(self.disconnect(message))
            elif channel == "/meta/connect":
                connects.append(message)
            else:
                # Publishing is not allowed on CDC channels.
                replies.append(self._reply(message, successful=False, error=f"403:{channel}:Publish denied"))
        for message in connects:
            replies.extend(await self.connect(message))
        response = JSONResponse(replies)
        if any(r.get("channel") == "/meta/handshake" and r.get("successful") for r in replies):
            # Salesforce pins a browser session with this cookie; clients just send it back.
            response.set_cookie("BAYEUX_BROWSER", secrets.token_hex(8), httponly=True)
        return response


def routes(org: Any) -> list[Route]:
    """The Streaming API route (`/cometd/{version}`)."""
    server = CometD(org)
    return [Route("/cometd/{version}", server.handle, methods=["POST"])]
