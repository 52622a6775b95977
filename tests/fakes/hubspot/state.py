"""The fake HubSpot account's state: seeded CRM records, tokens, rate limits and the test controls.

Follows HubSpot's public API documentation:

* CRM objects - https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/guide
  (`GET /crm/v3/objects/{objectType}` with `limit` <= 100, `after`, `properties`, `archived`;
  answers `{"results": [{"id", "properties", "createdAt", "updatedAt", "archived"}],
  "paging": {"next": {"after", "link"}}}`; every property value is text or null);
* search - https://developers.hubspot.com/docs/api-reference/search/guide (`POST .../search` with
  `filterGroups` (OR of ANDed `filters`: EQ, NEQ, LT, LTE, GT, GTE, BETWEEN, IN, NOT_IN, HAS_PROPERTY,
  NOT_HAS_PROPERTY, CONTAINS_TOKEN), `sorts`, `properties`, `limit` <= 200, `after`; at most 5 groups,
  6 filters a group, 18 in all; no more than 10,000 results per query: paging past them is a 400);
* batch writes - https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/objects/batch/create-objects
  (100 inputs a call; `objectWriteTraceId` on the inputs turns partial failures into a 207 Multi-Status
  with `results` and `errors` whose `context.objectWriteTraceId` names the failed inputs; without it a
  refused input fails the whole call) and .../batch/update, .../batch/upsert (by `idProperty`,
  a unique-value property);
* errors and limits - https://developers.hubspot.com/docs/api-reference/error-handling and
  https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines (error bodies
  `{"status": "error", "message", "correlationId", "category"}`; 401 `INVALID_AUTHENTICATION` /
  `EXPIRED_AUTHENTICATION`; 429 `{"errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}`
  with the `X-HubSpot-RateLimit-*` headers);
* OAuth - https://developers.hubspot.com/docs/api-reference/auth/oauth/guide (`POST /oauth/v1/token`,
  form `grant_type=refresh_token&client_id&client_secret&refresh_token`, or `authorization_code` with
  `code` and `redirect_uri`; answers `token_type`,
  `access_token`, `refresh_token`, `expires_in`; a bad refresh token is a 400 `BAD_REFRESH_TOKEN`).

Records are generated from their index with a fixed seed (`record_at`), so a large seed costs
nothing until read; writes and `edit` keep their own copies.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from tests.fakes.common.https import RequestLog
from tests.fakes.common.throttle import Throttles

from .schema import SCHEMAS, definitions, modified_property

BASE_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
ID_BASE = {"contacts": 1000, "companies": 5000, "deals": 9000, "tickets": 13000, "products": 17000,
           "line_items": 21000}
SEARCH_CAP = 10_000
FIRST = ("Zoë", "José", "Łukasz", "Søren", "Anaïs", "美咲", "Мария", "Ngozi", "Siobhán", "Jürgen", "Ana", "Li")
LAST = ("Müller", "García", "Kowalski", "O'Brien", "Nakamura", "Ivanova", "Okafor", "Dubois", "Smith", "Nguyễn")
CITIES = ("Boston", "Zürich", "São Paulo", "Kraków", "東京", "Dublin", None)
WORDS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Cyberdyne", "Soylent")


def iso(ms: int) -> str:
    """Epoch milliseconds as HubSpot writes instants: `2024-01-01T00:00:00.000Z`."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def to_ms(value: Any) -> float | None:
    """An instant as epoch milliseconds: a number, numeric text or ISO text (a date is its midnight UTC)."""
    if value is None or value == "":
        return None
    text = str(value)
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp() * 1000


