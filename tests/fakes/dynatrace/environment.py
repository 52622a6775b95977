"""The state of one fake Dynatrace environment, and the controls tests use (none of them are Dynatrace API).

Controls: `add_token` / `revoke_token`, `throttle_next` (forced 429s), `add_problems` / `close_problem` /
`add_events` (changes an incremental pull must see), a settable clock (`now_ms`, `advance`), and `log`, the
RequestLog of every API request.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.common.https import RequestLog
from tests.fakes.common.throttle import Throttle, Throttles

from .records import EVENT_MAX_DURATION, METRICS, PROBLEM_MAX_DURATION, Timeline, build_entities, event, mix, problem
from .timed import TimedCollection

READ_SCOPES = ("problems.read", "events.read", "metrics.read", "entities.read")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass
class Token:
    """An API token: `dt0c01.<public part>.<secret part>`; the id is the first two parts."""

    secret: str
    name: str
    scopes: tuple[str, ...]
    created_ms: int
    enabled: bool = True
    expires_ms: int | None = None
    owner: str = "rené.lópez@example.com"
    last_used_ms: int | None = None

    @property
    def token_id(self) -> str:
        """The token's id: prefix and public part."""
        return self.secret.rsplit(".", 1)[0]


@dataclass
class Environment:
    """Entities, problems, events, metrics and tokens of one environment, seeded from `seed`."""

    problems_count: int = 300
    events_count: int = 300
    entities_count: int = 40
    seed: int = 7
    spacing_ms: int = 60_000
    now_ms_fixed: int | None = None
    log: RequestLog = field(default_factory=RequestLog)
    # The environment's clock in epoch ms (tests on the scheduler's accelerated time pass theirs).
    clock_ms: Callable[[], int] | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._clock_offset = 0
        now = self.now_ms()
        self.entities = build_entities(self.entities_count, self.seed, now)
        self.entity_index = {e["entityId"]: e for e in self.entities}
        self.metrics = list(METRICS)
        problem_line = Timeline(self.seed, now - self.problems_count * self.spacing_ms, self.spacing_ms,
                                PROBLEM_MAX_DURATION, now)
        event_line = Timeline(self.seed + 1, now - self.events_count * self.spacing_ms, self.spacing_ms,
                              EVENT_MAX_DURATION, now)
        self.problems = TimedCollection(problem_line, self.problems_count,
                                        lambda tl, i: problem(tl, i, self.entities))
        self.events = TimedCollection(event_line, self.events_count, lambda tl, i: event(tl, i, self.entities))
        self.tokens: dict[str, Token] = {}
        self.throttles = Throttles()
        self.default_token = self.add_token(name="sluice-tests")

    # ----- clock -----

    def now_ms(self) -> int:
        """The environment's current time (its clock, a fixed time, or real time), plus any `advance`."""
        if self.clock_ms is not None:
            base = self.clock_ms()
        else:
            base = self.now_ms_fixed if self.now_ms_fixed is not None else int(time.time() * 1000)
        return base + self._clock_offset

    def advance(self, ms: int) -> None:
        """Move the clock forward."""
        self._clock_offset += ms

    # ----- tokens -----

    def add_token(self, scopes: tuple[str, ...] | list[str] = READ_SCOPES, name: str = "token",
                  expires_ms: int | None = None) -> str:
        """Create a token with `scopes`; returns its secret (what goes after `Api-Token `)."""
        with self._lock:
            n = len(self.tokens)
            public = "".join(_ALPHABET[(mix(self.seed, n, 900 + k) >> 7) % 32] for k in range(24))
            private = "".join(_ALPHABET[(mix(self.seed, n, 950 + k) >> 7) % 32] for k in range(64))
            secret = f"dt0c01.{public}.{private}"
            self.tokens[secret] = Token(secret, name, tuple(scopes), self.now_ms(), expires_ms=expires_ms)
            return secret

    def revoke_token(self, secret: str | None = None) -> None:
        """Disable a token (the default one when none is named): it then gets 401s."""
        self.tokens[secret or self.default_token].enabled = False

    def token_json(self, token: Token) -> dict[str, Any]:
        """ApiToken metadata as `POST /api/v2/apiTokens/lookup` answers (never the secret)."""
        return {"id": token.token_id, "name": token.name, "enabled": token.enabled, "personalAccessToken": False,
                "owner": token.owner, "creationDate": _iso(token.created_ms), "modifiedDate": _iso(token.created_ms),
                "expirationDate": _iso(token.expires_ms) if token.expires_ms else None,
                "lastUsedDate": _iso(token.last_used_ms) if token.last_used_ms else None,
                "lastUsedIpAddress": "127.0.0.1" if token.last_used_ms else None,
                "scopes": list(token.scopes), "additionalMetadata": {}}

    # ----- faults -----

    def throttle_next(self, count: int = 1, retry_after: int = 1, after: int = 0, path: str = "/api/") -> None:
        """Answer the next `count` API requests under `path` with 429 + Retry-After, after `after` pass."""
        self.throttles.add(count, after, path, retry_after)

    def take_throttle(self, path: str) -> Throttle | None:
        """The throttle rule that rejects this request, if any (consumes one use)."""
        return self.throttles.take(path)

    # ----- changes for incremental pulls -----

    def add_problems(self, count: int = 1, start_ms: int | None = None, **fields: Any) -> list[dict[str, Any]]:
        """Open `count` new problems starting now (or at `start_ms`); returns them."""
        added = []
        for k in range(count):
            index = self.problems.size
            start = start_ms if start_ms is not None else self.now_ms() - (count - k)
            record = problem(self.problems.timeline, index, self.entities)
            record.update({"problemId": f"{(mix(self.seed, index, 6) >> 1) - (1 << 62)}_{start}V2",
                           "startTime": start, "endTime": -1, "status": "OPEN", **fields})
            self.problems.add(record)
            added.append(record)
        return added

    def close_problem(self, problem_id: str, end_ms: int | None = None) -> dict[str, Any]:
        """Close a problem now (or at `end_ms`): it then shows in timeframes holding its end."""
        index = self.problems.find("problemId", problem_id)
        if index is None:
            raise KeyError(problem_id)
        self.problems.patch(index, {"status": "CLOSED", "endTime": end_ms or self.now_ms()})
        return self.problems.record(index)

    def add_events(self, count: int = 1, start_ms: int | None = None, **fields: Any) -> list[dict[str, Any]]:
        """Raise `count` new (open) events starting now (or at `start_ms`); returns them."""
        added = []
        for k in range(count):
            index = self.events.size
            start = start_ms if start_ms is not None else self.now_ms() - (count - k)
            record = event(self.events.timeline, index, self.entities)
            record.update({"eventId": f"{(mix(self.seed, index, 71) >> 1) - (1 << 62)}_{start}",
                           "startTime": start, "endTime": None, "status": "OPEN", **fields})
            self.events.add(record)
            added.append(record)
        return added


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"

