"""The fake business unit's state: tokens, lazily generated records, edits and test controls."""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tests.fakes.common.https import RequestLog
from tests.fakes.common.throttle import Throttles

# Pardot writes instants with the account's offset; the fake uses a fixed US-Eastern one.
EASTERN = timezone(timedelta(hours=-5))
FIRST = ["Ana", "Zoë", "Łukasz", "Mei", "Søren", "José", "Aoife", "Dmitri", "山田", "Nnamdi", "Chloé", "Óscar"]
LAST = ["García", "Müller", "Nowak", "Chen", "Ødegaard", "O'Brien", "Sánchez", "Тарасов", "太郎", "Smith"]
COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella GmbH", "Société Générale d'Essai", "株式会社テスト", None]
TITLES = ["CTO", "Marketing Manager", "Développeur", "Buyer", None]
COUNTRIES = ["USA", "Deutschland", "France", "日本", "Brasil", None]
INDUSTRIES = ["Software", "Manufacturing", "Healthcare", None]
SOURCES = ["Website", "Trade Show", "Webinar", None]
LANGUAGES = ["English", "Deutsch", "Français", "日本語"]
INTERESTS = ["Analytics", "Automation", "Security", "Cloud"]
CUSTOM_FIELDS = [
    {"id": 101, "name": "Preferred Language", "fieldId": "Preferred_Language__c", "type": "Dropdown",
     "isRecordMultipleResponses": False},
    {"id": 102, "name": "Lifetime Value", "fieldId": "Lifetime_Value__c", "type": "Number",
     "isRecordMultipleResponses": False},
    {"id": 103, "name": "Interests", "fieldId": "Interests__c", "type": "Checkbox", "isRecordMultipleResponses": True},
]
FIRST_ID = 1000


def stamp(moment: float) -> str:
    """Epoch seconds as Pardot's ISO 8601 text with the account's offset."""
    return datetime.fromtimestamp(int(moment), EASTERN).isoformat()


