"""The fake's state: OAuth client and tokens, accounts and properties, seeded events, quotas and controls."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.common.google import GoogleTokens
from tests.fakes.common.https import RequestLog
from tests.fakes.common.throttle import Throttles

from .data import Event, event

PROPERTY = "123456789"  # the property cdk-appflow's GA4 stack reads (properties/123456789/coreReport)
ACCOUNTS: list[dict[str, Any]] = [
    {"id": "100200300", "name": "Acme Ünïcode GmbH", "properties": [(PROPERTY, "Acme Web » GA4"),
                                                                     ("123456790", "Acme App 日本")]},
    {"id": "100200301", "name": "Side project", "properties": [("222333444", "Blog")]},
]
TOKENS_PER_DAY, TOKENS_PER_HOUR = 200_000, 40_000
# Seeded events are kept in memory up to this many per property (tests); bigger seeds (benchmarks) are
# generated again for every report, so memory stays flat.
CACHE_LIMIT = 100_000


class Backend(GoogleTokens):
    """Google's side for one OAuth client and one user: `events` seeded events per property spread over the
    `days` days up to `end` (epoch seconds; default now), plus `extra_accounts` empty accounts (to page
    accountSummaries)."""

    def __init__(self, events: int = 500, days: int = 10, seed: int = 4, end: float | None = None,
                 extra_accounts: int = 0, clock: Callable[[], float] = time.time,
                 client_id: str = "1234-ga4.apps.googleusercontent.com", client_secret: str = "GOCSPX-fake-ga4",
                 refresh_token: str = "1//fake-ga4-refresh", token_lifetime: int = 3599) -> None:
        self.seed = seed
        self.count = events
        self.clock = clock
        last = datetime.fromtimestamp(end if end is not None else clock(), UTC)
        self.start = (last - timedelta(days=days)).timestamp()
        self.end = last.timestamp()
        self.accounts = ACCOUNTS + [{"id": str(900000000 + i), "name": f"Empty account {i}", "properties": []}
                                    for i in range(extra_accounts)]
        self.client_id, self.client_secret = client_id, client_secret
        self.token_lifetime = token_lifetime
        self.refresh_tokens: set[str] = {refresh_token}
        self.codes: set[str] = set()
        self.access_tokens: dict[str, float] = {}
        self.added: list[tuple[str, Event]] = []
        self.tokens_used = 0
        self.revoked: set[str] = set()
        self.cache: dict[str, list[Event]] = {}
        self.log = RequestLog()
        self.throttles = Throttles()
        self.lock = threading.Lock()

    # ----- properties and events -----

    def readable(self, property_id: str) -> bool:
        return property_id not in self.revoked and any(p == property_id for a in self.accounts
                                                       for p, _ in a["properties"])

    def events(self, property_id: str) -> Iterator[Event]:
        """The property's events, generated lazily (seed size = `events`), then those added."""
        cached = self.cache.get(property_id)
        if cached is not None:
            yield from cached
        else:
            seeded = self._seeded(property_id)
            if self.count <= CACHE_LIMIT:
                seeded = self.cache.setdefault(property_id, list(seeded))
            yield from seeded
        with self.lock:
            added = [e for p, e in self.added if p == property_id]
        yield from added

    def _seeded(self, property_id: str) -> Iterator[Event]:
        span = self.end - self.start
        salt = int(property_id) % 1_000_003
        for index in range(self.count):
            yield event(self.seed + salt, index, self.start + span * (index + 0.5) / self.count)

    def add_events(self, property_id: str, at: float, count: int = 1) -> list[Event]:
        """Add `count` events at `at` (epoch seconds) to a property; returns them."""
        with self.lock:
            made = [event(self.seed + 77, 10_000_000 + len(self.added) + k, at) for k in range(count)]
            self.added += [(property_id, e) for e in made]
        return made

    def quota(self, spent: int) -> dict[str, Any]:
        """Spend `spent` tokens; the PropertyQuota after it."""
        with self.lock:
            self.tokens_used += spent
            used = self.tokens_used
        return {"tokensPerDay": {"consumed": spent, "remaining": max(0, TOKENS_PER_DAY - used)},
                "tokensPerHour": {"consumed": spent, "remaining": max(0, TOKENS_PER_HOUR - used)},
                "concurrentRequests": {"consumed": 0, "remaining": 10},
                "serverErrorsPerProjectPerHour": {"consumed": 0, "remaining": 10},
                "potentiallyThresholdedRequestsPerHour": {"consumed": 0, "remaining": 120},
                "tokensPerProjectPerHour": {"consumed": spent, "remaining": max(0, TOKENS_PER_HOUR * 35 // 100 - used)}}

    # ----- controls -----

    def revoke(self, property_id: str, revoked: bool = True) -> None:
        """Take the user's access to a property away (403 PERMISSION_DENIED), or give it back."""
        with self.lock:
            (self.revoked.add if revoked else self.revoked.discard)(property_id)

    def throttle_next(self, count: int = 1, after: int = 0, path: str = "/v1beta/properties/") -> None:
        """Answer the next `count` requests under `path` with 429 RESOURCE_EXHAUSTED, after `after` pass."""
        self.throttles.add(count, after, path, None)
