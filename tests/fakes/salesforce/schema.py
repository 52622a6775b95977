"""sObject definitions (describe metadata) and deterministic data generation for the fake org."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "int": "xsd:int", "double": "xsd:double",
    "currency": "xsd:double", "percent": "xsd:double", "date": "xsd:date", "datetime": "xsd:dateTime",
    "address": "urn:address",
}
SQL_TYPES = {"boolean": "INTEGER", "int": "INTEGER", "double": "REAL", "currency": "REAL", "percent": "REAL"}
# Fields the platform maintains: never createable nor updateable through the API.
SYSTEM_FIELDS = {"Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp"}


@dataclass
class FieldDef:
    """One field of an sObject, with the describe attributes Salesforce reports."""

    name: str
    type: str
    label: str = ""
    length: int = 0
    precision: int = 0
    scale: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    defaulted_on_create: bool = False
    external_id: bool = False
    id_lookup: bool = False
    unique: bool = False
    filterable: bool = True
    sortable: bool = True
    calculated: bool = False
    compound_field_name: str | None = None
    reference_to: list[str] = field(default_factory=list)
    relationship_name: str | None = None
    picklist: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)  # for compound (address) fields

    @property
    def compound(self) -> bool:
        return self.type == "address"

    @property
    def required(self) -> bool:
        """Required on create: not nillable, createable and not defaulted by the platform."""
        return not self.nillable and self.createable and not self.defaulted_on_create

    def describe(self) -> dict:
        """The field's entry in `fields` of a describe answer."""
        return {
            "name": self.name, "label": self.label or self.name, "type": self.type, "length": self.length,
            "byteLength": self.length * 3, "precision": self.precision, "scale": self.scale,
            "digits": 9 if self.type == "int" else 0, "nillable": self.nillable, "createable": self.createable,
            "updateable": self.updateable, "idLookup": self.id_lookup, "externalId": self.external_id,
            "unique": self.unique, "defaultedOnCreate": self.defaulted_on_create, "filterable": self.filterable,
            "sortable": self.sortable, "groupable": self.filterable and self.type not in ("textarea", "double"),
            "calculated": self.calculated, "compoundFieldName": self.compound_field_name,
            "custom": self.name.endswith("__c"), "caseSensitive": False, "autoNumber": False,
            "nameField": self.name == "Name",
            "referenceTo": list(self.reference_to), "relationshipName": self.relationship_name,
            "restrictedPicklist": False, "soapType": SOAP_TYPES.get(self.type, "xsd:string"),
            "picklistValues": [
                {"value": v, "label": v, "active": True, "defaultValue": False, "validFor": None} for v in self.picklist
            ],
        }


@dataclass
class ObjectDef:
    """An sObject: its fields in describe order and the columns stored in SQLite."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: list[FieldDef]

    def __post_init__(self) -> None:
        self.by_lower = {f.name.lower(): f for f in self.fields}
        # Compound fields are computed from their components, so they have no column.
        self.columns = [f.name for f in self.fields if not f.compound]

    def field(self, name: str) -> FieldDef | None:
        """Case-insensitive field lookup, as Salesforce resolves field names."""
        return self.by_lower.get(name.lower())

    def describe(self) -> dict:
        """The `sobjects/{name}/describe` answer."""
        base = f"/services/data/v59.0/sobjects/{self.name}"
        return {
            **self.summary(), "fields": [f.describe() for f in self.fields], "childRelationships": [],
            "recordTypeInfos": [], "supportedScopes": [{"label": "All", "name": "everything"}],
            "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
        }

    def summary(self) -> dict:
        """The object's entry in the `sobjects` list."""
        return {
            "name": self.name, "label": self.label, "labelPlural": self.label_plural, "keyPrefix": self.key_prefix,
            "custom": False, "customSetting": False, "queryable": True, "retrieveable": True, "searchable": True,
            "createable": True, "updateable": True, "deletable": True, "undeletable": True, "mergeable": False,
            "replicateable": True, "triggerable": True, "layoutable": True, "activateable": False,
            "feedEnabled": False, "deprecatedAndHidden": False,
            "urls": {"sobject": f"/services/data/v59.0/sobjects/{self.name}"},
        }


def _f(name: str, type_: str, label: str = "", **kw) -> FieldDef:
    lengths = {"id": 18, "reference": 18, "string": 255, "textarea": 255, "picklist": 255, "phone": 40,
               "url": 255, "email": 80}
    kw.setdefault("length", lengths.get(type_, 0))
    if type_ in ("currency", "double"):
        kw.setdefault("precision", 18)
        kw.setdefault("scale", 2)
    if type_ == "percent":
        kw.setdefault("precision", 3)
        kw.setdefault("scale", 0)
    return FieldDef(name, type_, label or name, **kw)


