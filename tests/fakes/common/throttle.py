"""Forced rate-limit answers for a fake (a test control, not a vendor API).

`Throttles.add(count, after, path, retry_after)` makes the next `count` requests under `path` (after
`after` of them passed) answer as the vendor answers an exhausted rate limit; the fake asks `take(path)`
for each request and builds that answer itself (status, headers and body are the vendor's own).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class Throttle:
    """One rule: refuse `count` requests under `path`, after letting `after` through."""

    count: int
    after: int
    path: str
    retry_after: int | None = 1


class Throttles:
    """The pending throttle rules of one fake (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Throttle] = []

    def add(self, count: int = 1, after: int = 0, path: str = "/", retry_after: int | None = 1) -> None:
        """Refuse the next `count` requests under `path`, after `after` of them pass."""
        with self._lock:
            self._rules.append(Throttle(count, after, path, retry_after))

    def take(self, path: str) -> Throttle | None:
        """The rule refusing this request, if any (consumes one use)."""
        with self._lock:
            for rule in self._rules:
                if not path.startswith(rule.path) or rule.count <= 0:
                    continue
                if rule.after > 0:
                    rule.after -= 1
                    return None
                rule.count -= 1
                return rule
            return None
