"""A small ticketing REST API for the Airbyte/Singer runner tests (test support, not a vendor).

It is the shape most SaaS list APIs share, so a declarative Airbyte manifest and a Singer tap can
read it the way they read real vendors:

* `GET /api/v2/tickets?per_page=&cursor=&updated_after=` - tickets ordered by (`updated_at`, `id`),
  `{"data": [...], "meta": {"next_cursor": "..." | null, "per_page": n}}`; `per_page` 1..100
  (default 25); `updated_after` (ISO 8601) keeps tickets changed strictly after that instant;
  `cursor` is opaque.
* Every call needs `Authorization: Bearer <token>`: else 401 `{"error": {"code": "unauthorized",
  "message": "..."}}`.
* Rate limit: 429 with `Retry-After` (seconds) when the test asks for it (`throttle_next`).
* Injected failures: `fail_after_pages(n, status, message)` answers pages after the n-th with that
  status and `{"error": {"code": "request_failed", "message": ...}}`.

Records are seeded from a fixed seed (a constructor argument gives their number), built lazily
per index: nested `requester` objects, `tags` arrays, null `assignee`s, unicode subjects, numbers,
booleans and ISO date-times. `touch(index, subject)` edits one ticket and stamps `updated_at` with
the current time (microseconds, strictly increasing).
"""

from __future__ import annotations

import base64
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.common.https import HttpsFake, RequestLog

STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
BASE = datetime(2024, 3, 1, tzinfo=UTC)
SUBJECTS = ("Printer on fire", "Zugriff verweigert für Müller", "日本語のチケット", "Café menu is wrong",
            "Emoji 🚀 in title", "Refund request", "Login loop")
STATUSES = ("new", "open", "pending", "solved")


def stamp(moment: datetime) -> str:
    return moment.strftime(STAMP)


def seeded(index: int, seed: int) -> dict[str, Any]:
    """Ticket `index` (0-based), the same for the same seed."""
    rng = random.Random(seed * 1_000_003 + index)
    created = BASE + timedelta(minutes=17 * index)
    return {
        "id": index + 1,
        "subject": f"{rng.choice(SUBJECTS)} #{index + 1}",
        "status": rng.choice(STATUSES),
        "priority": rng.randint(1, 4),
        "score": round(rng.random() * 100, 3),
        "is_public": rng.random() < 0.5,
        "requester": {"name": f"Requester {rng.randint(1, 50)}", "email": f"r{index % 50}@example.com",
                      "org": None if index % 3 else {"id": index % 7, "name": "Ørsted Ltd"}},
        "assignee": None if index % 4 == 0 else f"agent{index % 5}",
        "tags": [rng.choice(("vip", "billing", "bug", "ünïcode")) for _ in range(index % 3)],
        "created_at": stamp(created),
        "updated_at": stamp(created + timedelta(minutes=index % 90)),
    }


@dataclass
class DeskState:
    """The desk's tickets and the test's controls."""

    count: int = 200
    seed: int = 7
    token: str = "desk-token-0001"
    edits: dict[int, dict[str, Any]] = field(default_factory=dict)
    throttle: int = 0
    fail_after: int | None = None
    fail_status: int = 400
    fail_message: str = ""
    pages_served: int = 0
    last_stamp: datetime = BASE
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ticket(self, index: int) -> dict[str, Any]:
        return self.edits.get(index) or seeded(index, self.seed)

    def touch(self, index: int, subject: str) -> None:
        """Edit ticket `index`: a new subject, `updated_at` now (strictly after every earlier stamp)."""
        with self.lock:
            moment = max(datetime.now(UTC), self.last_stamp + timedelta(microseconds=1))
            self.last_stamp = moment
            self.edits[index] = {**self.ticket(index), "subject": subject, "updated_at": stamp(moment)}

    def throttle_next(self, n: int) -> None:
        self.throttle = n

    def fail_after_pages(self, pages: int, status: int = 400,
                         message: str = "The desk is closed for maintenance") -> None:
        self.pages_served, self.fail_after, self.fail_status, self.fail_message = 0, pages, status, message

    def ordered(self, after: str | None) -> list[dict[str, Any]]:
        tickets = [self.ticket(i) for i in range(self.count)]
        if after:
            tickets = [t for t in tickets if t["updated_at"] > _normalised(after)]
        return sorted(tickets, key=lambda t: (t["updated_at"], t["id"]))


def _normalised(text: str) -> str:
    """An ISO instant as this API stamps them (so text comparison orders instants)."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return stamp(parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def app(state: DeskState, log: RequestLog) -> Starlette:
    async def tickets(request: Request) -> JSONResponse:
        log.add(request.method, request.url.path, {k: request.query_params.getlist(k) for k in request.query_params})
        if request.headers.get("authorization") != f"Bearer {state.token}":
            return _error(401, "unauthorized", "The API token is missing, revoked or wrong.")
        if state.throttle > 0:
            state.throttle -= 1
            return _error(429, "rate_limited", "Too many requests.", {"Retry-After": "1"})
        query = request.query_params
        try:
            per_page = int(query.get("per_page", "25"))
            offset = int(base64.urlsafe_b64decode(query["cursor"]).decode()) if query.get("cursor") else 0
            after = query.get("updated_after") or None
            ordered = state.ordered(after)
        except ValueError:
            return _error(400, "bad_request", "per_page, cursor or updated_after is malformed.")
        if not 1 <= per_page <= 100:
            return _error(400, "bad_request", "per_page must be 1 to 100.")
        if state.fail_after is not None:
            state.pages_served += 1
            if state.pages_served > state.fail_after:
                return _error(state.fail_status, "request_failed", state.fail_message)
        page = ordered[offset:offset + per_page]
        more = offset + per_page < len(ordered)
        next_cursor = base64.urlsafe_b64encode(str(offset + per_page).encode()).decode() if more else None
        return JSONResponse({"data": page, "meta": {"next_cursor": next_cursor, "per_page": per_page}})

    return Starlette(routes=[Route("/api/v2/tickets", tickets)])


class TicketDesk:
    """The desk served over https on 127.0.0.1 (`url`); `state` and `requests` for the test."""

    def __init__(self, count: int = 200, seed: int = 7) -> None:
        self.state = DeskState(count=count, seed=seed)
        self.requests = RequestLog()
        self.fake = HttpsFake(app(self.state, self.requests), name="ticket-desk")

    @property
    def url(self) -> str:
        return self.fake.url

    def start(self) -> TicketDesk:
        self.fake.start()
        return self

    def stop(self) -> None:
        self.fake.stop()

    def __enter__(self) -> TicketDesk:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