def _values(kind: str, index: int, rng: random.Random, created: int, modified: int) -> dict[str, str | None]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    word = rng.choice(WORDS)
    if kind == "contacts":
        return {"email": f"{first.lower()}.{index}@example.com" if index % 13 else None, "firstname": first,
                "lastname": last, "phone": f"+1 617 555 {index % 10000:04d}" if index % 4 else None,
                "company": f"{word} {rng.choice(('GmbH', 'Inc.', 'S.A.', 'Ltd'))}",
                "city": rng.choice(CITIES), "lifecyclestage": rng.choice(("lead", "customer", "subscriber")),
                "hs_email_optout": rng.choice(("true", "false")),
                "date_of_birth": f"19{60 + index % 40}-{1 + index % 12:02d}-{1 + index % 28:02d}" if index % 3
                else None,
                "num_notes": str(index % 7), "notes_last_contacted": iso(modified - 86_400_000) if index % 2 else None}
    if kind == "companies":
        return {"name": f"{word} {index} — {rng.choice(('Holdings', 'Labs', 'Société', 'Werke'))}",
                "domain": f"{word.lower()}{index}.example.com", "city": rng.choice(CITIES),
                "country": rng.choice(("United States", "Deutschland", "Brasil", "日本")),
                "industry": rng.choice(("COMPUTER_SOFTWARE", "RETAIL", "BANKING", None)),
                "numberofemployees": str(rng.randint(1, 50_000)),
                "annualrevenue": f"{rng.randint(10_000, 90_000_000)}.{rng.randint(0, 99):02d}" if index % 5 else None,
                "is_public": rng.choice(("true", "false")), "description": f"Makers of fine {word.lower()} ☕"}
    if kind == "deals":
        return {"dealname": f"{word} renewal #{index}", "amount": f"{rng.randint(100, 250_000)}.{index % 100:02d}",
                "dealstage": rng.choice(("appointmentscheduled", "qualifiedtobuy", "closedwon", "closedlost")),
                "pipeline": "default", "closedate": iso(created + 30 * 86_400_000) if index % 3 else None}
    if kind == "tickets":
        return {"subject": f"Cannot log in ({first})", "content": f"Héllo, the portal says «{word}» is down.\nThanks",
                "hs_pipeline": "0", "hs_pipeline_stage": str(1 + index % 4),
                "hs_ticket_priority": rng.choice(("LOW", "MEDIUM", "HIGH", None))}
    if kind == "products":
        return {"name": f"{word} widget {index}", "price": f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}",
                "hs_sku": f"SKU-{index:06d}", "description": f"A {word} widget, size {index % 5}",
                "recurringbillingfrequency": rng.choice(("monthly", "annually", None))}
    quantity = rng.randint(1, 20)
    price = rng.randint(1, 500)
    return {"name": f"{word} widget line {index}", "quantity": str(quantity), "price": f"{price}.00",
            "amount": f"{quantity * price}.00", "hs_product_id": str(ID_BASE["products"] + 1 + index % 50)}


def record_at(kind: str, index: int) -> dict[str, Any]:
    """The seeded record number `index` (0-based) of an object type; the same every time."""
    rng = random.Random(f"{kind}:{index}")
    object_id = str(ID_BASE[kind] + 1 + index)
    created = BASE_MS + index * 3_600_000
    modified = created + rng.randint(0, 3_000_000)  # before the next record's creation: ids ascend with time
    properties = _values(kind, index, rng, created, modified)
    properties.update({"createdate": iso(created), modified_property(kind): iso(modified), "hs_object_id": object_id})
    return {"id": object_id, "properties": properties, "createdAt": iso(created), "updatedAt": iso(modified),
            "archived": False}


