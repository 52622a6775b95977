"""The fake environment's tables, rows, tokens and test controls (see the package docstring).

Rows are generated from their index with a fixed seed (cheap for 500k rows and the same in every
run); edits and added rows are kept beside them. Each row's primary key ends with its index in
hex, so a paging cookie's `last` key says where the next page starts. Rows are in `createdon`
order (seeded ones created in 2024, added ones when added), which lets the app read a `createdon`
range the way an index would, without generating the whole table.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.common.https import RequestLog

BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
ROW_STEP = timedelta(minutes=37)
# Seeded rows were all created in 2024 (closer together for big seeds), so rows added later sort after them.
SEED_SPAN = timedelta(days=365)


@dataclass(frozen=True)
class Column:
    """One column definition (AttributeMetadata): logical name, AttributeType, display name."""

    name: str
    kind: str
    label: str
    primary: bool = False
    attribute_of: str | None = None
    readable: bool = True
    creatable: bool = True
    updatable: bool = True

    @property
    def wire_name(self) -> str:
        """The column's name in Web API rows (lookups are `_<name>_value`)."""
        return f"_{self.name}_value" if self.kind in ("Lookup", "Customer", "Owner") else self.name


@dataclass(frozen=True)
class Table:
    """One table definition (EntityMetadata)."""

    logical: str
    entity_set: str | None
    label: str
    description: str
    primary: str
    columns: tuple[Column, ...] = ()
    private: bool = False

    def column(self, wire_name: str) -> Column | None:
        return next((c for c in self.columns if c.wire_name == wire_name), None)


ACCOUNT = Table("account", "accounts", "Account", "Business that represents a customer or potential customer.",
                "accountid", (
                    Column("accountid", "Uniqueidentifier", "Account", primary=True, creatable=False, updatable=False),
                    Column("name", "String", "Account Name"),
                    Column("accountnumber", "String", "Account Number"),
                    Column("telephone1", "String", "Main Phone"),
                    Column("emailaddress1", "String", "Email"),
                    Column("websiteurl", "String", "Website"),
                    Column("address1_city", "String", "Address 1: City"),
                    Column("address1_country", "String", "Address 1: Country/Region"),
                    Column("description", "Memo", "Description"),
                    Column("revenue", "Money", "Annual Revenue"),
                    Column("exchangerate", "Decimal", "Exchange Rate", creatable=False, updatable=False),
                    Column("numberofemployees", "Integer", "Number of Employees"),
                    Column("industrycode", "Picklist", "Industry"),
                    Column("creditonhold", "Boolean", "Credit Hold"),
                    Column("statecode", "State", "Status"),
                    Column("statuscode", "Status", "Status Reason"),
                    Column("parentaccountid", "Lookup", "Parent Account"),
                    Column("parentaccountidname", "String", "parentaccountidname", attribute_of="parentaccountid",
                           creatable=False, updatable=False),
                    Column("ownerid", "Owner", "Owner"),
                    Column("entityimage", "Virtual", "Default Image", readable=False),
                    Column("versionnumber", "BigInt", "Version Number", creatable=False, updatable=False),
                    Column("createdon", "DateTime", "Created On", creatable=False, updatable=False),
                    Column("modifiedon", "DateTime", "Modified On", creatable=False, updatable=False),
                ))
CONTACT = Table("contact", "contacts", "Contact", "Person with whom a business unit has a relationship.",
                "contactid", (
                    Column("contactid", "Uniqueidentifier", "Contact", primary=True, creatable=False, updatable=False),
                    Column("fullname", "String", "Full Name", creatable=False, updatable=False),
                    Column("firstname", "String", "First Name"),
                    Column("lastname", "String", "Last Name"),
                    Column("emailaddress1", "String", "Email"),
                    Column("jobtitle", "String", "Job Title"),
                    Column("birthdate", "DateTime", "Birthday"),
                    Column("gendercode", "Picklist", "Gender"),
                    Column("donotemail", "Boolean", "Do not allow Emails"),
                    Column("parentcustomerid", "Customer", "Company Name"),
                    Column("statecode", "State", "Status"),
                    Column("createdon", "DateTime", "Created On", creatable=False, updatable=False),
                    Column("modifiedon", "DateTime", "Modified On", creatable=False, updatable=False),
                ))
# A private table (listed by EntityDefinitions, never offered to users).
PRIVATE = Table("principalobjectaccess", "principalobjectaccessset", "Principal Object Access", "",
                "principalobjectaccessid", private=True)
TABLES = (ACCOUNT, CONTACT, PRIVATE)
BY_SET = {t.entity_set: t for t in TABLES if t.entity_set}
BY_LOGICAL = {t.logical: t for t in TABLES}