class BusinessUnit:
    """One business unit's objects and the Salesforce org's tokens (thread-safe)."""

    def __init__(self, prospects: int = 300, seed: int = 7, *, business_unit_id: str = "0Uv5e000000CaFkCAK",
                 now: float | None = None) -> None:
        self.seed = seed
        self.business_unit_id = business_unit_id
        self.refresh_token = "5Aep861" + secrets.token_hex(12)
        self.auth_code = "aPrx" + secrets.token_hex(8)
        self.access_tokens: set[str] = set()
        self.base_url = "https://pi.pardot.com"
        self.lock = threading.Lock()
        self.log = RequestLog()
        self.throttles = Throttles()
        # Seeded records changed at least two hours before `now`, so a flow started later sees none as new.
        self.now = (now or time.time()) - 7200
        self.counts = {"prospects": prospects, "campaigns": 20, "lists": 15, "list-memberships": prospects,
                       "visitors": prospects, "visitor-activities": 2 * prospects,
                       "opportunities": max(1, prospects // 5),
                       "forms": 10, "list-emails": 10, "users": 8, "tags": 12, "custom-fields": len(CUSTOM_FIELDS)}
        self.changed: dict[tuple[str, int], dict[str, Any]] = {}
        self.token_grants = 0

    # -- tokens --------------------------------------------------------------------------------

    def issue_token(self) -> str:
        token = "00D5e000000" + secrets.token_hex(16)
        with self.lock:
            self.access_tokens.add(token)
            self.token_grants += 1
        return token

    def expire_tokens(self) -> None:
        """Invalidate every access token issued so far (a session timeout)."""
        with self.lock:
            self.access_tokens.clear()

    def token_valid(self, token: str) -> bool:
        with self.lock:
            return token in self.access_tokens

    def throttle_next(self, count: int = 1, after: int = 0, path: str = "/api/v5/",
                      retry_after: int | None = None) -> None:
        """Answer the next `count` requests under `path` (after `after` pass) with 429, code 66."""
        self.throttles.add(count, after, path, retry_after)

    # -- records -------------------------------------------------------------------------------

    def ids(self, name: str) -> range:
        return range(FIRST_ID, FIRST_ID + self.counts[name])

    def record(self, name: str, record_id: int) -> dict[str, Any]:
        """The record `record_id` of object `name` (generated from the seed, then any edits applied)."""
        index = record_id - FIRST_ID
        rng = random.Random(f"{self.seed}:{name}:{index}")
        created = self.now - rng.uniform(3 * 86400, 400 * 86400)
        updated = created + rng.uniform(0, self.now - created)
        base: dict[str, Any] = {"id": record_id, "createdAt": stamp(created), "updatedAt": stamp(updated),
                                "isDeleted": rng.random() < 0.03}
        campaign_id = 1000 + rng.randrange(self.counts["campaigns"])
        campaign = ({"id": campaign_id, "name": f"Campaign {campaign_id - 999} · Frühjahr"}
                    if rng.random() > 0.1 else None)
        make = getattr(self, "_" + name.replace("-", "_"))
        base.update(make(rng, index, campaign))
        with self.lock:
            changed = self.changed.get((name, record_id))
        if changed:
            base.update(changed)
        return base

    def _prospects(self, rng: random.Random, index: int, campaign: dict[str, Any] | None) -> dict[str, Any]:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        user = rng.randrange(self.counts["users"]) if rng.random() > 0.3 else None
        return {
            "email": f"prospect{index}@example.com", "salutation": rng.choice(["Mr.", "Ms.", "Dr.", None]),
            "firstName": first, "lastName": last, "jobTitle": rng.choice(TITLES), "company": rng.choice(COMPANIES),
            "website": rng.choice(["https://example.com", None]), "phone": rng.choice(["+1 555 0100", None]),
            "city": rng.choice(["Boston", "München", "Kraków", None]), "state": rng.choice(["MA", None]),
            "country": rng.choice(COUNTRIES), "zip": rng.choice(["02110", None]), "industry": rng.choice(INDUSTRIES),
            "source": rng.choice(SOURCES), "grade": rng.choice(["A", "B+", "C-", None]), "score": rng.randrange(0, 500),
            "salesforceId": f"00Q5e00000{index:08d}" if rng.random() > 0.4 else None,
            "notes": rng.choice(["Met at the booth ☕", "Prefers email", None]), "annualRevenue": None,
            "employees": rng.choice(["1-10", "500-1000", None]),
            "campaignId": campaign["id"] if campaign else None, "prospectAccountId": None,
            "assignedToId": None if user is None else 1000 + user,
            "isDoNotEmail": rng.random() < 0.1, "isDoNotCall": rng.random() < 0.1, "optedOut": rng.random() < 0.05,
            "isReviewed": rng.random() < 0.5, "isStarred": rng.random() < 0.2,
            "lastActivityAt": stamp(self.now - rng.uniform(0, 86400 * 30)) if rng.random() > 0.2 else None,
            "campaign": campaign,
            "assignedUser": None if user is None else {"id": 1000 + user, "email": f"user{user}@example.com",
                                                       "firstName": FIRST[user % len(FIRST)], "lastName": "Ng"},
            "Preferred_Language__c": rng.choice(LANGUAGES), "Lifetime_Value__c": round(rng.uniform(0, 9000), 2),
            "Interests__c": rng.sample(INTERESTS, rng.randrange(0, 3)),
        }

    def _campaigns(self, rng: random.Random, index: int, campaign: Any) -> dict[str, Any]:
        return {"name": f"Campaign {index + 1} · Frühjahr", "cost": rng.randrange(0, 10000), "folderId": 7,
                "createdById": 1000, "updatedById": 1001, "salesforceId": None}

    def _lists(self, rng: random.Random, index: int, campaign: Any) -> dict[str, Any]:
        return {"name": f"list_{index}", "title": f"Newsletter {index} ✉", "description": rng.choice(["", None, "VIP"]),
                "isDynamic": rng.random() < 0.3, "isPublic": rng.random() < 0.5, "folderId": 7,
                "campaignId": campaign["id"] if campaign else None}

    def _list_memberships(self, rng: random.Random, index: int, campaign: Any) -> dict[str, Any]:
        return {"listId": 1000 + rng.randrange(self.counts["lists"]), "prospectId": FIRST_ID + index,
                "optedOut": rng.random() < 0.05, "createdById": 1000, "updatedById": None}

    def _visitors(self, rng: random.Random, index: int, campaign: Any) -> dict[str, Any]:
        prospect = FIRST_ID + index if rng.random() > 0.5 else None
        return {"prospectId": prospect, "pageViewCount": rng.randrange(1, 40), "ipAddress": f"203.0.113.{index % 250}",
                "hostname": rng.choice(["example.net", None]), "isIdentified": prospect is not None,
                "campaignId": campaign["id"] if campaign else None, "campaign": campaign}

    def _visitor_activities(self, rng: random.Random, index: int, campaign: Any) -> dict[str, Any]:
        kind = rng.choice([(1, "Click"), (2, "View"), (4, "Form"), (6, "Email"), (11, "Email Open")])
        return {"type": kind[0], "typeName": kind[1], "details": rng.choice(["Pricing page", "Webinar · Q&A", None]),
                "prospectId": FIRST_ID + index // 2, "visitorId": FIRST_ID + index // 2,
                "campaignId": campaign["id"] if campaign else None, "emailId": None, "formId": None,
                "listEmailId": None, "campaign": campaign}

    def _opportunities(self, rng: random.Random, index: int, campaign: Any) -> dict[str, Any]:
        return {"name": f"Deal {index} · Ökosystem", "stage": rng.choice(["Prospecting", "Closed Won"]),
                "status": rng.choice(["Open", "Won", "Lost"]), "type": None, "salesforceId": None,
                "value": round(rng.uniform(1000, 90000), 2), "probability": rng.randrange(0, 101),
                "closedAt": None, "campaignId": campaign["id"] if campaign else None, "campaign": campaign}

    def _forms(self, rng: random.Random, index: int, campaign: Any) -> dict[str, Any]:
        return {"name": f"Form {index}", "embedCode": f"<iframe src=\"https://go.example.com/l/1/{index}\"></iframe>",
                "salesforceId": None, "campaignId": campaign["id"] if campaign else None, "folderId": 7,
                "layoutTemplateId": 3}

    def _list_emails(self, rng: random.Random, index: int, campaign: Any) -> dict[str, Any]:
        return {"name": f"Mailing {index}", "subject": "Neuigkeiten für Sie 🎉", "campaignId": None, "folderId": 7,
                "emailTemplateId": 1000 + index, "isSent": rng.random() < 0.7, "isPaused": False,
                "sentAt": stamp(self.now - 86400 * index)}

    def _users(self, rng: random.Random, index: int, campaign: Any) -> dict[str, Any]:
        return {"email": f"user{index}@example.com", "username": f"user{index}@example.com.pardot",
                "firstName": FIRST[index % len(FIRST)], "lastName": "Ng", "jobTitle": None,
                "role": rng.choice(["Administrator", "Marketing", "Sales"]), "salesforceId": f"0055e00000{index:06d}"}

    def _tags(self, rng: random.Random, index: int, campaign: Any) -> dict[str, Any]:
        return {"name": f"tag-{index}-ü", "objectCount": rng.randrange(0, 100)}

    def _custom_fields(self, rng: random.Random, index: int, campaign: Any) -> dict[str, Any]:
        return dict(CUSTOM_FIELDS[index])

    def records(self, name: str, start_id: int = FIRST_ID, descending: bool = False) -> Iterator[dict[str, Any]]:
        """Records of `name` by id from `start_id` (generated lazily)."""
        ids = self.ids(name)
        if descending:
            yield from (self.record(name, i) for i in reversed(ids) if i <= start_id)
        else:
            yield from (self.record(name, i) for i in ids if i >= start_id)

    # -- test controls -------------------------------------------------------------------------

    def edit(self, name: str, record_id: int, when: float | None = None, **changes: Any) -> None:
        """Change a record's fields and stamp its `updatedAt` with `when` (default: now)."""
        with self.lock:
            entry = self.changed.setdefault((name, record_id), {})
            entry.update(changes)
            entry["updatedAt"] = stamp(when if when is not None else time.time())

    def add(self, name: str, count: int, when: float | None = None) -> list[int]:
        """Append `count` new records to `name`, created and updated at `when`; their ids."""
        with self.lock:
            first = FIRST_ID + self.counts[name]
            self.counts[name] += count
        moment = stamp(when if when is not None else time.time())
        for record_id in range(first, first + count):
            with self.lock:
                self.changed[(name, record_id)] = {"createdAt": moment, "updatedAt": moment, "isDeleted": False}
        return list(range(first, first + count))


def parse_instant(text: str) -> float:
    """A v5 filter value (ISO 8601) as epoch seconds; ValueError when it is not one."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()