class Auth:
    """OAuth 2.0 state: the app's client, refresh tokens and the access tokens issued."""

    def __init__(self, client_id: str, client_secret: str, refresh_token: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.refresh_tokens = {refresh_token}
        self.codes: set[str] = set()  # authorization codes not yet exchanged
        self.access: dict[str, bool] = {}  # token -> still valid
        self.refreshes = 0

    def issue(self, token: str | None = None) -> str:
        """A new valid access token."""
        token = token or "CJ" + secrets.token_urlsafe(24)
        self.access[token] = True
        return token

    def check(self, header: str | None) -> str | None:
        """None when the bearer token is valid, else the error category."""
        token = (header or "").removeprefix("Bearer ").strip()
        state = self.access.get(token)
        if state is None:
            return "INVALID_AUTHENTICATION"
        return None if state else "EXPIRED_AUTHENTICATION"


class HubSpotState:
    """One fake HubSpot account (see the module docstring); `records` is the seed size per object type."""

    def __init__(self, records: int = 300, *, client_id: str = "hubspot-client", client_secret: str = "hubspot-secret",
                 refresh_token: str = "hubspot-refresh-0000", search_cap: int = SEARCH_CAP,
                 sizes: dict[str, int] | None = None) -> None:
        self.lock = threading.RLock()
        self.sizes = {kind: (sizes or {}).get(kind, records) for kind in SCHEMAS}
        self.auth = Auth(client_id, client_secret, refresh_token)
        self.search_cap = search_cap
        self.log = RequestLog()
        self.bodies: list[tuple[str, Any]] = []  # (path, JSON body) of each POST, for push-down assertions
        self.throttles = Throttles()
        self.changed: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in SCHEMAS}
        self.created: dict[str, list[str]] = {kind: [] for kind in SCHEMAS}
        self.next_id = {kind: ID_BASE[kind] + 1 + self.sizes[kind] for kind in SCHEMAS}
        self.rejections: list[tuple[str, str, str, str]] = []
        self.clock_ms: int | None = None
        self.version = 0  # counts writes, so a cached search result is dropped after one
        self.search_cache: tuple[Any, list[str]] | None = None
        # The account's clock, epoch seconds: tests running the scheduler faster than real time
        # give the fake the same accelerated time, so a change's modified time falls in the next window.
        self.clock: Callable[[], float] = time.time

    # -- test controls -----------------------------------------------------------------------------

    def throttle_next(self, count: int = 1, path: str = "/crm", retry_after: int | None = 1, after: int = 0) -> None:
        """Answer the next `count` requests under `path` with HubSpot's ten-secondly 429."""
        self.throttles.add(count, after, path, retry_after)

    def expire_tokens(self) -> None:
        """Every access token issued so far answers 401 EXPIRED_AUTHENTICATION from now on."""
        with self.lock:
            for token in self.auth.access:
                self.auth.access[token] = False

    def reject(self, kind: str, prop: str, value: str, message: str = "") -> None:
        """Refuse writes of `kind` records whose `prop` is `value` (a VALIDATION_ERROR for that input)."""
        self.rejections.append((kind, prop, value, message or f'Property values were not valid: "{value}" is not '
                                f"a valid {prop}"))

    def edit(self, kind: str, object_id: str, **values: str | None) -> None:
        """Change a record's properties now (its last-modified time moves to now)."""
        with self.lock:
            current = self.get(kind, object_id)
            assert current is not None, object_id
            self._save(kind, current, values)

    def now_ms(self) -> int:
        """The account's clock, epoch milliseconds (strictly increasing, so every change has its own time)."""
        with self.lock:
            now = int(self.clock() * 1000)
            self.clock_ms = now if self.clock_ms is None or now > self.clock_ms else self.clock_ms + 1
            return self.clock_ms

    # -- records -----------------------------------------------------------------------------------

    def get(self, kind: str, object_id: str) -> dict[str, Any] | None:
        """A record by id (a copy), or None."""
        with self.lock:
            if object_id in self.changed[kind]:
                return _copy(self.changed[kind][object_id])
        if not object_id.isdigit():
            return None
        index = int(object_id) - ID_BASE[kind] - 1
        return record_at(kind, index) if 0 <= index < self.sizes[kind] else None

    def all(self, kind: str, start: int = 0) -> Iterator[dict[str, Any]]:
        """Every record in id order, from position `start` (generated as read: a page costs its own records)."""
        size = self.sizes[kind]
        for index in range(start, size):
            object_id = str(ID_BASE[kind] + 1 + index)
            changed = self.changed[kind].get(object_id)
            yield _copy(changed) if changed is not None else record_at(kind, index)
        with self.lock:
            created = list(self.created[kind])
        for object_id in created[max(0, start - size):]:
            yield _copy(self.changed[kind][object_id])

    def create(self, kind: str, properties: dict[str, Any]) -> dict[str, Any]:
        """A new record with `properties`."""
        with self.lock:
            object_id = str(self.next_id[kind])
            self.next_id[kind] += 1
            now = self.now_ms()
            record = {"id": object_id, "properties": {"createdate": iso(now), "hs_object_id": object_id},
                      "createdAt": iso(now), "updatedAt": iso(now), "archived": False}
            self.created[kind].append(object_id)
            self._save(kind, record, properties, now)
            return _copy(self.changed[kind][object_id])

    def update(self, kind: str, record: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
        """`record` with `properties` written."""
        with self.lock:
            self._save(kind, record, properties)
            return _copy(self.changed[kind][record["id"]])

    def find(self, kind: str, prop: str, value: str) -> dict[str, Any] | None:
        """The record whose `prop` equals `value` (case-insensitively, as HubSpot matches emails)."""
        if prop in ("hs_object_id", "id"):
            return self.get(kind, value)
        wanted = value.lower()
        for record in self.all(kind):
            if str(record["properties"].get(prop) or "").lower() == wanted:
                return record
        return None

    def refusal(self, kind: str, properties: dict[str, Any]) -> tuple[str, str] | None:
        """(category, message) when a write of `properties` is refused, else None."""
        known = definitions(kind)
        for name in properties:
            if name not in known:
                return "VALIDATION_ERROR", f'Property "{name}" does not exist'
            if known[name].read_only and name != "hs_object_id":
                return "VALIDATION_ERROR", f'Property "{name}" is a read only property; its value cannot be set.'
        for rule_kind, prop, value, message in self.rejections:
            if rule_kind == kind and str(properties.get(prop)) == value:
                return "VALIDATION_ERROR", message
        return None

    def _save(self, kind: str, record: dict[str, Any], values: dict[str, Any], now: int | None = None) -> None:
        now = now or self.now_ms()
        properties = dict(record["properties"])
        for name, value in values.items():
            properties[name] = None if value is None else _text(value)
        properties[modified_property(kind)] = iso(now)
        record = {**record, "properties": properties, "updatedAt": iso(now)}
        self.changed[kind][record["id"]] = record
        self.version += 1

    def correlation(self) -> str:
        """A request's correlation id."""
        return str(uuid.uuid4())


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _copy(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "properties": dict(record["properties"])}
