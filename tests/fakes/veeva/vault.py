"""The fake Vault's state: users and sessions, object and document records (lazy, seeded), files, controls."""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from tests.fakes.common.https import RequestLog
from tests.fakes.common.throttle import Throttles

BURST_LIMIT = 2000
PRODUCT_FIELDS = [
    {"name": "id", "type": "ID", "label": "ID", "required": False},
    {"name": "name__v", "type": "String", "label": "Product Name", "required": True},
    {"name": "generic_name__vs", "type": "String", "label": "Generic Name", "required": False},
    {"name": "status__v", "type": "Picklist", "label": "Status", "required": False, "multi_value": False},
    {"name": "therapeutic_area__c", "type": "Picklist", "label": "Therapeutic Area", "required": False,
     "multi_value": True},
    {"name": "list_price__c", "type": "Number", "label": "List Price", "required": False, "scale": 2},
    {"name": "launch_date__c", "type": "Date", "label": "Launch Date", "required": False},
    {"name": "is_discontinued__c", "type": "Boolean", "label": "Discontinued", "required": False},
    {"name": "country__c", "type": "Object", "label": "Country", "required": False, "object": "country__v"},
    {"name": "created_date__v", "type": "DateTime", "label": "Created Date", "required": False},
    {"name": "modified_date__v", "type": "DateTime", "label": "Last Modified Date", "required": False},
]
COUNTRY_FIELDS = [PRODUCT_FIELDS[0], {"name": "name__v", "type": "String", "label": "Name", "required": True},
                  {"name": "abbreviation__c", "type": "String", "label": "Abbreviation", "required": False},
                  PRODUCT_FIELDS[-2], PRODUCT_FIELDS[-1]]
DOCUMENT_PROPERTIES = [
    {"name": "id", "type": "id", "label": "ID", "queryable": True, "repeating": False},
    {"name": "name__v", "type": "String", "label": "Name", "queryable": True, "repeating": False},
    {"name": "title__v", "type": "String", "label": "Title", "queryable": True, "repeating": False},
    {"name": "type__v", "type": "String", "label": "Type", "queryable": True, "repeating": False},
    {"name": "subtype__v", "type": "String", "label": "Subtype", "queryable": True, "repeating": False},
    {"name": "status__v", "type": "String", "label": "Status", "queryable": True, "repeating": False},
    {"name": "major_version_number__v", "type": "Number", "label": "Major Version", "queryable": True,
     "repeating": False},
    {"name": "minor_version_number__v", "type": "Number", "label": "Minor Version", "queryable": True,
     "repeating": False},
    {"name": "version_id", "type": "String", "label": "Version ID", "queryable": True, "repeating": False},
    {"name": "filename__v", "type": "String", "label": "File Name", "queryable": True, "repeating": False},
    {"name": "size__v", "type": "Number", "label": "Size", "queryable": True, "repeating": False},
    {"name": "product__v", "type": "ObjectReference", "label": "Product", "queryable": True, "repeating": True},
    {"name": "country__v", "type": "ObjectReference", "label": "Country", "queryable": True, "repeating": True},
    {"name": "document_creation_date__v", "type": "DateTime", "label": "Document Creation Date", "queryable": True,
     "repeating": False},
    {"name": "version_modified_date__v", "type": "DateTime", "label": "Version Modified Date", "queryable": True,
     "repeating": False},
    {"name": "binder__v", "type": "Boolean", "label": "Binder", "queryable": True, "repeating": False},
    {"name": "lock__sys", "type": "Component", "label": "Lock", "queryable": False, "repeating": False},
]
DOCUMENT_TYPES = [("Promotional Piece", "promotional_piece__c"), ("Claim", "claim__c"), ("Reference", "reference__c")]
NAMES = ["Cholecap", "Nyaxa", "Wonderdrug", "Veniplex", "Ålimax", "Zürivax", "Oncoréa", "Fléxiban", "ネオリン"]
COUNTRIES = [("United States", "US"), ("Deutschland", "DE"), ("France", "FR"), ("日本", "JP"), ("España", "ES"),
             ("Brasil", "BR"), ("Österreich", "AT"), ("Polska", "PL"), ("India", "IN"), ("Canada", "CA"),
             ("Italia", "IT"), ("Sverige", "SE")]