def _system_head() -> list[FieldDef]:
    return [
        _f("Id", "id", "Record ID", nillable=False, createable=False, updateable=False, defaulted_on_create=True,
           id_lookup=True, unique=True),
        _f("IsDeleted", "boolean", "Deleted", nillable=False, createable=False, updateable=False,
           defaulted_on_create=True),
    ]


def _system_tail() -> list[FieldDef]:
    return [
        _f(n, "datetime", label, nillable=False, createable=False, updateable=False, defaulted_on_create=True)
        for n, label in (("CreatedDate", "Created Date"), ("LastModifiedDate", "Last Modified Date"),
                         ("SystemModstamp", "System Modstamp"))
    ]


def _ext_id() -> FieldDef:
    return _f("External_Id__c", "string", "External Id", length=64, external_id=True, id_lookup=True, unique=True)


TYPES = ["Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other"]
INDUSTRIES = ["Agriculture", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction", "Education",
              "Electronics", "Energy", "Finance", "Healthcare", "Insurance", "Media", "Retail", "Technology"]
RATINGS = ["Hot", "Warm", "Cold"]
LEAD_SOURCES = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]
STAGES = [("Prospecting", 10), ("Qualification", 10), ("Needs Analysis", 20), ("Value Proposition", 50),
          ("Id. Decision Makers", 60), ("Perception Analysis", 70), ("Proposal/Price Quote", 75),
          ("Negotiation/Review", 90), ("Closed Won", 100), ("Closed Lost", 0)]
ADDRESS_PARTS = [("BillingStreet", "street"), ("BillingCity", "city"), ("BillingState", "state"),
                 ("BillingPostalCode", "postalCode"), ("BillingCountry", "country")]

ACCOUNT = ObjectDef("Account", "Account", "Accounts", "001", [
    *_system_head(),
    _f("Name", "string", "Account Name", nillable=False),
    _f("Type", "picklist", "Account Type", picklist=TYPES),
    _f("Industry", "picklist", picklist=INDUSTRIES),
    _f("AnnualRevenue", "currency", "Annual Revenue"),
    _f("NumberOfEmployees", "int", "Employees", precision=8),
    _f("Rating", "picklist", "Account Rating", picklist=RATINGS),
    _f("Phone", "phone", "Account Phone"),
    _f("Website", "url"),
    _f("BillingStreet", "textarea", "Billing Street", compound_field_name="BillingAddress"),
    _f("BillingCity", "string", "Billing City", length=40, compound_field_name="BillingAddress"),
    _f("BillingState", "string", "Billing State/Province", length=80, compound_field_name="BillingAddress"),
    _f("BillingPostalCode", "string", "Billing Zip/Postal Code", length=20, compound_field_name="BillingAddress"),
    _f("BillingCountry", "string", "Billing Country", length=80, compound_field_name="BillingAddress"),
    _f("BillingAddress", "address", "Billing Address", createable=False, updateable=False, filterable=False,
       sortable=False, components=[p for p, _ in ADDRESS_PARTS]),
    _f("Description", "textarea", "Account Description", length=32000, filterable=False, sortable=False),
    _ext_id(),
    _f("IsActive__c", "boolean", "Active", nillable=False, defaulted_on_create=True),
    *_system_tail(),
])
CONTACT = ObjectDef("Contact", "Contact", "Contacts", "003", [
    *_system_head(),
    _f("AccountId", "reference", "Account ID", reference_to=["Account"], relationship_name="Account"),
    _f("FirstName", "string", "First Name", length=40),
    _f("LastName", "string", "Last Name", length=80, nillable=False),
    _f("Email", "email"),
    _f("Phone", "phone", "Business Phone"),
    _f("Birthdate", "date"),
    _f("LeadSource", "picklist", "Lead Source", picklist=LEAD_SOURCES),
    _ext_id(),
    *_system_tail(),
])
OPPORTUNITY = ObjectDef("Opportunity", "Opportunity", "Opportunities", "006", [
    *_system_head(),
    _f("AccountId", "reference", "Account ID", reference_to=["Account"], relationship_name="Account"),
    _f("Name", "string", "Name", length=120, nillable=False),
    _f("StageName", "picklist", "Stage", nillable=False, picklist=[s for s, _ in STAGES]),
    _f("Amount", "currency"),
    _f("Probability", "percent", "Probability (%)"),
    _f("CloseDate", "date", "Close Date", nillable=False),
    _f("IsWon", "boolean", "Won", nillable=False, createable=False, updateable=False, defaulted_on_create=True,
       calculated=True),
    *_system_tail(),
])
OBJECTS: dict[str, ObjectDef] = {o.name: o for o in (ACCOUNT, CONTACT, OPPORTUNITY)}
BY_PREFIX = {o.key_prefix: o for o in OBJECTS.values()}

