"""The fake subscription's state: seeded data plus changes, access tokens, limits, and the test controls.

Test controls (not Marketo API): `throttle_next(n, style)` forces 606 answers (HTTP 200, as Marketo signals
them) or HTTP 429 with `Retry-After`; `fail_next(code, n)` forces any response-level error (607 daily quota,
615 concurrency, 604 timeout, ...); `expire_tokens()` makes every issued token answer 602; `reject(...)` makes
Sync Leads skip matching records; `add_leads` / `update_lead` / `delete_lead` change data for incremental
tests; `log` is the RequestLog.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tests.fakes.common.https import RequestLog

from . import data
from .schema import CHANGE_DATA_VALUE, DELETE_LEAD, FIELDS_BY_NAME, NEW_LEAD, iso


class MarketoError(Exception):
    """A response-level error: HTTP 200, `success: false`, `errors: [{code, message}]`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class HttpError(Exception):
    """An HTTP-level error (401 identity, 413, 414, or a forced 429) with a JSON body and headers."""

    def __init__(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = headers or {}


@dataclass
class Token:
    """An access token of one custom service (client id)."""

    value: str
    client_id: str
    expires_at: float


@dataclass
class Rejection:
    """Sync Leads skips input records for which `match(record)` holds, with this reason."""

    match: Callable[[dict], bool]
    code: str
    message: str


EMAIL_PATTERN = re.compile(r"lead(\d+)@example(\d)\.com")


class MarketoState:
    """A Marketo subscription with `leads` seeded leads (and activities, programs, campaigns)."""

    def __init__(self, leads: int = 300, activities: int | None = None, programs: int = 45, campaigns: int = 40,
                 seed: int = 7, client_id: str = "sluice-client", client_secret: str = "sluice-secret",
                 token_ttl: int = 3600, rate_limit: tuple[int, float] | None = (100, 20.0),
                 daily_quota: int = 50_000, export_quota_bytes: int = 500 * 1024 * 1024,
                 status_polls_to_complete: int = 2, munchkin_id: str = "123-ABC-456",
                 epoch: dt.datetime | None = None) -> None:
        self._lock = threading.RLock()
        self.epoch = epoch or data.default_epoch()
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
        self.seed = seed
        self.seeded_leads = leads
        self.seeded_activities = leads * 3 if activities is None else activities
        self.program_count = programs
        self.campaign_count = campaigns
        self.munchkin_id = munchkin_id
        self.clients: dict[str, str] = {client_id: client_secret}
        self.scope = "apis@sluice.test"
        self.token_ttl = token_ttl
        self.tokens: dict[str, Token] = {}
        self.rate_limit = rate_limit
        self.daily_quota = daily_quota
        self.calls_today = 0
        self.export_quota_bytes = export_quota_bytes
        self.exported_bytes = 0
        self.status_polls_to_complete = status_polls_to_complete
        self.log = RequestLog()
        self._recent_calls: deque[float] = deque()
        self._forced: deque[list[Any]] = deque()
        self.rejections: list[Rejection] = []
        # Changes over the seed: full records of edited or created leads, deleted ids, appended activities.
        self._changed: dict[int, dict] = {}
        self._deleted: set[int] = set()
        self._next_lead_id = leads + 1
        self._extra_activities: list[dict] = []
        self._email_index: dict[str, set[int]] = {}
        self.exports: dict[str, Any] = {}  # exportId -> bulk.ExportJob (kept here so tests can inspect filters)

    # -- clock
    def now(self) -> dt.datetime:
        """The subscription's current time, whole seconds (Marketo's datetimes carry no fractions).

        Tests that speed up Sluice's scheduler replace `clock` so records are stamped on the same clock."""
        return self.clock().astimezone(dt.UTC).replace(microsecond=0)

    # -- identity
    def issue_token(self, client_id: str, client_secret: str) -> tuple[str, int]:
        """The service's current token and its remaining lifespan, or a new one (Authentication page)."""
        with self._lock:
            if self.clients.get(client_id) != client_secret or not client_secret:
                raise HttpError(401, {"error": "unauthorized", "error_description": "Bad client credentials"})
            now = time.time()
            for token in self.tokens.values():
                if token.client_id == client_id and token.expires_at - now > 0:
                    return token.value, int(token.expires_at - now)
            value = f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}:ab"
            self.tokens[value] = Token(value, client_id, now + self.token_ttl)
            return value, self.token_ttl

    def check_token(self, value: str | None) -> None:
        """Raise 601 for a missing or unknown token, 602 for an expired one."""
        with self._lock:
            token = self.tokens.get(value or "")
            if token is None:
                raise MarketoError("601", "Access token invalid")
            if token.expires_at <= time.time():
                raise MarketoError("602", "Access token expired")

    def expire_tokens(self) -> None:
        """Control: every issued token is now expired (calls answer 602 until the client re-authenticates)."""
        with self._lock:
            for token in self.tokens.values():
                token.expires_at = 0

    # -- limits
    def throttle_next(self, n: int = 1, style: str = "606", retry_after: int = 1, path: str | None = None,
                      after: int = 0) -> None:
        """Control: throttle `n` REST calls: "606" (HTTP 200 envelope) or "429" (HTTP + Retry-After).

        With `path`, only calls whose path contains it count, and the first `after` of them pass."""
        with self._lock:
            for _ in range(n):
                self._forced.append(["throttle", style, retry_after, path, after])

    def fail_next(self, code: str, n: int = 1, path: str | None = None, after: int = 0) -> None:
        """Control: `n` REST calls (matching `path`, after `after` of them) fail with response-level `code`."""
        with self._lock:
            for _ in range(n):
                self._forced.append(["error", code, 0, path, after])

    def exhaust_daily_quota(self) -> None:
        """Control: today's call quota is used up (607 until `calls_today` is reset)."""
        with self._lock:
            self.calls_today = self.daily_quota

    def take_forced(self, path: str = "") -> None:
        """Raise the answer a test forced on this call, if any (checked before the token, like a gateway)."""
        with self._lock:
            chosen = None
            for entry in self._forced:
                if entry[3] is None or entry[3] in path:
                    chosen = entry
                    break
            if chosen is None:
                return
            if chosen[4] > 0:
                chosen[4] -= 1
                return
            self._forced.remove(chosen)
            kind, code, retry_after = chosen[0], chosen[1], chosen[2]
        if kind == "throttle" and code == "429":
            raise HttpError(429, envelope_error("606", RATE_MESSAGE), {"Retry-After": str(retry_after)})
        raise MarketoError(code, RATE_MESSAGE if kind == "throttle" else ERROR_MESSAGES.get(code, "Error"))

    def count_call(self) -> None:
        """Count one authenticated call against the daily quota and the 100-calls-per-20-s rate limit.

        Calls answered with an error are not counted (Error Codes page, response-level note)."""
        with self._lock:
            if self.calls_today >= self.daily_quota:
                raise MarketoError("607", ERROR_MESSAGES["607"])
            now = time.monotonic()
            if self.rate_limit is not None:
                calls, window = self.rate_limit
                while self._recent_calls and now - self._recent_calls[0] > window:
                    self._recent_calls.popleft()
                if len(self._recent_calls) >= calls:
                    raise MarketoError("606", RATE_MESSAGE)
                self._recent_calls.append(now)
            self.calls_today += 1

    # -- leads
    def lead(self, lead_id: int) -> dict | None:
        """Every field of a live lead, or None."""
        with self._lock:
            if lead_id in self._deleted:
                return None
            if lead_id in self._changed:
                return dict(self._changed[lead_id])
            if 1 <= lead_id <= self.seeded_leads:
                return data.seeded_lead(self.seed, lead_id, self.seeded_leads, self.epoch)
            return None

    def lead_ids(self) -> Iterator[int]:
        """Live lead ids in id order."""
        with self._lock:
            last = self._next_lead_id
            deleted = set(self._deleted)
        for lead_id in range(1, last):
            if lead_id not in deleted and (lead_id <= self.seeded_leads or lead_id in self._changed):
                yield lead_id

    def leads(self) -> Iterator[dict]:
        """Live leads in id order."""
        for lead_id in self.lead_ids():
            record = self.lead(lead_id)
            if record is not None:
                yield record

    def leads_in_range(self, field_name: str, low: dt.datetime, high: dt.datetime) -> Iterator[dict]:
        """Live leads whose createdAt/updatedAt lies in [low, high], in id order, without generating the rest.

        Seeded leads are created in id order and updated within 20 days of creation, so only a slice of ids
        can match; changed and created leads are checked one by one."""
        step = data.SPAN / max(self.seeded_leads, 1)
        reach = dt.timedelta(days=20) if field_name == "updatedAt" else dt.timedelta(0)
        first = max(1, int((low - reach - self.epoch) / step))
        last = min(self.seeded_leads, int((high - self.epoch) / step) + 2)
        with self._lock:
            changed = set(self._changed)
        candidates = sorted({*range(first, last + 1), *changed})
        for lead_id in candidates:
            record = self.lead(lead_id)
            if record is None:
                continue
            moment = dt.datetime.strptime(record[field_name], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            if low <= moment <= high:
                yield record

    def find(self, field_name: str, value: Any) -> list[dict]:
        """Live leads whose `field_name` equals `value` (string compare, as filterValues arrive as text)."""
        if field_name == "id":
            try:
                record = self.lead(int(value))
            except (TypeError, ValueError):
                return []
            return [record] if record else []
        if field_name == "email":
            return self._find_email(str(value))
        return [r for r in self.leads() if r.get(field_name) is not None and str(r[field_name]) == str(value)]

    def _find_email(self, email: str) -> list[dict]:
        with self._lock:
            ids = set(self._email_index.get(email.lower(), set()))
            match = EMAIL_PATTERN.fullmatch(email.lower())
            if match and int(match.group(1)) <= self.seeded_leads and int(match.group(1)) % 7 == int(match.group(2)):
                seeded_id = int(match.group(1))
                if seeded_id not in self._changed:
                    ids.add(seeded_id)
        found = [self.lead(i) for i in sorted(ids)]
        return [r for r in found if r is not None and str(r.get("email", "")).lower() == email.lower()]

    def create_lead(self, values: dict) -> dict:
        """Store a new lead (all fields, unset ones null); logs a New Lead activity."""
        with self._lock:
            lead_id = self._next_lead_id
            self._next_lead_id += 1
            stamp = iso(self.now())
            record = {name: None for name in FIELDS_BY_NAME}
            record.update(values)
            record.update(id=lead_id, createdAt=stamp, updatedAt=stamp)
            self._store(record)
            self._activity(NEW_LEAD, lead_id, None, None, [
                {"name": "Source Type", "value": "Web service API"},
                {"name": "API Method Name", "value": "syncLead"}])
            return dict(record)

    def update_lead(self, lead_id: int, **values: Any) -> dict:
        """Change fields of a live lead (also a test control); logs Change Data Value activities."""
        with self._lock:
            record = self.lead(lead_id)
            if record is None:
                raise KeyError(lead_id)
            changed = {k: v for k, v in values.items() if record.get(k) != v}
            for name, new in changed.items():
                spec = FIELDS_BY_NAME[name]
                self._activity(CHANGE_DATA_VALUE, lead_id, spec.id, spec.display_name, [
                    {"name": "New Value", "value": new}, {"name": "Old Value", "value": record.get(name)},
                    {"name": "Reason", "value": "Web service API"}, {"name": "Source", "value": "Web service API"}],
                    fields=[{"id": spec.id, "name": name, "newValue": new, "oldValue": record.get(name)}])
            record.update(changed)
            if changed:
                record["updatedAt"] = iso(self.now())
            self._store(record)
            return dict(record)

    def delete_lead(self, lead_id: int) -> bool:
        """Delete a live lead (also a test control); logs a Delete Lead activity. False if it was not there."""
        with self._lock:
            record = self.lead(lead_id)
            if record is None:
                return False
            self._deleted.add(lead_id)
            name = " ".join(str(record.get(k) or "") for k in ("firstName", "lastName")).strip()
            self._activity(DELETE_LEAD, lead_id, lead_id, name, [])
            return True

    def add_leads(self, records: list[dict]) -> list[dict]:
        """Control: create leads as if entered in Marketo (for incremental tests)."""
        return [self.create_lead(r) for r in records]

    def _store(self, record: dict) -> None:
        old = self._changed.get(record["id"])
        if old and old.get("email"):
            self._email_index.get(str(old["email"]).lower(), set()).discard(record["id"])
        self._changed[record["id"]] = record
        if record.get("email"):
            self._email_index.setdefault(str(record["email"]).lower(), set()).add(record["id"])

    # -- writes
    def reject(self, match: Callable[[dict], bool] | None = None, *, email: str | None = None,
               code: str = "1003", message: str = "Invalid data") -> None:
        """Control: Sync Leads skips input records matching `match` (or with this `email`) with this reason."""
        if match is None:
            if email is None:
                raise ValueError("reject needs match or email")
            target = email.lower()

            def match(record: dict) -> bool:
                return str(record.get("email", "")).lower() == target
        with self._lock:
            self.rejections.append(Rejection(match, code, message))

    def rejection_for(self, record: dict) -> Rejection | None:
        """The forced rejection that applies to an input record, if any."""
        with self._lock:
            return next((r for r in self.rejections if r.match(record)), None)

    # -- activities
    def activity_count(self) -> int:
        """Seeded plus appended activities (ids run 1..count, in date order)."""
        with self._lock:
            return self.seeded_activities + len(self._extra_activities)

    def activity(self, activity_id: int) -> dict:
        """Activity `activity_id` (1-based)."""
        if activity_id <= self.seeded_activities:
            return data.seeded_activity(self.seed, activity_id, self.seeded_activities, self.seeded_leads,
                                         self.epoch)
        with self._lock:
            return dict(self._extra_activities[activity_id - self.seeded_activities - 1])

    def first_activity_at_or_after(self, moment: dt.datetime) -> int:
        """The id of the first activity dated at or after `moment` (count + 1 if none): a binary search."""
        lo, hi = 1, self.activity_count() + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if activity_moment(self.activity(mid)) < moment:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _activity(self, type_id: int, lead_id: int, primary_id: int | None, primary: str | None,
                  attributes: list[dict], fields: list[dict] | None = None) -> None:
        activity_id = self.activity_count() + 1
        record: dict = {"id": activity_id, "marketoGUID": str(activity_id), "leadId": lead_id,
                        "activityDate": iso(self.now()), "activityTypeId": type_id, "attributes": attributes}
        if primary_id is not None:
            record.update(primaryAttributeValueId=primary_id, primaryAttributeValue=primary)
        if fields is not None:
            record["fields"] = fields
        self._extra_activities.append(record)

    # -- assets
    def programs(self) -> list[dict]:
        """Every program, by id."""
        return [data.seeded_program(self.seed, i, self.program_count, self.epoch) for i in range(self.program_count)]

    def campaigns(self) -> list[dict]:
        """Every smart campaign, by id."""
        return [data.seeded_campaign(self.seed, i, self.campaign_count, self.program_count, self.epoch)
                for i in range(self.campaign_count)]


def activity_moment(activity: dict) -> dt.datetime:
    """An activity's date as a datetime."""
    return dt.datetime.strptime(activity["activityDate"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


RATE_MESSAGE = "Max rate limit '100' exceeded with in '20' secs"

ERROR_MESSAGES = {
    "601": "Access token invalid", "602": "Access token expired", "603": "Access denied",
    "604": "Request time-out", "606": RATE_MESSAGE, "607": "Daily quota reached",
    "608": "API Temporarily Unavailable", "609": "Invalid JSON", "610": "Requested resource not found",
    "611": "System error", "615": "Concurrent access limit reached", "713": "Transient Error",
}


def request_id() -> str:
    """A request id shaped like Marketo's (`e42b#14272d07d78`)."""
    return f"{secrets.token_hex(2)}#{secrets.token_hex(6)[:11]}"


def envelope_error(code: str, message: str) -> dict:
    """The response-level error envelope."""
    return {"requestId": request_id(), "success": False, "errors": [{"code": code, "message": message}]}
