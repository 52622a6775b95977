"""Salesforce Change Data Capture over CometD long polling (connectors layer).

`ChangeEventStream(profile, props, ctx)` is the `EventStream` behind `SPEC.open_events`: it
handshakes with `POST {instanceUrl}/cometd/59.0` (Bayeux 1.0, `Authorization: Bearer`), subscribes
to the object's change channel (`/data/AccountChangeEvent`, `/data/Foo__ChangeEvent` for `Foo__c`)
with the replay extension (`ctx.replay_from`, or -1: only new events), then long-polls
`/meta/connect`. See docs/salesforce-wire.md and Salesforce's Streaming API Developer Guide.

Records: every event becomes one flat record per id in `ChangeEventHeader.recordIds`:

* the changed fields of the payload as they come (an update carries only what changed);
  compound fields are flattened to the object's own field names - `BillingAddress: {Street}` ->
  `BillingStreet`, Lead `Address: {City}` -> `City`, `Name: {FirstName}` -> `FirstName`,
  geolocation `Loc__c: {Latitude}` -> `Loc__Latitude__s`; any other nested value is JSON text;
* `Id` (the record id), `ChangeType` (`CREATE`, `UPDATE`, `DELETE`, `UNDELETE`, `GAP_*`, ...),
  `ChangeEventCommitTimestamp` (`commitTimestamp`, epoch milliseconds) and `ReplayId` (int).
  The header itself is not kept.

Threading: Salesforce holds a connect up to `advice.timeout` (110 s) and a held connect must not
be abandoned (the server may already have written events to it), so a background thread owns the
long poll and hands event lists to `poll()` through a bounded queue; `poll(timeout)` therefore
returns within `timeout` whatever the server's hold. The queue is bounded so a consumer that
stops polling stops the reading too (Salesforce then drops the session; the re-handshake below
resumes from the last replay id, so nothing is lost). Errors the thread cannot recover from are
re-raised by the next `poll()`. `close()` returns within ~4 s; a connect the server still holds
then ends in the (daemon) reader when the server answers it (a disconnect makes CometD answer it).

Recovery: `403::Unknown client` / `advice.reconnect: handshake` -> new handshake and subscription
from the last replay id received (events at or before it are dropped, so none repeats); an invalid
token (HTTP 401, `401::...`, `403::Handshake denied` with `401` in `ext.sfdc.failureReason`) ->
one token refresh (`auth.refresh`, stored through `profile.save_credentials`), then a connect with
the same client (a new handshake when the server has forgotten it); network errors
and 5xx -> `settings.max_attempts()` tries with exponential backoff, then
`ConnectorError("ServerError")`. A stream subscribed with -1 that loses its session before its
first event cannot replay the gap (it has no replay id yet).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import queue
import threading
from collections.abc import Mapping
from typing import Any

import httpx

from sluice.connectors.base import ConnectorError, EventBatch, EventContext, ProfileView
from sluice.connectors.salesforce import auth, settings

log = logging.getLogger(__name__)

# Seconds added to the server's hold time for the connect read timeout (network slack).
CONNECT_MARGIN = 15.0
SHORT_TIMEOUT = 30.0  # handshake / subscribe / disconnect
QUEUE_SLOTS = 16  # connect answers held for poll() before the reader waits
DEFAULT_HOLD_MS = 110_000


class _AuthInvalid(Exception):
    """The access token was refused: refresh it and handshake again."""


class _Rehandshake(Exception):
    """The server forgot the client (or asked for a new handshake)."""


def change_channel(object_name: str) -> str:
    """The CDC channel of an object: `Account` -> `/data/AccountChangeEvent`, `Foo__c` -> `/data/Foo__ChangeEvent`."""
    if object_name.endswith("__c"):
        return f"/data/{object_name[:-3]}__ChangeEvent"
    return f"/data/{object_name}ChangeEvent"


def _flatten(name: str, value: dict[str, Any]) -> dict[str, Any]:
    # The event names components by their short names; the object's fields carry a prefix.
    if name.endswith("Address"):
        return {name[: -len("Address")] + key: item for key, item in value.items()}
    if name == "Name":
        return dict(value)  # FirstName, LastName, ... are the object's own field names
    if name.endswith("__c") and set(value) <= {"Latitude", "Longitude"}:
        return {f"{name[:-3]}__{key}__s": item for key, item in value.items()}
    return {name: json.dumps(value, sort_keys=True)}


def event_records(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The flat records of one CometD change-event message (see the module docstring)."""
    data = event.get("data") or {}
    payload = dict(data.get("payload") or {})
    header = payload.pop("ChangeEventHeader", None) or {}
    fields: dict[str, Any] = {}
    for name, value in payload.items():
        if isinstance(value, dict):
            fields.update(_flatten(name, value))
        elif isinstance(value, list):
            fields[name] = json.dumps(value)
        else:
            fields[name] = value
    extra = {
        "ChangeType": header.get("changeType"),
        "ChangeEventCommitTimestamp": header.get("commitTimestamp"),
        "ReplayId": (data.get("event") or {}).get("replayId"),
    }
    return [{**fields, "Id": record_id, **extra} for record_id in header.get("recordIds") or [None]]


