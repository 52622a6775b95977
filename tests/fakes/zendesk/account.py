"""The fake Zendesk account's state and the controls tests use (not part of the vendor API).

`Account(tickets=..., users=..., organizations=..., groups=...)` seeds lazily (see `seed.py`).
Controls:
- `throttle_next(n, retry_after=1, path=None, skip=0)`: after `skip` more API requests (whose path
  contains `path`), the next `n` answer 429 as the rate limiter does;
- `reject(entity, field, value, details=None)`: bulk-write records whose `field` equals `value`
  fail in the job's results;
- `expire_tokens()`: every OAuth access token is expired (refresh tokens still work);
- `advance(seconds)`: move the account's clock forward (incremental exports leave out changes
  from the last minute, as the docs say);
- `log`: a `RequestLog` of every request (method, path, query).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from tests.fakes.common.https import RequestLog

from . import seed
from .auth import Auth
from .store import Collection


@dataclass
class Throttle:
    """Pending forced 429s."""

    count: int
    retry_after: int
    path: str | None
    skip: int = 0  # matching requests let through first (to throttle mid-run)


@dataclass
class Rejection:
    """Write records of `entity` whose `field` equals `value` fail with `details`."""

    entity: str
    field: str
    value: Any
    details: str | None


class Account:
    """A Zendesk account: records, fields, credentials, jobs and test controls."""

    RATE_LIMIT = 700  # the account-wide per-minute limit reported in X-Rate-Limit (Enterprise plan)

    def __init__(self, tickets: int = 300, users: int = 120, organizations: int = 25, groups: int = 6,
                 settle_seconds: int = 60) -> None:
        self.sizes = seed.Sizes(tickets, users, organizations, groups)
        sizes = self.sizes
        self.collections = {
            "tickets": Collection("tickets", tickets, 1, lambda i, u: seed.ticket(i, sizes, u), "generated_timestamp"),
            "users": Collection("users", users, seed.USER_BASE, lambda i, u: seed.user(i, sizes, u), "updated_at"),
            "organizations": Collection("organizations", organizations, seed.ORG_BASE,
                                        lambda i, u: seed.organization(i, sizes, u), "updated_at"),
            "groups": Collection("groups", groups, seed.GROUP_BASE, lambda i, u: seed.group(i, sizes, u),
                                 "updated_at"),
        }
        self.settle_seconds = settle_seconds
        self.auth = Auth()
        self.log = RequestLog()
        self.jobs: dict[str, Any] = {}
        self.job_polls_before_done = 1  # a new job reads "queued", then "working" this many times, then done
        self.emails: dict[str, int] = {}  # e-mail (lower case) -> user id, for users written since seeding
        self.external_ids: dict[tuple[str, str], int] = {}  # (entity, external_id lower) -> id, likewise
        self._throttles: list[Throttle] = []
        self._rejections: list[Rejection] = []
        self._offset = 0.0
        self._minute = (0, 0)  # (minute number, requests counted in it) for X-Rate-Limit-Remaining
        self.lock = threading.Lock()

    # --- clock -------------------------------------------------------------------------------------------------------
    def now(self) -> float:
        """The account's clock (wall clock plus `advance`)."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the account's clock forward."""
        self._offset += seconds

    # --- controls ----------------------------------------------------------------------------------------------------
    def throttle_next(self, count: int = 1, retry_after: int = 1, path: str | None = None, skip: int = 0) -> None:
        """Answer `count` API requests (path containing `path`, if given) with 429, after letting `skip` through."""
        with self.lock:
            self._throttles.append(Throttle(count, retry_after, path, skip))

    def take_throttle(self, path: str) -> Throttle | None:
        """The pending throttle matching `path`, used up once."""
        with self.lock:
            for throttle in self._throttles:
                if throttle.count > 0 and (throttle.path is None or throttle.path in path):
                    if throttle.skip > 0:
                        throttle.skip -= 1
                        return None
                    throttle.count -= 1
                    return throttle
        return None

    def reject(self, entity: str, field: str, value: Any, details: str | None = None) -> None:
        """Make bulk writes of `entity` records whose `field` equals `value` fail."""
        with self.lock:
            self._rejections.append(Rejection(entity, field, value, details))

    def rejection_for(self, entity: str, record: dict[str, Any]) -> Rejection | None:
        """The rejection a written record matches, if any."""
        with self.lock:
            rules = list(self._rejections)
        for rule in rules:
            if rule.entity == entity and rule.field in record and record[rule.field] == rule.value:
                return rule
        return None

    def expire_tokens(self) -> None:
        """Expire every OAuth access token."""
        self.auth.expire_all()

    def count_request(self) -> int:
        """Count one request in the current minute; the remaining allowance for X-Rate-Limit-Remaining."""
        minute = int(self.now() // 60)
        with self.lock:
            used = self._minute[1] + 1 if self._minute[0] == minute else 1
            self._minute = (minute, used)
        return max(self.RATE_LIMIT - used, 0)

    # --- lookups used by writes --------------------------------------------------------------------------------------
    def user_by_email(self, email: str) -> int | None:
        """The id of the user with this e-mail address (case-insensitive)."""
        email = email.lower()
        with self.lock:
            if email in self.emails:
                return self.emails[email]
        local, _, _ = email.partition("@")
        if local.startswith("user") and local[4:].isdigit():
            i = int(local[4:])
            users = self.collections["users"]
            rid = seed.USER_BASE + i
            if i < users.count and rid not in users.changed and seed.seed_email(i).lower() == email:
                return rid
        return None

    def by_external_id(self, entity: str, external_id: str) -> int | None:
        """The id of the `entity` record with this external id (case-insensitive)."""
        key = external_id.lower()
        with self.lock:
            if (entity, key) in self.external_ids:
                return self.external_ids[(entity, key)]
        prefix = {"tickets": "ext-t-", "users": "ext-u-", "organizations": "ext-o-"}.get(entity)
        if prefix and key.startswith(prefix) and key[len(prefix):].isdigit():
            n = int(key[len(prefix):])
            collection = self.collections[entity]
            rid = n if entity == "tickets" else collection.base + n
            record = collection.get(rid, "") if collection.seeded(rid) and rid not in collection.changed else None
            if record is not None and (record.get("external_id") or "").lower() == key:
                return rid
        return None

    def remember(self, entity: str, record: dict[str, Any], old: dict[str, Any] | None) -> None:
        """Keep the e-mail and external-id indexes right after a write."""
        before = old or {}
        with self.lock:
            if entity == "users":
                _reindex(self.emails, before.get("email"), record.get("email"), record["id"], lambda v: v.lower())
            _reindex(self.external_ids, before.get("external_id"), record.get("external_id"), record["id"],
                     lambda v: (entity, v.lower()))


def _reindex(index: dict[Any, int], old: str | None, new: str | None, rid: int, key: Any) -> None:
    if old and index.get(key(old)) == rid:
        del index[key(old)]
    if new:
        index[key(new)] = rid
