"""A time-ordered collection (problems, events): seeded records made on demand plus records added later.

Record i of the seeded part starts in [base + i*spacing, base + (i+1)*spacing), so the records that may touch
a timeframe form one index range; records added by tests (`add`) follow the seeded ones, and `patch` changes a
record in place (a problem closing). A query scans a fixed virtual sequence (seeded range, then the additions
present at the first page), so a cursor is just an offset into it: every record once, whatever is added later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .records import Timeline

Record = dict[str, Any]


@dataclass(frozen=True)
class Window:
    """A frozen query range: the seeded indexes lo..hi and the first `added` additions."""

    lo: int
    hi: int
    added: int

    def sequence(self, seeded: int, descending: bool) -> list[range]:
        """The virtual indexes to scan, in scan order (seeded records, then additions, or the reverse)."""
        parts = [range(self.lo, self.hi + 1), range(seeded, seeded + self.added)]
        if descending:
            return [range(p.stop - 1, p.start - 1, -1) for p in reversed(parts)]
        return parts


class TimedCollection:
    """Seeded records from `build(timeline, i)`, plus test additions and patches; thread-safe."""

    def __init__(self, timeline: Timeline, count: int, build: Callable[[Timeline, int], Record],
                 start_key: str = "startTime", end_key: str = "endTime") -> None:
        self.timeline = timeline
        self.count = count
        self._build = build
        self._start_key, self._end_key = start_key, end_key
        self._added: list[Record] = []
        self._patches: dict[int, Record] = {}
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Seeded plus added records."""
        with self._lock:
            return self.count + len(self._added)

    def record(self, i: int) -> Record:
        """Record i with any patch applied (a fresh dict: callers may add fields)."""
        if i >= self.count:
            with self._lock:
                return dict(self._added[i - self.count])
        record = self._build(self.timeline, i)
        patch = self._patches.get(i)
        if patch:
            record.update(patch)
        return record

    def span(self, i: int) -> tuple[int, int | None]:
        """(start, end) of record i without building it when it is seeded and unpatched."""
        if i < self.count and i not in self._patches:
            return self.timeline.start(i), self.timeline.end(i)
        record = self.record(i)
        end = record[self._end_key]
        return record[self._start_key], None if end in (None, -1) else end

    def add(self, record: Record) -> int:
        """Append a record (its index is returned)."""
        with self._lock:
            self._added.append(record)
            return self.count + len(self._added) - 1

    def patch(self, i: int, changes: Record) -> None:
        """Change fields of record i."""
        with self._lock:
            if i >= self.count:
                self._added[i - self.count].update(changes)
            else:
                self._patches.setdefault(i, {}).update(changes)

    def find(self, key: str, value: Any, limit: int | None = None) -> int | None:
        """The index of the first record whose `key` equals `value` (scans; for test controls)."""
        for i in range(self.size):
            if limit is not None and i >= limit:
                break
            if self.record(i).get(key) == value:
                return i
        return None

    def window(self, from_ms: int, to_ms: int) -> Window:
        """The records that may start or end inside [from_ms, to_ms]."""
        tl = self.timeline
        lo = max(0, tl.index_at(from_ms - tl.max_duration_ms) - 1)
        hi = min(self.count - 1, tl.index_at(to_ms) + 1)
        # Patched records may have moved their end anywhere: scan from the earliest patched one.
        if self._patches:
            lo = min(lo, min(self._patches))
        with self._lock:
            added = len(self._added)
        return Window(lo, hi, added)

    def scan(self, window: Window, descending: bool, offset: int) -> Iterator[tuple[int, int]]:
        """(offset, index) pairs of `window` in scan order, starting at `offset`."""
        position = 0
        for part in window.sequence(self.count, descending):
            if offset >= position + len(part):
                position += len(part)
                continue
            for k in range(max(0, offset - position), len(part)):
                yield position + k, part[k]
            position += len(part)

    def in_timeframe(self, i: int, from_ms: int, to_ms: int) -> bool:
        """Dynatrace's rule: a record is included when its start or its end lies within the timeframe."""
        start, end = self.span(i)
        return from_ms <= start <= to_ms or (end is not None and from_ms <= end <= to_ms)
