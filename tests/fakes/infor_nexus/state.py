"""The fake Infor Nexus network's state: API users' keys, seeded objects, throttling, the request log.

Tests drive it through this Python API (not Infor Nexus's): `throttle_next(n)` makes the next n calls
answer 429, `modify(kind, index, at, **changes)` changes an object (new `modifyTimestamp`),
`requests` records what clients asked for, and `keys` holds the valid credentials.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

from tests.fakes.common.https import RequestLog
from tests.fakes.common.throttle import Throttles

from .hmac_check import Keys
from .records import MAKERS, make

DEFAULT_KEYS = Keys(access_key_id="100dacmZc9pnqqpaZai", user_id="DataApiAgent@5717989018077705",
                    secret="fkksdo25phq3wyfrenambopvn7miv3jt2clfuva45a6og52wa5rvam", data_key="42f014507de3f8a1f9")
MAX_LIMIT = 1000


class InforNexusState:
    """One fake network (thread-safe): `records` objects of each type, `seed` for their contents."""

    def __init__(self, records: int = 300, seed: int = 7, keys: Keys = DEFAULT_KEYS) -> None:
        self.seed = seed
        self.size = records
        self.keys = {keys.access_key_id: keys}
        self.changed: dict[tuple[str, int], tuple[dt.datetime, dict[str, Any]]] = {}
        self.requests = RequestLog()
        self.throttles = Throttles()
        self.retry_after = 1
        self._lock = threading.Lock()

    def throttle_next(self, count: int = 1, after: int = 0) -> None:
        """Answer the next `count` calls (after `after` pass) with 429 and Retry-After."""
        self.throttles.add(count, after, "/rest/")

    def modify(self, kind: str, index: int, at: dt.datetime, **changes: Any) -> dict[str, Any]:
        """Change object `index` of `kind` at `at`; the object as it now is."""
        with self._lock:
            self.changed[(kind, index)] = (at, changes)
        return self.record(kind, index)

    def record(self, kind: str, index: int) -> dict[str, Any]:
        modified, changes = self.changed.get((kind, index), (None, None))
        return make(kind, index, self.seed, modified, changes)

    def scan(self, kind: str) -> Iterator[dict[str, Any]]:
        """Every object of `kind`, in creation order (the order queries page in)."""
        if kind not in MAKERS:
            return
        for index in range(self.size):
            yield self.record(kind, index)
