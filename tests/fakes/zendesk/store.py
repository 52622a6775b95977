"""Record storage of the fake Zendesk account: lazily seeded records plus what writes changed.

A `Collection` holds one entity. Seeded record `i` comes from `seed.py` on demand; a write stores
the whole new record in `changed` (by id) and moves it in the change order, so reads see the
write and incremental exports return it after everything older. Two orders are served:
- by id (the List endpoints' cursor and offset pagination);
- by `(change timestamp, id)` (the Incremental Export endpoints), merging the seeded stream,
  which is already in that order, with the sorted list of changed records.
"""

from __future__ import annotations

import bisect
import heapq
import threading
from collections.abc import Callable, Iterator
from typing import Any

from . import seed

Record = dict[str, Any]
Key = tuple[int, int]  # (change timestamp in epoch seconds, id)


class Collection:
    """One entity's records: `count` seeded ones (ids `base + i`) and the changed or created ones."""

    def __init__(self, name: str, count: int, base: int, make: Callable[[int, str], Record], stamp_key: str) -> None:
        self.name = name
        self.count = count
        self.base = base
        self.make = make
        self.stamp_key = stamp_key  # the field whose value orders incremental exports
        self.changed: dict[int, Record] = {}  # id -> current record, for every record written since seeding
        self.stamps: dict[int, int] = {}  # id -> change timestamp of changed records
        self.order: list[Key] = []  # sorted (timestamp, id) of changed records
        self.created: list[int] = []  # ids created by writes, ascending
        self.next_id = base + count
        self.lock = threading.RLock()

    # --- lookups ---------------------------------------------------------------------------------------------------
    def seeded(self, rid: int) -> bool:
        """Whether `rid` is the id of a seeded record."""
        return self.base <= rid < self.base + self.count

    def get(self, rid: int, base_url: str) -> Record | None:
        """The current record with id `rid`, or None."""
        with self.lock:
            if rid in self.changed:
                return self.changed[rid]
        return self.make(rid - self.base, base_url) if self.seeded(rid) else None

    def total(self) -> int:
        """How many records exist."""
        return self.count + len(self.created)

    def seed_stamp(self, i: int) -> int:
        return seed.stamp_of(i, self.count)

    # --- writes ----------------------------------------------------------------------------------------------------
    def new_id(self) -> int:
        """Allocate the id of a record about to be created."""
        with self.lock:
            rid = self.next_id
            self.next_id += 1
            return rid

    def put(self, record: Record, stamp: int) -> None:
        """Store `record` (created or updated) as changed at `stamp`."""
        rid = int(record["id"])
        with self.lock:
            old = self.stamps.get(rid)
            if old is not None:
                del self.order[bisect.bisect_left(self.order, (old, rid))]
            elif not self.seeded(rid):
                bisect.insort(self.created, rid)
            self.changed[rid] = record
            self.stamps[rid] = stamp
            bisect.insort(self.order, (stamp, rid))

    # --- orders ----------------------------------------------------------------------------------------------------
    def by_id(self, after: int | None, base_url: str, before: int | None = None) -> Iterator[Record]:
        """Records with `after < id < before`, ascending by id."""
        lo = 0 if after is None else max(0, after - self.base + 1)
        hi = self.count if before is None else min(self.count, max(0, before - self.base))
        for i in range(lo, hi):
            yield self.get(self.base + i, base_url)  # type: ignore[misc]
        with self.lock:
            created = list(self.created)
        start = 0 if after is None else bisect.bisect_right(created, after)
        for rid in created[start:]:
            if before is not None and rid >= before:
                break
            record = self.get(rid, base_url)
            if record is not None:
                yield record

    def by_id_desc(self, before: int, base_url: str) -> Iterator[Record]:
        """Records with `id < before`, descending by id (for `page[before]`)."""
        with self.lock:
            created = list(self.created)
        for rid in reversed(created[: bisect.bisect_left(created, before)]):
            yield self.get(rid, base_url)  # type: ignore[misc]
        for i in range(min(self.count, before - self.base) - 1, -1, -1):
            yield self.get(self.base + i, base_url)  # type: ignore[misc]

    def by_change(self, after: Key, base_url: str) -> Iterator[tuple[Key, Record]]:
        """`((timestamp, id), record)` for every record changed after `after`, in `(timestamp, id)` order."""
        return heapq.merge(self._seeded_after(after, base_url), self._changed_after(after, base_url),
                           key=lambda pair: pair[0])

    def _seeded_after(self, after: Key, base_url: str) -> Iterator[tuple[Key, Record]]:
        # First seeded index whose key is past `after`: stamps grow strictly with the index.
        lo, hi = 0, self.count
        while lo < hi:
            mid = (lo + hi) // 2
            if (self.seed_stamp(mid), self.base + mid) <= after:
                lo = mid + 1
            else:
                hi = mid
        for i in range(lo, self.count):
            rid = self.base + i
            if rid in self.changed:  # a later write moved it; it comes from the changed stream
                continue
            yield (self.seed_stamp(i), rid), self.make(i, base_url)

    def _changed_after(self, after: Key, base_url: str) -> Iterator[tuple[Key, Record]]:
        with self.lock:
            keys = self.order[bisect.bisect_right(self.order, after):]
        for key in keys:
            with self.lock:
                record = self.changed.get(key[1])
                current = self.stamps.get(key[1])
            if record is not None and current == key[0]:  # skip entries a newer write superseded
                yield key, record
