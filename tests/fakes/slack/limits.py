"""Rate limits of the fake: Slack's per-method tiers (optional) and forced 429s / failures for tests.

Slack limits each Web API method per app per workspace by tier - Tier 1: 1+/min, Tier 2: 20+/min,
Tier 3: 50+/min, Tier 4: 100+/min - and answers a call over the limit with HTTP 429, a `Retry-After`
header (seconds) and `{"ok": false, "error": "ratelimited"}`
(https://docs.slack.dev/apis/web-api/rate-limits). Tiers here are those on each method's page.
Tier enforcement is off by default (tests would wait minutes); `Limits(tiers=True)` turns it on.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .errors import SlackError

PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIERS = {
    "auth.test": 4, "conversations.list": 2, "conversations.info": 3, "conversations.history": 3,
    "conversations.replies": 3, "users.list": 2, "users.info": 4, "oauth.v2.access": 4,
}


class Limits:
    """Sliding one-minute windows per method, plus queued forced 429s and forced errors."""

    def __init__(self, tiers: bool = False, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self.tiers = tiers
        self.clock = clock
        self._calls: dict[str, deque[float]] = {}
        self._throttles: list[list[Any]] = []  # [method or None for any, retry_after, calls to let through first]
        self._failures: list[tuple[str | None, SlackError]] = []
        self.throttled = 0  # 429s answered so far

    def throttle_next(self, count: int = 1, retry_after: int = 1, method: str | None = None, after: int = 0) -> None:
        """Answer `count` calls (of `method`, or of any method) with 429 and `Retry-After`, once `after`
        such calls have been answered normally (so a 429 can land in the middle of a paged read)."""
        with self._lock:
            self._throttles.extend([[method, retry_after, after]] + [[method, retry_after, 0]] * (count - 1))

    def fail_next(self, error: str, count: int = 1, status: int = 200, method: str | None = None) -> None:
        """Answer the next `count` calls (of `method`, or any) with `{"ok": false, "error": error}`."""
        with self._lock:
            self._failures.extend([(method, SlackError(error, status))] * count)

    def check(self, method: str) -> None:
        """Raise the 429 (or forced failure) this call gets, if any."""
        with self._lock:
            for i, entry in enumerate(self._throttles):
                if entry[0] in (None, method):
                    if entry[2] > 0:
                        entry[2] -= 1
                        break
                    del self._throttles[i]
                    self.throttled += 1
                    raise _ratelimited(entry[1])
            for i, (wanted, error) in enumerate(self._failures):
                if wanted in (None, method):
                    del self._failures[i]
                    raise error
            if not self.tiers:
                return
            allowed = PER_MINUTE[METHOD_TIERS.get(method, 3)]
            now = self.clock()
            window = self._calls.setdefault(method, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= allowed:
                self.throttled += 1
                raise _ratelimited(max(1, math.ceil(window[0] + 60 - now)))
            window.append(now)


def _ratelimited(retry_after: int) -> SlackError:
    return SlackError("ratelimited", status=429, headers={"Retry-After": str(retry_after)})
