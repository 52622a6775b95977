"""The fake SAP system's state and the controls tests use (not part of the vendor API).

`SapSystem(orders=..., partners=..., facts=..., products=...)` holds the services (model.py), the
logon data (client `100`, a basic-auth user, an OAuth client), CSRF tokens, the request log and:

- `throttle_next(n, retry_after=1, path=None, skip=0)`: after `skip` more requests whose path
  contains `path`, the next `n` answer 429 with `Retry-After` (as an API management layer in front
  of the Gateway does);
- `reject(entity_set, field, value, message)`: creating or updating a record whose `field` equals
  `value` fails with 400 and SAP's error body (the business check that refused it);
- `expire_tokens()`: every OAuth access token is expired (refresh tokens still work);
- `expire_csrf(after_batches=0)`: every CSRF token is invalid (a session timeout), now or after
  that many more `$batch` requests;
- `change(key, **values)`, `create(values)`, `delete(key)` on the ODP entity set: what the delta
  queue then reports;
- `page_cap`: the most entries one answer holds (server-driven paging beyond it);
- `log`: a `RequestLog` of every request (method, path, query).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.common.https import RequestLog

from .model import ODP_PATH, DeltaQueue, EntitySet, Service, build_services

CLIENT = "100"
USER, PASSWORD = "SLUICE_RFC", "Walldorf#2024"
OAUTH_CLIENT, OAUTH_SECRET = "sluice-appflow", "oauth-client-secret"
SID = "S4H"


@dataclass
class Throttle:
    count: int
    retry_after: int
    path: str | None
    skip: int = 0


@dataclass
class Rejection:
    entity_set: str
    field: str
    value: Any
    message: str


@dataclass
class Token:
    access: str
    refresh: str
    expires_at: float


@dataclass
class SapSystem:
    """One SAP system (see the module docstring)."""

    orders: int = 300
    partners: int = 25
    facts: int = 120
    products: int = 60
    page_cap: int = 5000
    odp_page_size: int = 1000  # ODP packages when the client sends no odata.maxpagesize
    services: dict[str, Service] = field(init=False)
    log: RequestLog = field(default_factory=RequestLog)
    tokens: dict[str, Token] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    auth_codes: set[str] = field(default_factory=set)
    csrf: dict[str, str] = field(default_factory=dict)  # session id -> token
    deltas: dict[str, DeltaQueue] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _throttles: list[Throttle] = field(default_factory=list)
    _rejections: list[Rejection] = field(default_factory=list)
    _csrf_countdown: int | None = None

    def __post_init__(self) -> None:
        self.services = build_services(self.orders, self.partners, self.facts, self.products)
        for service in self.services.values():
            for entity in service.sets.values():
                if entity.change_tracking:
                    self.deltas[f"{service.path}/{entity.name}"] = DeltaQueue()

    # -- controls -----------------------------------------------------------------------------------

    def throttle_next(self, n: int, retry_after: int = 1, path: str | None = None, skip: int = 0) -> None:
        with self.lock:
            self._throttles.append(Throttle(n, retry_after, path, skip))

    def take_throttle(self, path: str) -> int | None:
        """Seconds to ask the client to wait when this request is throttled, else None."""
        with self.lock:
            for throttle in self._throttles:
                if throttle.path is not None and throttle.path not in path:
                    continue
                if throttle.skip > 0:
                    throttle.skip -= 1
                    return None
                throttle.count -= 1
                if throttle.count <= 0:
                    self._throttles.remove(throttle)
                return throttle.retry_after
        return None

    def reject(self, entity_set: str, field_name: str, value: Any, message: str) -> None:
        with self.lock:
            self._rejections.append(Rejection(entity_set, field_name, value, message))

    def rejection(self, entity_set: str, values: dict[str, Any]) -> str | None:
        with self.lock:
            for rule in self._rejections:
                if rule.entity_set == entity_set and values.get(rule.field) == rule.value:
                    return rule.message
        return None

    def expire_tokens(self) -> None:
        with self.lock:
            for token in self.tokens.values():
                token.expires_at = 0

    def expire_csrf(self, after_batches: int = 0) -> None:
        """Invalidate every CSRF token now, or once `after_batches` more `$batch` requests were let through."""
        with self.lock:
            if after_batches:
                self._csrf_countdown = after_batches
            else:
                self.csrf.clear()

    def count_batch(self) -> None:
        """A `$batch` request arrived (for `expire_csrf(after_batches=...)`)."""
        with self.lock:
            if self._csrf_countdown is None:
                return
            if self._csrf_countdown == 0:
                self.csrf.clear()
                self._csrf_countdown = None
            else:
                self._csrf_countdown -= 1

    # -- OAuth --------------------------------------------------------------------------------------

    def issue_token(self, lifetime: float = 3600) -> Token:
        token = Token(secrets.token_urlsafe(24), secrets.token_urlsafe(24), time.time() + lifetime)
        with self.lock:
            self.tokens[token.access] = token
            self.refresh_tokens[token.refresh] = token.access
        return token

    def token_valid(self, access: str) -> bool:
        with self.lock:
            token = self.tokens.get(access)
            return token is not None and token.expires_at > time.time()

    def refresh(self, refresh_token: str) -> Token | None:
        with self.lock:
            if refresh_token not in self.refresh_tokens:
                return None
            del self.refresh_tokens[refresh_token]
        return self.issue_token()

    def issue_code(self) -> str:
        code = secrets.token_urlsafe(12)
        with self.lock:
            self.auth_codes.add(code)
        return code

    def take_code(self, code: str) -> bool:
        with self.lock:
            if code in self.auth_codes:
                self.auth_codes.discard(code)
                return True
        return False

    # -- CSRF ---------------------------------------------------------------------------------------

    def csrf_for(self, session: str) -> str:
        with self.lock:
            token = self.csrf.get(session)
            if token is None:
                token = self.csrf[session] = secrets.token_urlsafe(18)
            return token

    def csrf_ok(self, session: str | None, token: str | None) -> bool:
        with self.lock:
            return bool(session and token and self.csrf.get(session) == token)

    # -- ODP ----------------------------------------------------------------------------------------

    @property
    def odp(self) -> EntitySet:
        return self.services[ODP_PATH].sets["FactsOfSalesDocument"]

    @property
    def odp_queue(self) -> DeltaQueue:
        return self.deltas[f"{ODP_PATH}/FactsOfSalesDocument"]

    def _log_change(self, record: dict[str, Any], mode: str) -> None:
        entry = dict(record, ODQ_CHANGEMODE=mode, ODQ_ENTITYCNTR="-1" if mode == "D" else "1")
        with self.odp_queue.lock:
            self.odp_queue.changes.append(entry)

    def change(self, key: tuple[Any, ...], **values: Any) -> dict[str, Any]:
        """Change an ODP record (an after-image `U` enters the delta queue)."""
        current = self.odp.find(key)
        if current is None:
            raise KeyError(key)
        record = dict(current, **values)
        self.odp.changed[key] = record
        self._log_change(record, "U")
        return record

    def create(self, values: dict[str, Any]) -> dict[str, Any]:
        """Create an ODP record (`C` in the delta queue)."""
        record = {p.name: None for p in self.odp.props}
        record.update(values, ODQ_CHANGEMODE="", ODQ_ENTITYCNTR="0")
        key = self.odp.key(record)
        self.odp.changed[key] = record
        self.odp.added.append(key)
        self._log_change(record, "C")
        return record

    def delete(self, key: tuple[Any, ...]) -> None:
        """Delete an ODP record (`D` with the before-image in the delta queue)."""
        current = self.odp.find(key)
        if current is None:
            raise KeyError(key)
        self.odp.changed[key] = None
        self._log_change(current, "D")
