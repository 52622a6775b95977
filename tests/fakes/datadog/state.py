"""The fake Datadog organisation: keys, seeded logs/events, metrics, throttling and the request log.

Tests drive it through this Python API (not part of Datadog's): `throttle_next(n)` makes the next n API
calls answer 429, `add_logs` / `add_events` add records later (for incremental pulls), `revoke_api_key`
invalidates a key, and `requests` (a RequestLog) records what clients asked for, bodies included.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from tests.fakes.common.https import RequestLog

from .records import log_id, make_event, make_log
from .search import SearchView
from .timeline import Timeline

DEFAULT_API_KEY = "0123456789abcdef0123456789abcdef"
DEFAULT_APP_KEY = "fedcba9876543210fedcba9876543210fedcba98"
DEFAULT_START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


class BodyRequestLog(RequestLog):
    """A RequestLog that also keeps JSON request bodies (the Logs search API takes its filter in the body)."""

    def add(self, method: str, path: str, query: dict[str, list[str]], body: Any = None) -> None:
        """Remember one request and its parsed JSON body, if any."""
        with self._lock:
            self.entries.append({"method": method, "path": path, "query": query, "body": body})


class RateLimit:
    """One named Datadog rate-limit bucket, reported in X-RateLimit-* headers (calendar-aligned periods)."""

    def __init__(self, name: str, limit: int, period: int) -> None:
        self.name, self.limit, self.period = name, limit, period
        self.window = -1
        self.used = 0

    def headers(self, now: float, reset: int | None = None, exhausted: bool = False) -> dict[str, str]:
        """Count one call and answer the headers Datadog sends with it."""
        window = int(now // self.period)
        if window != self.window:
            self.window, self.used = window, 0
        self.used += 1
        left = 0 if exhausted else max(0, self.limit - self.used)
        until_reset = reset if reset is not None else self.period - int(now % self.period)
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Period": str(self.period),
                "X-RateLimit-Remaining": str(left), "X-RateLimit-Reset": str(until_reset),
                "X-RateLimit-Name": self.name}


class DatadogState:
    """Everything the fake serves; safe to use from test threads while the server runs."""

    def __init__(self, logs: int = 300, events: int = 200, seed: int = 7, start: dt.datetime = DEFAULT_START,
                 log_spacing_ms: int = 1000, event_spacing_ms: int = 60_000,
                 api_key: str = DEFAULT_API_KEY, app_key: str = DEFAULT_APP_KEY,
                 clock: Callable[[], float] = time.time) -> None:
        start_ms = int(start.timestamp() * 1000)
        self.seed = seed
        self.start_ms = start_ms
        self.logs = Timeline(make_log, logs, seed, start_ms, log_spacing_ms)
        self.events = Timeline(make_event, events, seed, start_ms, event_spacing_ms)
        self.api_keys = {api_key}
        self.app_keys = {app_key}
        self.clock = clock
        self.requests = BodyRequestLog()
        self.limits = {name: RateLimit(name, limit, 60) for name, limit in
                       (("logs_list", 300), ("events_list", 1000), ("metrics_query", 1600), ("validate", 6000))}
        self._lock = threading.Lock()
        self._throttle: list[int] = []
        self._throttle_after = 0

    # --- controls for tests -------------------------------------------------------------------------
    def throttle_next(self, count: int = 1, reset: int = 1, after: int = 0) -> None:
        """After `after` more API calls succeed, the next `count` answer 429 with `X-RateLimit-Reset: reset`
        (seconds): `after=1` limits a read in the middle, after its first page."""
        with self._lock:
            self._throttle.extend([reset] * count)
            self._throttle_after = after

    def take_throttle(self) -> int | None:
        """The reset value of a forced 429 due now, consuming it (None when this call goes through)."""
        with self._lock:
            if not self._throttle:
                return None
            if self._throttle_after > 0:
                self._throttle_after -= 1
                return None
            return self._throttle.pop(0)

    def revoke_api_key(self, key: str) -> None:
        """Make `key` invalid from now on (as deleting it in Datadog does)."""
        self.api_keys.discard(key)

    def now_ms(self) -> int:
        """The fake's clock, in milliseconds (date math `now-15m` is relative to it)."""
        return int(self.clock() * 1000)

    def add_logs(self, count: int = 1, timestamp_ms: int | None = None,
                 overrides: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Add `count` logs at `timestamp_ms` (default: now); `overrides` replaces top-level attributes."""
        at = self.now_ms() if timestamp_ms is None else timestamp_ms
        made = []
        for k in range(count):
            def make(seq: int, k: int = k) -> dict[str, Any]:
                record = make_log(self.seed + 1, seq, at, seq)
                record["id"] = log_id(at, seq)
                record["attributes"].update(overrides or {})
                return record
            made.append(self.logs.add(at, make))
        return made

    def add_events(self, count: int = 1, timestamp_ms: int | None = None,
                   overrides: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Add `count` events at `timestamp_ms` (default: now); `overrides` replaces fields."""
        at = self.now_ms() if timestamp_ms is None else timestamp_ms
        made = []
        for _ in range(count):
            def make(seq: int) -> dict[str, Any]:
                record = make_event(self.seed + 1, seq, at, seq)
                record.update(overrides or {})
                return record
            made.append(self.events.add(at, make))
        return made

    def authorised(self, api_key: str | None, app_key: str | None, need_app_key: bool = True) -> bool:
        """Whether the DD-API-KEY (and, where needed, DD-APPLICATION-KEY) headers are valid."""
        if api_key not in self.api_keys:
            return False
        return not need_app_key or app_key in self.app_keys


def log_view(record: dict[str, Any]) -> SearchView:
    """What a logs query sees of a stored log."""
    a = record["attributes"]
    reserved = {"service": a["service"], "status": a["status"], "host": a["host"],
                "source": next((t[7:] for t in a["tags"] if t.startswith("source:")), None), "index": record["index"]}
    return SearchView(a["message"] or "", reserved, a["tags"], a["attributes"])


def event_view(record: dict[str, Any]) -> SearchView:
    """What an events query sees of a stored event."""
    reserved = {"source": record["source_type_name"], "host": record["host"], "status": record["alert_type"],
                "priority": record["priority"], "service": record["service"]}
    attributes = {"evt": {"id": str(record["id"]), "name": record["title"]}, "title": record["title"],
                  "aggregation_key": record["aggregation_key"]}
    return SearchView(f"{record['title']}\n{record['text']}", reserved, record["tags"], attributes)


def public_log(record: dict[str, Any], iso: Callable[[int], str]) -> dict[str, Any]:
    """A stored log as the v2 Logs API answers it."""
    a = record["attributes"]
    return {"id": record["id"], "type": "log", "attributes": {**a, "timestamp": iso(a["timestamp"])}}


def matching(records: Iterable[tuple[Any, dict[str, Any]]], predicate: Callable[[dict[str, Any]], bool],
             limit: int) -> tuple[list[tuple[Any, dict[str, Any]]], bool]:
    """Up to `limit` records passing `predicate`, and whether more remain."""
    page: list[tuple[Any, dict[str, Any]]] = []
    for item in records:
        if not predicate(item[1]):
            continue
        if len(page) == limit:
            return page, True
        page.append(item)
    return page, False
