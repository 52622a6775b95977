"""Records ordered by (timestamp, sequence): a lazily made seeded part plus records added later (fake side).

Seeded record i has timestamp `start_ms + i * spacing_ms` and is made only when read, so a fake with
500,000 logs starts instantly. Records added by tests (`add`) go into a sorted list. Reading walks both in
key order from a key, forwards or backwards, which is what Datadog's opaque page cursors give a client:
a position that stays right when new records arrive between pages.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterator
from typing import Any

Key = tuple[int, int]
Factory = Callable[[int, int, int, int], dict[str, Any]]  # (seed, index, timestamp_ms, seq) -> record


class Timeline:
    """One kind of record (logs or events) in time order."""

    def __init__(self, factory: Factory, count: int, seed: int, start_ms: int, spacing_ms: int) -> None:
        self.factory = factory
        self.count = count
        self.seed = seed
        self.start_ms = start_ms
        self.spacing_ms = max(1, spacing_ms)
        self._added_keys: list[Key] = []
        self._added: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self.count + len(self._added)

    def seeded_key(self, index: int) -> Key:
        """The key of seeded record `index`."""
        return (self.start_ms + index * self.spacing_ms, index)

    def add(self, timestamp_ms: int, make: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
        """Insert a record made by `make(seq)` at `timestamp_ms`; returns it."""
        with self._lock:
            seq = self.count + len(self._added)
            record = make(seq)
            key = (timestamp_ms, seq)
            at = bisect.bisect_right(self._added_keys, key)
            self._added_keys.insert(at, key)
            self._added.insert(at, record)
            return record

    def _seeded_after(self, key: Key | None, lo_ms: int) -> int:
        """The first seeded index whose key is after `key` and whose time is >= lo_ms."""
        first = 0 if lo_ms <= self.start_ms else -(-(lo_ms - self.start_ms) // self.spacing_ms)
        if key is not None:
            t = key[0]
            after = 0 if t < self.start_ms else (t - self.start_ms) // self.spacing_ms
            while after < self.count and self.seeded_key(after) <= key:
                after += 1
            first = max(first, after)
        return min(first, self.count)

    def _seeded_before(self, key: Key | None, hi_ms: int) -> int:
        """The last seeded index whose key is before `key` and whose time is < hi_ms (-1 if none)."""
        if hi_ms <= self.start_ms:
            return -1
        last = min(self.count - 1, (hi_ms - 1 - self.start_ms) // self.spacing_ms)
        if key is not None:
            t, _ = key
            if t < self.start_ms:
                return -1
            before = min(self.count - 1, (t - self.start_ms) // self.spacing_ms)
            while before >= 0 and self.seeded_key(before) >= key:
                before -= 1
            last = min(last, before)
        return last

    def scan(self, lo_ms: int, hi_ms: int, after: Key | None = None, descending: bool = False
             ) -> Iterator[tuple[Key, dict[str, Any]]]:
        """Records with lo_ms <= timestamp < hi_ms, strictly past `after` in the chosen order."""
        with self._lock:
            keys, records = list(self._added_keys), list(self._added)
        if descending:
            yield from self._scan_down(lo_ms, hi_ms, after, keys, records)
        else:
            yield from self._scan_up(lo_ms, hi_ms, after, keys, records)

    def _scan_up(self, lo_ms: int, hi_ms: int, after: Key | None, keys: list[Key],
                 records: list[dict[str, Any]]) -> Iterator[tuple[Key, dict[str, Any]]]:
        i = self._seeded_after(after, lo_ms)
        j = bisect.bisect_right(keys, after) if after is not None else 0
        j = max(j, bisect.bisect_left(keys, (lo_ms, -1)))
        while True:
            seeded = self.seeded_key(i) if i < self.count else None
            added = keys[j] if j < len(keys) else None
            if seeded is None and added is None:
                return
            if added is None or (seeded is not None and seeded < added):
                assert seeded is not None
                if seeded[0] >= hi_ms:
                    return
                yield seeded, self.factory(self.seed, i, seeded[0], seeded[1])
                i += 1
            else:
                if added[0] >= hi_ms:
                    return
                yield added, records[j]
                j += 1

    def _scan_down(self, lo_ms: int, hi_ms: int, before: Key | None, keys: list[Key],
                   records: list[dict[str, Any]]) -> Iterator[tuple[Key, dict[str, Any]]]:
        i = self._seeded_before(before, hi_ms)
        j = (bisect.bisect_left(keys, before) if before is not None else len(keys)) - 1
        j = min(j, bisect.bisect_left(keys, (hi_ms, -1)) - 1)
        while True:
            seeded = self.seeded_key(i) if i >= 0 else None
            added = keys[j] if j >= 0 else None
            if seeded is None and added is None:
                return
            if added is None or (seeded is not None and seeded > added):
                assert seeded is not None
                if seeded[0] < lo_ms:
                    return
                yield seeded, self.factory(self.seed, i, seeded[0], seeded[1])
                i -= 1
            else:
                if added[0] < lo_ms:
                    return
                yield added, records[j]
                j -= 1
