"""The change-event log behind the fake's Change Data Capture channels (`/data/<Entity>ChangeEvent`)."""

from __future__ import annotations

import threading
import time
import uuid

ALL_CHANGES = "/data/ChangeEvents"  # Salesforce's standard channel carrying every entity's events


def channel_for(entity: str) -> str:
    """The CDC channel of an entity, e.g. /data/AccountChangeEvent."""
    return f"/data/{entity}ChangeEvent"


class EventLog:
    """Every change event ever published (the fake retains all), with blocking waits for long polling.

    Replay ids are one increasing sequence shared by all channels, starting at 1.
    """

    def __init__(self, commit_user: str = "0055g0000000001AAA") -> None:
        self._cond = threading.Condition()
        self._events: list[dict] = []
        self._by_channel: dict[str, list[dict]] = {}
        self._commit = 0
        self.commit_user = commit_user
        self.closed = False  # set when the server stops, so held long polls return at once

    def append(self, entity: str, change_type: str, record_ids: list[str], fields: dict,
               change_origin: str = "com/salesforce/api/rest/59.0") -> int:
        """Publish one event (CREATE/UPDATE/DELETE/UNDELETE) for `record_ids`; returns its replay id."""
        with self._cond:
            replay_id = len(self._events) + 1
            self._commit += 1
            header = {
                "entityName": entity, "recordIds": list(record_ids), "changeType": change_type,
                "changedFields": list(fields) if change_type == "UPDATE" else [], "diffFields": [], "nulledFields":
                [k for k, v in fields.items() if v is None] if change_type == "UPDATE" else [],
                # Epoch milliseconds of a whole second, as Salesforce stamps commits (the CDC
                # guide's examples, e.g. 1569885806000; measured on real orgs too).
                "commitTimestamp": int(time.time()) * 1000, "commitNumber": 10_000_000 + self._commit,
                "transactionKey": str(uuid.UUID(int=self._commit)), "sequenceNumber": 1,
                "commitUser": self.commit_user, "changeOrigin": change_origin,
            }
            channel = channel_for(entity)
            event = {
                "channel": channel,
                "data": {"schema": f"fake-{entity}-schema-v1", "payload": {"ChangeEventHeader": header, **fields},
                         "event": {"replayId": replay_id}},
            }
            self._events.append(event)
            self._by_channel.setdefault(channel, []).append(event)
            self._cond.notify_all()
            return replay_id

    def _on(self, channel: str) -> list[dict]:
        if channel == ALL_CHANGES:
            return [{**e, "channel": ALL_CHANGES} for e in self._events]
        return self._by_channel.get(channel, [])

    def since(self, channel: str, replay_id: int) -> list[dict]:
        """Events on `channel` after `replay_id`; -1 means none of the past, -2 all retained events."""
        with self._cond:
            if replay_id == -1:
                return []
            after = 0 if replay_id == -2 else replay_id
            return [e for e in self._on(channel) if e["data"]["event"]["replayId"] > after]

    def last_replay_id(self, channel: str) -> int:
        """The newest replay id on `channel` (0 when it has none)."""
        with self._cond:
            events = self._on(channel)
            return events[-1]["data"]["event"]["replayId"] if events else 0

    def wait(self, channel: str, after: int, timeout: float) -> list[dict]:
        """Block until `channel` has events with replayId > `after` (a concrete id), or `timeout` seconds pass."""
        return self.wait_many({channel: after}, timeout)

    def wait_many(self, positions: dict[str, int], timeout: float) -> list[dict]:
        """Like wait, over several channels: `positions` maps channel -> last replay id seen."""
        deadline = time.monotonic() + timeout

        def ready() -> list[dict]:
            found = []
            for channel, after in positions.items():
                found.extend(e for e in self._on(channel) if e["data"]["event"]["replayId"] > after)
            return sorted(found, key=lambda e: e["data"]["event"]["replayId"])

        with self._cond:
            while True:
                found = ready()
                remaining = deadline - time.monotonic()
                if found or remaining <= 0 or self.closed:
                    return found
                self._cond.wait(remaining)

    def wake_all(self, close: bool = True) -> None:
        """Wake every waiter; with `close`, waits return at once until `closed` is reset (server stopping)."""
        with self._cond:
            self.closed = close
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._events)