# --- ids -------------------------------------------------------------------------------------------------------------
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def id18(id15: str) -> str:
    """Append Salesforce's case-safe checksum: one char per 5-char chunk encoding which chars are upper case."""
    out = []
    for i in range(3):
        chunk = id15[i * 5:i * 5 + 5]
        out.append(_SUFFIX[sum(1 << j for j, c in enumerate(chunk) if "A" <= c <= "Z")])
    return id15 + "".join(out)


_GROUPS: list[str] = []  # all 62**3 three-digit base-62 strings, built on first use
_GROUP_UPPER: list[int] = []  # bitmask of the upper-case positions in each group


def _groups() -> tuple[list[str], list[int]]:
    if not _GROUPS:
        for a in _B62:
            for b in _B62:
                for c in _B62:
                    _GROUPS.append(a + b + c)
                    _GROUP_UPPER.append((a.isupper()) | (b.isupper() << 1) | (c.isupper() << 2))
    return _GROUPS, _GROUP_UPPER


def make_id(prefix: str, n: int) -> str:
    """The n-th record id for a key prefix: prefix, pod "5g", reserved "0", 9 base-62 digits, checksum.

    Ids sort (as text) in creation order. Computed from 3-digit groups since seeding makes millions.
    """
    groups, upper = _groups()
    hi, lo = divmod(n, 238328)
    top, mid = divmod(hi, 238328)
    g1, g2, g3 = top % 238328, mid, lo
    head = prefix + "5g"
    c1 = sum(1 << j for j, c in enumerate(head) if "A" <= c <= "Z")
    c2 = (upper[g1] << 1) | ((upper[g2] & 1) << 4)  # "0" + g1 + first char of g2
    c3 = (upper[g2] >> 1) | (upper[g3] << 2)  # last two chars of g2 + g3
    return f"{head}0{groups[g1]}{groups[g2]}{groups[g3]}{_SUFFIX[c1]}{_SUFFIX[c2]}{_SUFFIX[c3]}"


def normalise_id(value: str) -> str:
    """18-char form of a 15- or 18-char id (18-char ids are what the fake stores)."""
    if len(value) == 15:
        return id18(value)
    if len(value) == 18:
        return id18(value[:15])  # the checksum is case-insensitive; recompute it canonically
    return value


# --- timestamps ------------------------------------------------------------------------------------------------------
_DAY_TEXT: dict[int, str] = {}
_HMS = [f"T{h:02d}:{m:02d}:{s:02d}." for h in range(24) for m in range(60) for s in range(60)]
_MS = [f"{ms:03d}Z" for ms in range(1000)]