COMPANIES = ["Contoso", "Fabrikam", "Adventure Works", "Müller & Söhne GmbH", "Société Générale du Café",
             "株式会社サンプル", "Ωmega Λtd", "Zürich Rückversicherung", "São Paulo Comércio", "Łódź Logistyka",
             "O'Reilly Partners", "Nørrebro Design ApS"]
CITIES = [("Redmond", "United States"), ("München", "Deutschland"), ("Québec", "Canada"), ("東京", "日本"),
          ("São Paulo", "Brasil"), ("Kraków", "Polska"), ("Reykjavík", "Ísland"), (None, None)]
FIRST = ["Yvonne", "Susanna", "José", "Zoë", "Håkon", "Aiko", "Renée", "Łukasz", "Siobhán", "Nguyễn"]
LAST = ["McKay", "Stubberød", "García", "Ødegård", "Tanaka", "Dubois", "Kowalski", "O'Brien", "Müller", "Trần"]
JOBS = ["Purchasing Manager", "CEO", "Ingénieure", None, "Buyer", "経理部長"]
OWNER = "3b6e5a1c-9f0d-4c2e-8a77-0000000000aa"


def guid(seed: int, logical: str, index: int) -> str:
    """Row `index`'s random-looking primary key, whose last group is the index."""
    salt = 1 if logical == "account" else 2
    head = uuid.UUID(int=random.Random(seed * 10_000_019 + salt * 1_000_000_007 + index).getrandbits(128),
                     version=4).hex
    return f"{head[:8]}-{head[8:12]}-{head[12:16]}-{head[16:20]}-{index:012x}"


def index_of(key: str) -> int | None:
    """The row index a primary key carries (see `guid`)."""
    try:
        return int(key.rsplit("-", 1)[1], 16)
    except (IndexError, ValueError):
        return None


def stamp(moment: datetime) -> str:
    """A DateTimeOffset as the Web API writes it (UTC, seconds, `Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def row_step(rows: int) -> timedelta:
    """The time between two seeded rows' creation, for a table seeded with `rows` rows."""
    return min(ROW_STEP, SEED_SPAN / max(rows, 1))


def _account(seed: int, index: int, step: timedelta) -> dict[str, Any]:
    rng = random.Random(seed * 1_000_003 + index)
    company = f"{rng.choice(COMPANIES)} {index}"
    city, country = rng.choice(CITIES)
    created = BASE_TIME + step * index
    parent = guid(seed, "account", index // 2) if index % 5 == 4 else None
    return {
        "accountid": guid(seed, "account", index),
        "name": company,
        "accountnumber": f"ACC-{index:06d}",
        "telephone1": None if index % 7 == 3 else f"+1-425-555-{index % 10000:04d}",
        "emailaddress1": f"info{index}@{company.split()[0].lower().strip('&')}.example",
        "websiteurl": None if index % 4 == 1 else f"https://www.example.com/{index}",
        "address1_city": city,
        "address1_country": country,
        "description": None if index % 3 == 0 else f"Kunde seit {2000 + index % 24}.\nNotiz: «{company}» ✓",
        "revenue": None if index % 6 == 5 else round(rng.uniform(1e4, 5e7), 2),
        "exchangerate": 1.0,
        "numberofemployees": rng.randint(1, 20000),
        "industrycode": rng.choice([1, 2, 3, 6, 7, 12, 33]),
        "creditonhold": index % 9 == 0,
        "statecode": 0 if index % 11 else 1,
        "statuscode": 1 if index % 11 else 2,
        "_parentaccountid_value": parent,
        "_ownerid_value": OWNER,
        "versionnumber": 1000 + index,
        "createdon": stamp(created),
        "modifiedon": stamp(created + timedelta(minutes=rng.randint(0, 30))),
    }


def _contact(seed: int, index: int, step: timedelta) -> dict[str, Any]:
    rng = random.Random(seed * 2_000_003 + index)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    created = BASE_TIME + step * index
    born = datetime(1950, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 18000))
    return {
        "contactid": guid(seed, "contact", index),
        "fullname": f"{first} {last}",
        "firstname": first,
        "lastname": last,
        "emailaddress1": None if index % 8 == 2 else f"{first.lower()}.{index}@example.com",
        "jobtitle": rng.choice(JOBS),
        # A date-only column: Dataverse writes the day alone.
        "birthdate": None if index % 5 == 0 else born.strftime("%Y-%m-%d"),
        "gendercode": rng.choice([1, 2, None]),
        "donotemail": index % 4 == 0,
        "_parentcustomerid_value": guid(seed, "account", index) if index % 3 else None,
        "statecode": 0,
        "createdon": stamp(created),
        "modifiedon": stamp(created + timedelta(hours=rng.randint(0, 48))),
    }