class ChangeEventStream:
    """A live CDC subscription to one object (an `EventStream`)."""

    def __init__(
        self,
        profile: ProfileView,
        props: Mapping[str, Any],
        ctx: EventContext,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Handshake and subscribe (raising `ConnectorError` on failure), then start the reader."""
        self._profile = profile
        self._ctx = ctx
        object_name = props.get("object")
        if not object_name:
            raise ConnectorError("InvalidArgument", "SalesforceSourceProperties.object is required for events")
        self._channel = change_channel(str(object_name))
        # Profiles may hold the Salesforce member wrapped or not; auth.member unwraps both.
        self._credentials = auth.member(profile.credentials)
        self._props = auth.member(profile.properties)
        self._ids = itertools.count(1)
        self._client_id: str | None = None
        self._hold_ms = DEFAULT_HOLD_MS
        self._interval_ms = 0
        # Last replay id received (None until the first event when starting from "now").
        try:
            self._last: int | None = int(ctx.replay_from) if ctx.replay_from else None
        except ValueError:
            raise ConnectorError("InvalidArgument", f"replay id {ctx.replay_from!r} is not a number") from None
        self._queue: queue.Queue[list[dict[str, Any]] | ConnectorError] = queue.Queue(QUEUE_SLOTS)
        self._error: ConnectorError | None = None
        self._closed = threading.Event()
        # One client for CometD and token calls: it keeps the session cookies the handshake sets.
        # Tests hand in a scripted transport; otherwise the client calls only Salesforce's hosts.
        self._http = (httpx.Client(transport=transport, timeout=SHORT_TIMEOUT) if transport is not None
                      else settings.http_client(request_timeout=SHORT_TIMEOUT))
        try:
            if not self._credentials.get("accessToken"):
                self._credentials = auth.member(auth.obtain_tokens(profile, self._http))
                self._save()
            instance = auth.instance_url_of(self._credentials, self._props)
            if not instance:
                raise ConnectorError("InvalidArgument", "The Salesforce profile has no instanceUrl")
            self._url = f"{instance}/cometd/{settings.API_VERSION}"
            self._start_session()
        except BaseException:
            self._http.close()
            raise
        self._reader = threading.Thread(target=self._run, name=f"sf-cdc-{ctx.flow_name}", daemon=True)
        self._reader.start()

    # -- the EventStream protocol ------------------------------------------------------------

    def poll(self, timeout: float) -> EventBatch | None:
        """Wait up to `timeout` seconds; the events received so far as one batch, or None."""
        if self._error is not None:
            raise self._error
        try:
            items = [self._queue.get(timeout=max(0.0, timeout))]
        except queue.Empty:
            return None
        while True:  # take whatever else already arrived, so batches are as large as possible
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        records: list[dict[str, Any]] = []
        replay_id: Any = None
        for item in items:
            if isinstance(item, ConnectorError):
                self._error = item  # hand out the events before it first
                break
            for event in item:
                records.extend(event_records(event))
                replay_id = event["data"]["event"]["replayId"]
        if replay_id is None:
            raise self._error or ConnectorError("ServerError", "change event stream failed")
        return EventBatch(records=records, replay_id=str(replay_id))

    def close(self) -> None:
        """Unsubscribe, disconnect and release the connection (best effort, never raises)."""
        if self._closed.is_set():
            return
        self._closed.set()
        with contextlib.suppress(Exception):  # closing must never fail the caller
            if self._client_id:
                base = {"clientId": self._client_id}
                unsubscribe = {"channel": "/meta/unsubscribe", "subscription": self._channel, **base}
                self._send([unsubscribe, {"channel": "/meta/disconnect", **base}], timeout=5.0, attempts=1)
        # The server answers the held connect on disconnect; closing the client ends it otherwise.
        self._reader.join(timeout=2.0)
        self._http.close()
        self._reader.join(timeout=2.0)

    # -- Bayeux ------------------------------------------------------------------------------

    def _send(
        self, messages: list[dict[str, Any]], timeout: float, attempts: int | None = None
    ) -> list[dict[str, Any]]:
        """POST messages; retries network errors and 5xx; raises `_AuthInvalid` on HTTP 401."""
        for message in messages:
            message["id"] = str(next(self._ids))
        tries = attempts or settings.max_attempts()
        delay = settings.backoff_base()
        problem = ""
        for attempt in range(tries):
            if attempt:
                # Sleep, but wake up at once when the stream is being closed.
                if self._closed.wait(delay):
                    break
                delay = min(delay * 2, settings.BACKOFF_CAP)
            try:
                response = self._http.post(
                    self._url,
                    json=messages,
                    headers={"Authorization": f"Bearer {self._credentials.get('accessToken', '')}"},
                    timeout=httpx.Timeout(SHORT_TIMEOUT, read=timeout),
                )
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                log.debug("CometD request to %s failed (%s), attempt %d of %d", self._url, problem, attempt + 1, tries)
                continue
            if response.status_code == 401:
                raise _AuthInvalid(response.text[:200])
            if response.status_code >= 500 or response.status_code == 429:
                problem = f"HTTP {response.status_code}"
                continue
            if response.status_code >= 400:
                code = "ThrottlingError" if "REQUEST_LIMIT_EXCEEDED" in response.text else "ServerError"
                raise ConnectorError(
                    code, f"Salesforce Streaming API: HTTP {response.status_code} {response.text[:300]}"
                )
            body = response.json()
            return body if isinstance(body, list) else [body]
        raise ConnectorError(
            "ServerError", f"Salesforce Streaming API unreachable at {self._url} ({problem}) after {tries} tries"
        )

    def _reply(self, messages: list[dict[str, Any]], channel: str) -> dict[str, Any]:
        """The `channel` reply among `messages`; raises the recovery signals its error calls for."""
        reply = next((m for m in messages if m.get("channel") == channel), None)
        if reply is None:
            raise ConnectorError("ServerError", f"Salesforce Streaming API sent no {channel} reply")
        advice = reply.get("advice") or {}
        if "timeout" in advice:
            self._hold_ms = int(advice["timeout"])
        if "interval" in advice:
            self._interval_ms = int(advice["interval"])
        if reply.get("successful"):
            return reply
        error = str(reply.get("error") or "")
        reason = str(((reply.get("ext") or {}).get("sfdc") or {}).get("failureReason") or "")
        if error.startswith("401") or reason.startswith("401"):
            raise _AuthInvalid(error or reason)
        if error.startswith("403::Unknown client") or advice.get("reconnect") == "handshake":
            raise _Rehandshake(error)
        if channel == "/meta/subscribe":
            raise ConnectorError("InvalidArgument", f"Cannot subscribe to {self._channel}: {error}")
        raise ConnectorError("ServerError", f"Salesforce Streaming API {channel} failed: {error}")

    def _handshake(self) -> None:
        # ext.replay announces the replay extension (the subscribe carries the replay ids).
        message: dict[str, Any] = {"channel": "/meta/handshake", "version": "1.0", "minimumVersion": "1.0"}
        message.update(supportedConnectionTypes=["long-polling"], ext={"replay": True})
        self._client_id = str(self._reply(self._send([message], SHORT_TIMEOUT), "/meta/handshake")["clientId"])

    def _subscribe(self) -> None:
        replay = self._last if self._last is not None else -1
        message: dict[str, Any] = {"channel": "/meta/subscribe", "clientId": self._client_id}
        message.update(subscription=self._channel, ext={"replay": {self._channel: replay}})
        self._reply(self._send([message], SHORT_TIMEOUT), "/meta/subscribe")

    def _start_session(self, refreshed: bool = False) -> None:
        """Handshake + subscribe, recovering once from a forgotten client and once from a stale token."""
        rehandshaken = False
        while True:
            try:
                self._handshake()
                self._subscribe()
                return
            except _AuthInvalid as exc:
                if refreshed:
                    raise ConnectorError("InvalidCredentials", f"Salesforce refused the token: {exc}") from None
                self._reauthenticate()
                refreshed = True
            except _Rehandshake as exc:
                if rehandshaken:
                    raise ConnectorError("ServerError", f"Salesforce keeps refusing the client: {exc}") from None
                rehandshaken = True

    def _reauthenticate(self) -> None:
        """Obtain a new access token (auth.refresh: refresh-token or grant again) and store it."""
        instance = auth.instance_url_of(self._credentials, self._props)
        self._credentials = auth.refresh({**self._credentials, "instanceUrl": instance}, self._props, self._http,
                                         self._profile.aws)
        self._url = f"{auth.instance_url_of(self._credentials, self._props)}/cometd/{settings.API_VERSION}"
        self._save()

    def _save(self) -> None:
        if self._profile.save_credentials is None:
            return
        try:
            # Stored in the shape the profile holds them (wrapped in the Salesforce member or not).
            self._profile.save_credentials(auth.wrap_like(self._profile.credentials, self._credentials))
        except Exception as exc:  # the stream goes on with the token it holds
            log.warning("could not store the renewed Salesforce token for %s: %s", self._ctx.flow_name, exc)

    def _connect(self) -> list[dict[str, Any]]:
        """One long poll: the new events of our channel (replay ids after the last one seen)."""
        message = {"channel": "/meta/connect", "clientId": self._client_id, "connectionType": "long-polling"}
        answer = self._send([message], self._hold_ms / 1000 + CONNECT_MARGIN)
        events = []
        for item in answer:
            if item.get("channel") != self._channel or "data" not in item:
                continue
            replay_id = int(item["data"]["event"]["replayId"])
            if self._last is not None and replay_id <= self._last:
                continue  # already received before a re-handshake
            self._last = replay_id
            events.append(item)
        if events:
            self._hand_over(events)  # before the reply is checked: these events were delivered
        self._reply(answer, "/meta/connect")
        return events

    def _hand_over(self, item: list[dict[str, Any]] | ConnectorError) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        """The reader thread: long-poll until closed, recovering sessions as Salesforce asks."""
        refreshed = False
        while not self._closed.is_set() and not self._ctx.should_stop():
            try:
                try:
                    self._connect()
                    refreshed = False  # a token that worked may be refreshed again when it expires
                except _Rehandshake as exc:
                    log.info(
                        "flow %s: new CometD handshake after %s (replay from %s)", self._ctx.flow_name, exc, self._last
                    )
                    self._start_session(refreshed=refreshed)
                except _AuthInvalid as exc:
                    if refreshed:  # the token refreshed a moment ago is refused too: give up
                        raise ConnectorError("InvalidCredentials", f"Salesforce refused the token: {exc}") from None
                    refreshed = True
                    log.info(
                        "flow %s: Salesforce refused the access token (%s); refreshing it", self._ctx.flow_name, exc
                    )
                    # Connect again with the new token and the same client first: if the server kept the
                    # client, its subscription cursor is intact (nothing missed even before the first
                    # event); if not, "403::Unknown client" brings the new handshake.
                    self._reauthenticate()
                    continue
                if self._interval_ms:
                    self._closed.wait(self._interval_ms / 1000)
            except Exception as exc:  # handed to poll(), which raises it; a bug is not swallowed either
                if not self._closed.is_set():
                    error = exc if isinstance(exc, ConnectorError) else None
                    self._hand_over(error or ConnectorError("ServerError", f"Salesforce change events: {exc!r}"))
                return
