"""The fake Deep Security manager's state: API keys, seeded objects, throttling and the request log.

Tests drive it through this Python API (not Trend Micro's): `throttle_next(n)` makes the next n calls
answer 429, `add_software_changes` adds changes later (for incremental pulls), `revoke(key)` locks a
key out, and `requests` records what clients asked for, bodies included.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

from tests.fakes.common.https import RequestLog
from tests.fakes.common.throttle import Throttles

from .records import OBJECTS, software_change
from .search import SearchError, compile_criterion

DEFAULT_KEY = "2:Fw0Q3y9cWkq3W5p8pRZcV1b7rZk0Hn6m9sLx2tQ4uYg="
MAX_ITEMS = 5000  # the search's default and largest page


class BodyRequestLog(RequestLog):
    """A RequestLog keeping each request's parsed JSON body (searches take their filter in the body)."""

    def add(self, method: str, path: str, query: dict[str, list[str]], body: Any = None) -> None:
        with self._lock:
            self.entries.append({"method": method, "path": path, "query": query, "body": body})


class TrendMicroState:
    """One fake manager (thread-safe). `sizes` sets how many of each object are seeded (default `records`)."""

    def __init__(self, records: int = 300, seed: int = 7, key: str = DEFAULT_KEY,
                 sizes: Mapping[str, int] | None = None) -> None:
        self.seed = seed
        self.sizes = {name: int((sizes or {}).get(name, records)) for name in OBJECTS}
        self.keys = {key}
        self.extra: dict[str, list[dict[str, Any]]] = {name: [] for name in OBJECTS}
        self.requests = BodyRequestLog()
        self.throttles = Throttles()
        self._lock = threading.Lock()

    # -- test controls ------------------------------------------------------------------------

    def throttle_next(self, count: int = 1, after: int = 0) -> None:
        """Answer the next `count` API calls (after `after` pass) with 429."""
        self.throttles.add(count, after, "/api/")

    def revoke(self, key: str) -> None:
        """Lock an API key out."""
        self.keys.discard(key)

    def add_software_changes(self, count: int, at_ms: int) -> list[dict[str, Any]]:
        """Record `count` new software changes that happened at `at_ms`; the new records."""
        with self._lock:
            start = self.sizes["softwarechanges"] + len(self.extra["softwarechanges"])
            added = [software_change(start + i, self.seed, at_ms) for i in range(count)]
            self.extra["softwarechanges"].extend(added)
            return added

    # -- the API --------------------------------------------------------------------------------

    def record(self, kind: str, index: int) -> dict[str, Any]:
        """The object at `index` (ID index+1)."""
        size = self.sizes[kind]
        return OBJECTS[kind][1](index, self.seed) if index < size else self.extra[kind][index - size]

    def count(self, kind: str) -> int:
        return self.sizes[kind] + len(self.extra[kind])

    def scan(self, kind: str, start: int = 0) -> Iterator[dict[str, Any]]:
        """Every object of `kind` from index `start`, in ID order."""
        for index in range(start, self.count(kind)):
            yield self.record(kind, index)

    def search(self, kind: str, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The objects a search filter finds, in ID order, at most `maxItems`."""
        criteria = body.get("searchCriteria") or []
        if not isinstance(criteria, list):
            raise SearchError("searchCriteria must be a list.")
        limit = body.get("maxItems", MAX_ITEMS)
        if not isinstance(limit, int) or limit < 0:
            raise SearchError("Invalid maxItems.")
        known = set(self.record(kind, 0)) if self.count(kind) else {"ID"}
        tests = [compile_criterion(c, known) for c in criteria]
        start = 0
        for c in criteria:  # an ID lower bound lets the scan start late (IDs follow the index)
            if "fieldName" not in c and c.get("idTest") in ("greater-than", "greater-than-or-equal"):
                bound = int(c["idValue"]) + (1 if c["idTest"] == "greater-than" else 0)
                start = max(start, bound - 1)
        found = []
        for record in self.scan(kind, start):
            if len(found) >= min(limit, MAX_ITEMS):
                break
            if all(test(record) for test in tests):
                found.append(record)
        return found