GENERATORS: dict[str, Callable[[int, int, timedelta], dict[str, Any]]] = {"account": _account, "contact": _contact}
PICKLISTS = {"industrycode": {1: "Accounting", 2: "Agriculture", 3: "Broadcasting", 6: "Consulting",
                              7: "Consumer Services", 12: "Financial", 33: "Wholesale"},
             "gendercode": {1: "Male", 2: "Female"}, "statecode": {0: "Active", 1: "Inactive"},
             "statuscode": {1: "Active", 2: "Inactive"}}


@dataclass
class Fault:
    """An error the next data requests answer (test control)."""

    status: int
    code: str
    message: str
    retry_after: int | None = None
    # Requests answered normally before this one fails.
    after: int = 0


@dataclass
class Environment:
    """The fake environment's state (see the package docstring for the controls)."""

    accounts: int = 300
    contacts: int = 120
    seed: int = 7
    # The most rows one page holds whatever the client prefers (Dataverse: 5,000).
    page_cap: int = 5000
    client_id: str = "dynamics-client"
    client_secret: str = field(default_factory=lambda: "secret-" + secrets.token_hex(8))
    refresh_token: str = field(default_factory=lambda: "refresh-" + secrets.token_hex(12))
    tenant: str = "common"
    now: Callable[[], float] = time.time
    log: RequestLog = field(default_factory=RequestLog)
    prefers: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.counts = {"account": self.accounts, "contact": self.contacts}
        self.steps = {name: row_step(rows) for name, rows in self.counts.items()}
        self.edits: dict[str, dict[int, dict[str, Any]]] = {"account": {}, "contact": {}}
        self.tokens: set[str] = set()
        self.codes: set[str] = set()
        self.faults: list[Fault] = []
        self.access_token = self.issue()

    # -- rows -------------------------------------------------------------------------------

    def count(self, table: Table) -> int:
        with self.lock:
            return self.counts.get(table.logical, 0)

    def row(self, table: Table, index: int) -> dict[str, Any]:
        """Row `index` of `table`, with its edits."""
        row = GENERATORS[table.logical](self.seed, index, self.steps[table.logical])
        edits = self.edits[table.logical].get(index)
        if edits:
            row.update(edits)
        return row

    def update(self, entity_set: str, index: int, **values: Any) -> dict[str, Any]:
        """Change row `index` of a table (its `modifiedon` becomes `now()`); the row after."""
        table = BY_SET[entity_set]
        with self.lock:
            change = self.edits[table.logical].setdefault(index, {})
            change.update(values)
            change["modifiedon"] = stamp(datetime.fromtimestamp(self.now(), UTC))
            change["versionnumber"] = 10_000_000 + len(self.edits[table.logical])
        return self.row(table, index)

    def add(self, entity_set: str, n: int = 1) -> list[int]:
        """Add `n` rows to a table (created and modified now); their indexes."""
        table = BY_SET[entity_set]
        with self.lock:
            first = self.counts[table.logical]
            self.counts[table.logical] += n
        moment = stamp(datetime.fromtimestamp(self.now(), UTC))
        for index in range(first, first + n):
            with self.lock:
                self.edits[table.logical][index] = {"createdon": moment, "modifiedon": moment}
        return list(range(first, first + n))

    # -- tokens -----------------------------------------------------------------------------

    def issue(self) -> str:
        """A new valid access token."""
        token = "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
        return token

    def valid(self, token: str) -> bool:
        with self.lock:
            return token in self.tokens

    def expire_tokens(self) -> None:
        """Every access token issued so far expires (the refresh token stays valid)."""
        with self.lock:
            self.tokens.clear()

    def new_code(self) -> str:
        """An authorization code the token endpoint exchanges once."""
        code = "code-" + secrets.token_hex(8)
        with self.lock:
            self.codes.add(code)
        return code

    def take_code(self, code: str) -> bool:
        with self.lock:
            if code in self.codes:
                self.codes.discard(code)
                return True
            return False

    # -- faults -----------------------------------------------------------------------------

    def throttle_next(self, n: int = 1, retry_after: int = 1) -> None:
        """The next `n` data requests answer 429 (service protection: request count)."""
        with self.lock:
            self.faults += [Fault(429, "0x80072322", "Number of requests exceeded the limit of 6000 over time "
                                  "window of 300 seconds.", retry_after) for _ in range(n)]

    def fail_next(self, status: int, code: str, message: str, after: int = 0) -> None:
        """A Web API request answers this Dataverse error: the next one, or the one `after` more."""
        with self.lock:
            self.faults.append(Fault(status, code, message, after=after))

    def take_fault(self) -> Fault | None:
        with self.lock:
            if not self.faults:
                return None
            if self.faults[0].after > 0:
                self.faults[0].after -= 1
                return None
            return self.faults.pop(0)