def vault_time(moment: float) -> str:
    """Epoch seconds as Vault's UTC text (`2024-01-31T10:15:00.000Z`)."""
    return datetime.fromtimestamp(int(moment), UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def tiny_pdf(text: str) -> bytes:
    """A small, valid one-page PDF showing `text` (ASCII)."""
    stream = f"BT /F1 18 Tf 40 100 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


class Vault:
    """One Vault's users, sessions and data (thread-safe)."""

    def __init__(self, products: int = 300, documents: int = 30, seed: int = 7, *, now: float | None = None) -> None:
        self.seed = seed
        self.username = "integration@example-pharma.com"
        self.password = "Vault-" + secrets.token_hex(8)
        self.sessions: set[str] = set()
        self.lock = threading.Lock()
        self.log = RequestLog()
        self.throttles = Throttles()
        self.calls = 0
        # Seeded records changed at least two hours before `now`, so a flow started later sees none as new.
        self.now = (now or time.time()) - 7200
        self.counts = {"product__v": products, "country__v": len(COUNTRIES)}
        self.document_count = documents
        self.changed: dict[tuple[str, str], dict[str, Any]] = {}
        self.sign_ins = 0
        # query id (in `next_page`) -> the query's rows, kept while it is paged (as Vault keeps a result set)
        self.queries: dict[str, list[dict[str, Any]]] = {}

    def remember(self, rows: list[dict[str, Any]]) -> str:
        """An id for a paged query's `next_page` links."""
        with self.lock:
            query_id = f"0{len(self.queries) + 1:04d}-{secrets.token_hex(4)}"
            self.queries[query_id] = rows
        return query_id

    # -- sessions ------------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> str | None:
        if username != self.username or password != self.password:
            return None
        session = secrets.token_hex(32).upper()
        with self.lock:
            self.sessions.add(session)
            self.sign_ins += 1
        return session

    def session_valid(self, header: str) -> bool:
        session = header[len("Bearer "):] if header.startswith("Bearer ") else header
        with self.lock:
            return session in self.sessions

    def expire_sessions(self) -> None:
        """End every session (Vault's inactivity timeout)."""
        with self.lock:
            self.sessions.clear()

    def throttle_next(self, count: int = 1, after: int = 0, path: str = "/api/", retry_after: int | None = 1) -> None:
        """Answer the next `count` requests under `path` (after `after` pass) with 429 API_LIMIT_EXCEEDED."""
        self.throttles.add(count, after, path, retry_after)

    def burst_remaining(self) -> int:
        with self.lock:
            self.calls += 1
            return max(0, BURST_LIMIT - self.calls % BURST_LIMIT)

    # -- object records ------------------------------------------------------------------------

    @staticmethod
    def object_id(name: str, index: int) -> str:
        prefix = {"product__v": "00P", "country__v": "00C"}[name]
        return f"{prefix}{index + 1:012d}"

    def object_record(self, name: str, index: int) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}:{name}:{index}")
        created = self.now - rng.uniform(86400, 600 * 86400)
        record: dict[str, Any] = {"id": self.object_id(name, index), "created_date__v": vault_time(created),
                                  "modified_date__v": vault_time(created + rng.uniform(0, self.now - created))}
        if name == "country__v":
            record.update({"name__v": COUNTRIES[index % len(COUNTRIES)][0],
                           "abbreviation__c": COUNTRIES[index % len(COUNTRIES)][1]})
        else:
            areas = ["oncology__c", "cardiology__c", "neurology__c"]
            launch = datetime.fromtimestamp(created, UTC).date().isoformat()
            country = self.object_id("country__v", rng.randrange(len(COUNTRIES)))
            record.update({
                "name__v": f"{rng.choice(NAMES)} {index}", "generic_name__vs": rng.choice(["atorvastatin", None]),
                "status__v": [rng.choice(["active__v", "inactive__v"])],
                "therapeutic_area__c": rng.sample(areas, rng.randrange(0, 3)),
                "list_price__c": round(rng.uniform(5, 900), 2) if rng.random() > 0.2 else None,
                "launch_date__c": launch if rng.random() > 0.3 else None,
                "is_discontinued__c": rng.random() < 0.1,
                "country__c": country if rng.random() > 0.2 else None,
            })
        with self.lock:
            record.update(self.changed.get((name, record["id"]), {}))
        return record

    def object_records(self, name: str) -> Iterator[dict[str, Any]]:
        return (self.object_record(name, i) for i in range(self.counts[name]))

    def edit(self, name: str, record_id: str, when: float | None = None, **changes: Any) -> None:
        """Change an object record and stamp its `modified_date__v` with `when` (default: now)."""
        with self.lock:
            entry = self.changed.setdefault((name, record_id), {})
            entry.update(changes)
            entry["modified_date__v"] = vault_time(when if when is not None else time.time())

    # -- documents -----------------------------------------------------------------------------

    def versions(self, index: int) -> list[tuple[int, int]]:
        """The versions document `index` has, oldest first."""
        rng = random.Random(f"{self.seed}:doc-versions:{index}")
        chosen = [(0, 1), (1, 0), (1, 1), (2, 0)][: rng.randrange(1, 5)]
        return chosen

    def document(self, index: int, version: tuple[int, int]) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}:doc:{index}")
        doc_id = 100 + index
        label, _ = DOCUMENT_TYPES[index % len(DOCUMENT_TYPES)]
        placeholder = index % 7 == 3
        created = self.now - 86400 * (30 + index)
        major, minor = version
        name = f"{rng.choice(NAMES)} leaflet {index}"
        return {
            "id": doc_id, "name__v": name, "title__v": rng.choice([f"{name} · Übersicht", None]),
            "type__v": label, "subtype__v": rng.choice(["Brochure", "Leave Behind", None]),
            "status__v": "Approved" if major >= 1 and minor == 0 else "Draft",
            "major_version_number__v": major, "minor_version_number__v": minor,
            "version_id": f"{doc_id}_{major}_{minor}",
            "filename__v": None if placeholder else f"leaflet-{doc_id}-ñ.pdf",
            "size__v": None if placeholder else len(self.source_file(doc_id, version)),
            "product__v": [self.object_id("product__v", index % max(1, self.counts["product__v"]))],
            "country__v": [self.object_id("country__v", i) for i in rng.sample(range(len(COUNTRIES)), 2)],
            "document_creation_date__v": vault_time(created),
            "version_modified_date__v": vault_time(created + 86400 * (major * 3 + minor)),
            "binder__v": False,
        }

    def document_records(self, all_versions: bool) -> Iterator[dict[str, Any]]:
        for index in range(self.document_count):
            versions = self.versions(index)
            for version in versions if all_versions else versions[-1:]:
                yield self.document(index, version)

    def find_document(self, doc_id: int) -> int | None:
        index = doc_id - 100
        return index if 0 <= index < self.document_count else None

    @staticmethod
    def source_file(doc_id: int, version: tuple[int, int]) -> bytes:
        return tiny_pdf(f"Document {doc_id} version {version[0]}.{version[1]}")

    def renditions(self, doc_id: int) -> list[str]:
        """The rendition types a document has (placeholders and every fifth document have none)."""
        index = self.find_document(doc_id)
        if index is None or index % 7 == 3 or index % 5 == 4:
            return []
        return ["viewable_rendition__v"]

    @staticmethod
    def rendition_file(doc_id: int, version: tuple[int, int], kind: str) -> bytes:
        return tiny_pdf(f"Rendition {kind} of {doc_id} v{version[0]}.{version[1]}")