def fmt_ms(epoch_ms: int) -> str:
    """Epoch milliseconds as Salesforce's datetime text, e.g. 2024-01-31T10:00:00.000Z (table-driven: seeding
    formats two per row)."""
    day, rem = divmod(epoch_ms, 86_400_000)
    text = _DAY_TEXT.get(day)
    if text is None:
        text = _DAY_TEXT[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
    return text + _HMS[rem // 1000] + _MS[rem % 1000]


_Y2023 = 1672531200000  # 2023-01-01T00:00:00Z
_Y2024 = 1704067200000  # 2024-01-01T00:00:00Z
_Y2025 = 1735689600000  # 2025-01-01T00:00:00Z
_DAY = 86_400_000


def _stamps(rand) -> tuple[str, str]:
    """(CreatedDate, LastModifiedDate) with the modification spread over 2024."""
    modified = _Y2024 + int(rand() * (_Y2025 - _Y2024))
    created = _Y2023 + int(rand() * (modified - _Y2023 + 1))
    return fmt_ms(created), fmt_ms(modified)


def _day(rand, start_ms: int, days: int) -> str:
    return fmt_ms(start_ms + int(rand() * days) * _DAY)[:10]


# --- data generation -------------------------------------------------------------------------------------------------
WORDS = ["Acme", "Global", "Blue", "Summit", "Pioneer", "Apex", "Vertex", "Nimbus", "Harbor", "Granite", "Cedar",
         "Orion", "Atlas", "Beacon", "Crescent", "Delta", "Evergreen", "Falcon", "Horizon", "Ironwood"]
SUFFIXES = ["Inc", "LLC", "Corp", "Ltd", "Group", "Partners", "Systems", "Labs"]
FIRST = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "John", "Edsger",
         "Radia", "Tim", "Katherine", "Donald", "Hedy"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen", "McCarthy",
        "Dijkstra", "Perlman", "Berners-Lee", "Johnson", "Knuth", "Lamarr", "O'Brien"]
CITIES = [("1 Market St", "San Francisco", "CA", "94105", "USA"), ("500 Oak Ave", "Austin", "TX", "73301", "USA"),
          ("12 King St", "London", None, "EC2V 8AU", "UK"), ("9 Rue de Rivoli", "Paris", None, "75001", "France"),
          ("77 Bay St", "Toronto", "ON", "M5J 2S1", "Canada"), (None, None, None, None, None)]


# Generators draw only rng.random() and index sequences with it: several times faster than rng.choice and
# randrange, which matters when the benchmark seeds a million rows.
def _accounts(rng: random.Random, start: int, count: int, _parents: dict) -> Iterator[tuple]:
    rand = rng.random
    for i in range(start, start + count):
        created, modified = _stamps(rand)
        street, city, state, postal, country = CITIES[int(rand() * 6)]
        word = WORDS[int(rand() * 20)]
        name = f"{word} {WORDS[int(rand() * 20)]} {SUFFIXES[int(rand() * 8)]} {i}"
        yield (make_id("001", i), 0, name,
               None if rand() < 0.1 else TYPES[int(rand() * 5)],
               None if rand() < 0.1 else INDUSTRIES[int(rand() * 15)],
               None if rand() < 0.1 else round(1e4 + rand() * 5e8, 2),
               None if rand() < 0.1 else 1 + int(rand() * 200_000),
               None if rand() < 0.3 else RATINGS[int(rand() * 3)],
               f"(555) {100 + int(rand() * 900)}-{1000 + int(rand() * 9000)}",
               f"https://www.{word.lower()}{i}.example.com", street, city, state, postal, country,
               None if rand() < 0.7 else f"Account number {i}\nImported from the legacy CRM.", f"EXT-A-{i:07d}",
               int(rand() < 0.8), created, modified, modified)


def _contacts(rng: random.Random, start: int, count: int, parents: dict) -> Iterator[tuple]:
    rand = rng.random
    accounts = parents.get("Account") or [None]
    n_accounts = len(accounts)
    for i in range(start, start + count):
        created, modified = _stamps(rand)
        first, last = FIRST[int(rand() * len(FIRST))], LAST[int(rand() * len(LAST))]
        yield (make_id("003", i), 0,
               None if rand() < 0.1 else accounts[int(rand() * n_accounts)],
               None if rand() < 0.05 else first, last,
               None if rand() < 0.1 else f"{first}.{last}{i}@example.com".lower().replace("'", ""),
               None if rand() < 0.3 else f"+1 555 {1000000 + int(rand() * 9000000)}",
               None if rand() < 0.4 else _day(rand, -631152000000, 20000),
               None if rand() < 0.3 else LEAD_SOURCES[int(rand() * 5)],
               f"EXT-C-{i:07d}", created, modified, modified)


def _opportunities(rng: random.Random, start: int, count: int, parents: dict) -> Iterator[tuple]:
    rand = rng.random
    accounts = parents.get("Account") or [None]
    n_accounts = len(accounts)
    for i in range(start, start + count):
        created, modified = _stamps(rand)
        stage, probability = STAGES[int(rand() * len(STAGES))]
        yield (make_id("006", i), 0, None if rand() < 0.05 else accounts[int(rand() * n_accounts)],
               f"{WORDS[int(rand() * 20)]} deal {i}", stage,
               None if rand() < 0.1 else round(500 + rand() * 2e6, 2), probability, _day(rand, _Y2024, 730),
               int(stage == "Closed Won"), created, modified, modified)


GENERATORS = {"Account": _accounts, "Contact": _contacts, "Opportunity": _opportunities}


def generate(name: str, count: int, rng: random.Random, parents: dict[str, list[str]], start: int = 1):
    """Rows (tuples in `OBJECTS[name].columns` order) numbered from `start`; deterministic given the rng state."""
    return GENERATORS[name](rng, start, count, parents)
