"""The fake SAP system's services: entity types, seeded records, writes and the ODP delta queue.

Three services, each what one AppFlow connector profile's `applicationServicePath` names:

* `SALES` (`/sap/opu/odata/sap/ZSLUICE_SALES_SRV`, OData V2): `SalesOrderSet` (the seed size is
  a constructor argument; records are generated from their index on demand, so 500k cost nothing
  until read), `BusinessPartnerSet` (small); both creatable and updatable. `SalesOrder` has a
  complex `ShipTo` (`Address`), a deferred navigation property `ToItems`, Edm.Decimal amounts,
  Edm.DateTime and Edm.DateTimeOffset instants, nulls and non-ASCII text.
* `ODP` (`/sap/opu/odata/sap/ZSLUICE_ODP_SRV`, OData V2): `FactsOfSalesDocument`, an ODP
  extraction entity set (`sap:change-tracking="true"`, read-only) whose records carry
  `ODQ_CHANGEMODE` / `ODQ_ENTITYCNTR`, with a delta queue fed by `change()` / `delete()`.
* `PRODUCTS` (`/sap/opu/odata4/sap/zsluice_products/srvd_a2x/sap/zsluice_products/0001`, OData V4):
  `Products`, read-only.

Values are kept as Python values (instants as epoch milliseconds, decimals as text); `wire.py`
writes them in each version's JSON format.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

NAMES = ("Müller GmbH", "Société Générale", "株式会社サンプル", "Öztürk Lojistik", "Łódź Trading", "O'Brien & Sons",
         "Acme Corp", "Nørgaard A/S", "Ciudad Dávila S.A.", "Zürich Versicherung")
CITIES = (("Walldorf", "DE", "69190"), ("Paris", "FR", "75008"), ("東京", "JP", "100-0005"),
          ("İstanbul", "TR", "34000"),
          ("Kraków", "PL", "30-001"), ("Dublin", "IE", "D02"), ("Austin", "US", "78701"), ("København", "DK", "1050"))
CURRENCIES = ("EUR", "USD", "JPY", "GBP", "PLN", "DKK")
STATUSES = ("A", "B", "C")
EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z


def mix(i: int, salt: int = 0) -> int:
    """A cheap deterministic pseudo-random number from an index (seeded records without a Random)."""
    x = (i * 2_654_435_761 + salt * 40_503 + 0x9E3779B9) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 2_246_822_519) & 0xFFFFFFFF
    return x ^ (x >> 13)


@dataclass(frozen=True)
class Prop:
    """One property of an entity or complex type: name, EDM type, facets, SAP annotations."""

    name: str
    type: str
    nullable: bool = True
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    label: str = ""
    filterable: bool = True
    creatable: bool = True
    updatable: bool = True


@dataclass(frozen=True)
class ComplexType:
    name: str
    props: tuple[Prop, ...]


@dataclass
class EntitySet:
    """An entity set with its type, its records (seeded lazily, then changed by writes) and rules."""

    name: str
    type_name: str
    keys: tuple[str, ...]
    props: tuple[Prop, ...]
    size: int
    generate: Callable[[int], dict[str, Any]]
    key_of_index: Callable[[int], tuple[Any, ...]]
    index_of: Callable[[tuple[Any, ...]], int | None]
    label: str = ""
    navigation: tuple[str, ...] = ()
    creatable: bool = True
    updatable: bool = True
    change_tracking: bool = False
    # Key tuple -> record for records written or changed since seeding; None marks a deletion.
    changed: dict[tuple[Any, ...], dict[str, Any] | None] = field(default_factory=dict)
    added: list[tuple[Any, ...]] = field(default_factory=list)  # keys created after the seed, in order

    def prop(self, name: str) -> Prop | None:
        return next((p for p in self.props if p.name == name), None)

    def count(self) -> int:
        """Records in the set now (seed, plus created, minus deleted)."""
        deleted = sum(1 for k, v in self.changed.items() if v is None and k not in self.added)
        return self.size + len(self.added) - deleted

    def record_at(self, position: int) -> dict[str, Any] | None:
        """The record at a seed position (0-based), as changed by writes; None when deleted."""
        key = self.key_of_index(position + 1)
        if key in self.changed:
            return self.changed[key]
        return self.generate(position + 1)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record in key order (seeded keys sort before created ones)."""
        for position in range(self.size):
            record = self.record_at(position)
            if record is not None:
                yield record
        for key in self.added:
            record = self.changed.get(key)
            if record is not None:
                yield record

    def find(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        """The record with `key` now, or None."""
        if key in self.changed:
            return self.changed[key]
        index = self.lookup(key)
        return self.generate(index) if index is not None else None

    def lookup(self, key: tuple[Any, ...]) -> int | None:
        """The seed index (1-based) of a key, or None."""
        try:
            index = self.index_of(key)
        except (ValueError, TypeError, IndexError):
            return None
        if index is not None and 1 <= index <= self.size and self.key_of_index(index) == key:
            return index
        return None

    def key(self, record: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(record.get(k) for k in self.keys)


@dataclass
class Service:
    """One OData service: its path, version, namespace, complex types and entity sets."""

    path: str
    version: str  # "2.0" or "4.0"
    namespace: str
    sets: dict[str, EntitySet]
    complex_types: tuple[ComplexType, ...] = ()

    @property
    def v4(self) -> bool:
        return self.version.startswith("4")


# -- the sales service -------------------------------------------------------------------------------

ADDRESS = ComplexType("Address", (Prop("Street", "Edm.String", max_length=60),
                                   Prop("City", "Edm.String", max_length=40),
                                   Prop("Country", "Edm.String", max_length=3),
                                   Prop("PostalCode", "Edm.String", max_length=10)))

SALES_ORDER = (
    Prop("SalesOrderID", "Edm.String", nullable=False, max_length=10, label="Sales Order", creatable=False,
         updatable=False),
    Prop("CustomerName", "Edm.String", max_length=80, label="Customer"),
    Prop("NetAmount", "Edm.Decimal", precision=15, scale=2, label="Net Amount"),
    Prop("Currency", "Edm.String", max_length=5, label="Currency"),
    Prop("Quantity", "Edm.Int32", label="Quantity"),
    Prop("Weight", "Edm.Double", label="Gross Weight"),
    Prop("IsDelivered", "Edm.Boolean", label="Delivered"),
    Prop("Status", "Edm.String", max_length=1, label="Lifecycle Status"),
    Prop("Note", "Edm.String", max_length=255, label="Note"),
    Prop("CreatedAt", "Edm.DateTime", precision=7, label="Created At", creatable=False, updatable=False),
    Prop("ChangedAt", "Edm.DateTimeOffset", precision=7, label="Changed At", creatable=False, updatable=False),
    Prop("ShipTo", "ZSLUICE_SALES_SRV.Address", label="Ship-To Address"),
    Prop("InternalMemo", "Edm.String", max_length=40, label="Internal Memo", filterable=False),
)


def order_id(i: int) -> str:
    return f"05{i:08d}"


def sales_order(i: int) -> dict[str, Any]:
    h = mix(i)
    city, country, postal = CITIES[h % len(CITIES)]
    cents = (h % 5_000_000) + 100
    return {
        "SalesOrderID": order_id(i),
        "CustomerName": f"{NAMES[(h >> 3) % len(NAMES)]} #{i}",
        "NetAmount": f"{cents // 100}.{cents % 100:02d}",
        "Currency": CURRENCIES[(h >> 5) % len(CURRENCIES)],
        "Quantity": (h >> 7) % 500 + 1,
        "Weight": round(((h >> 9) % 100_000) / 97.0, 3),
        "IsDelivered": bool((h >> 11) & 1),
        "Status": STATUSES[(h >> 12) % 3],
        "Note": None if (h >> 14) % 3 == 0 else f"Lieferung nº{i} \u2013 bitte prüfen",
        "CreatedAt": EPOCH_MS + i * 60_000,
        "ChangedAt": EPOCH_MS + i * 60_000 + (h % 86_400_000),
        "ShipTo": None if i % 17 == 0 else {"Street": f"Dietmar-Hopp-Allee {h % 200 + 1}", "City": city,
                                            "Country": country, "PostalCode": postal},
        "InternalMemo": f"m{h % 1000}",
    }


ITEM = (
    Prop("SalesOrderID", "Edm.String", nullable=False, max_length=10, label="Sales Order"),
    Prop("ItemPosition", "Edm.String", nullable=False, max_length=6, label="Item"),
    Prop("Material", "Edm.String", max_length=40, label="Material"),
    Prop("Quantity", "Edm.Decimal", precision=13, scale=3, label="Order Quantity"),
)


def order_item(i: int) -> dict[str, Any]:
    h = mix(i, 5)
    return {"SalesOrderID": order_id((i + 1) // 2), "ItemPosition": f"{(2 - i % 2) * 10:06d}",
            "Material": f"MAT-{h % 9000:04d}", "Quantity": f"{h % 100}.000"}


def item_index(key: tuple[Any, ...]) -> int:
    """The seed index of an item's (SalesOrderID, ItemPosition)."""
    return 2 * int(str(key[0])[2:]) - (1 if int(key[1]) == 10 else 0)


PARTNER = (
    Prop("BusinessPartner", "Edm.String", nullable=False, max_length=10, label="Business Partner"),
    Prop("FullName", "Edm.String", max_length=81, label="Name"),
    Prop("Category", "Edm.String", max_length=1, label="Category"),
    Prop("IsBlocked", "Edm.Boolean", label="Blocked"),
    Prop("CreditLimit", "Edm.Decimal", precision=17, scale=3, label="Credit Limit"),
    Prop("Employees", "Edm.Int64", label="Employees"),
)


def partner(i: int) -> dict[str, Any]:
    h = mix(i, 7)
    return {"BusinessPartner": f"1{i:07d}", "FullName": NAMES[h % len(NAMES)], "Category": "12"[h % 2],
            "IsBlocked": h % 11 == 0, "CreditLimit": f"{h % 100000}.{h % 1000:03d}", "Employees": str(h % 90000)}


# -- the ODP extraction service ------------------------------------------------------------------------

ODP_FACTS = (
    Prop("ODQ_CHANGEMODE", "Edm.String", max_length=1, label="Change Mode"),
    Prop("ODQ_ENTITYCNTR", "Edm.Decimal", precision=19, scale=0, label="Number of Data Units"),
    Prop("DocumentID", "Edm.String", nullable=False, max_length=10, label="Sales Document"),
    Prop("ItemNumber", "Edm.String", nullable=False, max_length=6, label="Item"),
    Prop("Material", "Edm.String", max_length=40, label="Material"),
    Prop("Amount", "Edm.Decimal", precision=15, scale=2, label="Net Value"),
    Prop("Status", "Edm.String", max_length=1, label="Status"),
    Prop("ChangedOn", "Edm.DateTime", precision=0, label="Changed On"),
)


def odp_fact(i: int) -> dict[str, Any]:
    h = mix(i, 3)
    return {"ODQ_CHANGEMODE": "", "ODQ_ENTITYCNTR": "0", "DocumentID": f"{1000000 + (i + 1) // 2:010d}",
            "ItemNumber": f"{(2 - i % 2) * 10:06d}", "Material": f"MAT-{h % 9000:04d}-ÄÖÜ",
            "Amount": f"{h % 90000}.{h % 100:02d}", "Status": STATUSES[h % 3], "ChangedOn": EPOCH_MS + i * 1000}


def odp_index(key: tuple[Any, ...]) -> int:
    """The seed index of an ODP fact's (DocumentID, ItemNumber)."""
    return 2 * (int(key[0]) - 1_000_000) - (1 if int(key[1]) == 10 else 0)


# -- the V4 product service ---------------------------------------------------------------------------

PRODUCT = (
    Prop("ProductID", "Edm.String", nullable=False, max_length=20, label="Product"),
    Prop("Name", "Edm.String", max_length=80, label="Product Name"),
    Prop("Price", "Edm.Decimal", precision=13, scale=2, label="Price"),
    Prop("Stock", "Edm.Int32", label="Stock"),
    Prop("ValidFrom", "Edm.Date", label="Valid From"),
    Prop("ModifiedAt", "Edm.DateTimeOffset", precision=7, label="Modified At"),
)


def product(i: int) -> dict[str, Any]:
    h = mix(i, 11)
    return {"ProductID": f"P-{i:06d}", "Name": f"Produkt {NAMES[h % len(NAMES)]}", "Price": f"{h % 900}.{h % 100:02d}",
            "Stock": h % 1000, "ValidFrom": EPOCH_MS + (h % 300) * 86_400_000,
            "ModifiedAt": EPOCH_MS + i * 3_600_000}


SALES_PATH = "/sap/opu/odata/sap/ZSLUICE_SALES_SRV"
ODP_PATH = "/sap/opu/odata/sap/ZSLUICE_ODP_SRV"
PRODUCTS_PATH = "/sap/opu/odata4/sap/zsluice_products/srvd_a2x/sap/zsluice_products/0001"


def build_services(orders: int, partners: int, facts: int, products: int) -> dict[str, Service]:
    """The three services, seeded with the given sizes."""
    sales = Service(SALES_PATH, "2.0", "ZSLUICE_SALES_SRV", {
        "SalesOrderSet": EntitySet("SalesOrderSet", "SalesOrder", ("SalesOrderID",), SALES_ORDER, orders, sales_order,
                                   lambda i: (order_id(i),), lambda k: int(str(k[0])[2:]), label="Sales Orders",
                                   navigation=("ToItems",)),
        "SalesOrderItemSet": EntitySet("SalesOrderItemSet", "SalesOrderItem", ("SalesOrderID", "ItemPosition"), ITEM,
                                       orders * 2, order_item,
                                       lambda i: (order_id((i + 1) // 2), f"{(2 - i % 2) * 10:06d}"), item_index,
                                       label="Sales Order Items"),
        "BusinessPartnerSet": EntitySet("BusinessPartnerSet", "BusinessPartner", ("BusinessPartner",), PARTNER,
                                        partners, partner, lambda i: (f"1{i:07d}",),
                                        lambda k: int(str(k[0])[1:]), label="Business Partners"),
    }, (ADDRESS,))
    odp = Service(ODP_PATH, "2.0", "ZSLUICE_ODP_SRV", {
        "FactsOfSalesDocument": EntitySet(
            "FactsOfSalesDocument", "FactsOfSalesDocumentType", ("DocumentID", "ItemNumber"), ODP_FACTS, facts,
            odp_fact, lambda i: (f"{1000000 + (i + 1) // 2:010d}", f"{(2 - i % 2) * 10:06d}"), odp_index,
            label="Sales Document Items (ODP)", creatable=False, updatable=False, change_tracking=True),
    })
    products_service = Service(PRODUCTS_PATH, "4.0", "com.sap.gateway.srvd_a2x.zsluice_products.v0001", {
        "Products": EntitySet("Products", "ProductsType", ("ProductID",), PRODUCT, products, product,
                              lambda i: (f"P-{i:06d}",), lambda k: int(str(k[0])[2:]), label="Products",
                              creatable=False, updatable=False),
    })
    return {s.path: s for s in (sales, odp, products_service)}


@dataclass
class DeltaQueue:
    """The ODP delta queue of one change-tracking entity set: change records in order, and tokens.

    A token names a position in the queue; a delta request with it answers every change after that
    position and a new token at the end. An older token may be asked again (SAP's delta repeat), so
    a run that failed after reading can read the same changes once more.
    """

    changes: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self) -> str:
        """A token for the queue's current end (SAP's look: D<timestamp>_<sequence>)."""
        with self.lock:
            position = len(self.changes)
            token = f"D{time.strftime('%Y%m%d%H%M%S', time.gmtime())}_{len(self.tokens) + 1:09d}"
            self.tokens[token] = position
            return token

    def since(self, token: str) -> tuple[list[dict[str, Any]], int] | None:
        """The changes after `token` (None for an unknown token) and the position they end at."""
        with self.lock:
            if token not in self.tokens:
                return None
            end = len(self.changes)
            return self.changes[self.tokens[token]:end], end
