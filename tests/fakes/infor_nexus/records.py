"""Seeded Infor Nexus objects, made lazily from their index (a fixed seed per record).

Each object carries `__metadata` (`uid`, `type`, `status`, `createTimestamp`, `modifyTimestamp` as
ISO 8601 UTC with milliseconds, `fingerprint`), nested parties and line items, nulls and non-ASCII text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from typing import Any

START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
STEP = dt.timedelta(minutes=1)  # objects were created a minute apart, in index order
CITIES = [("Hamburg", "DE"), ("Shenzhen", "CN"), ("São Paulo", "BR"), ("Rotterdam", "NL"), ("大阪", "JP"),
          ("Memphis", "US")]
COMPANIES = ["Acme GmbH", "Nordlicht AB", "Société Générale de Textile", "東京商事", "Globex Corp"]
BASES = {"OrderDetail": 280_000_000_000, "ShipmentDetail": 310_000_000_000, "Invoice": 340_000_000_000}


def stamp(moment: dt.datetime) -> str:
    """`2026-11-01T00:00:00.000Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _place(rng: random.Random) -> dict[str, Any]:
    city, country = rng.choice(CITIES)
    return {"name": rng.choice(COMPANIES), "city": city, "countryCode": country}


def _lines(rng: random.Random) -> list[dict[str, Any]]:
    return [{"lineItemNumber": n + 1, "itemDescription": rng.choice(["T-shirt, coton bio", "Sneaker ™", "ジャケット",
                                                                     None]),
             "quantity": float(rng.randint(1, 5000)), "unitPrice": round(rng.uniform(0.5, 90), 2)}
            for n in range(rng.randint(0, 4))]


def metadata(kind: str, index: int, created: dt.datetime, modified: dt.datetime, status: str) -> dict[str, Any]:
    uid = str(BASES[kind] + index)
    return {"uid": uid, "type": kind, "status": status, "apiVersion": "3.1",
            "createTimestamp": stamp(created), "modifyTimestamp": stamp(modified),
            "fingerprint": hashlib.md5(f"{uid}:{stamp(modified)}".encode()).hexdigest()}


def order_detail(index: int, seed: int, rng: random.Random) -> dict[str, Any]:
    lines = _lines(rng)
    return {"poNumber": f"PO-{4800000000 + index}", "orderType": rng.choice(["Standard", "Blanket", "Sample"]),
            "issueDate": (START + index * STEP).date().isoformat(), "currencyCode": rng.choice(["USD", "EUR", "JPY"]),
            "totalAmount": round(sum(li["quantity"] * li["unitPrice"] for li in lines), 2) if lines else None,
            "buyer": _place(rng), "seller": _place(rng), "orderItem": lines,
            "customFields": rng.choice([None, {"season": "FW26"}, {"season": "SS27", "flags": ["rush", "é"]}])}


def shipment_detail(index: int, seed: int, rng: random.Random) -> dict[str, Any]:
    return {"shipmentNumber": f"SHP{index:07d}", "transportMode": rng.choice(["Ocean", "Air", "Road", "Rail"]),
            "estimatedDepartureDate": (START + index * STEP + dt.timedelta(days=3)).date().isoformat(),
            "poNumber": f"PO-{4800000000 + rng.randint(0, max(index, 1))}", "origin": _place(rng),
            "destination": _place(rng) if rng.random() < 0.9 else None,
            "containerNumbers": [f"MSCU{rng.randint(1000000, 9999999)}" for _ in range(rng.randint(0, 3))],
            "grossWeightKg": round(rng.uniform(10, 28000), 1)}


def invoice(index: int, seed: int, rng: random.Random) -> dict[str, Any]:
    lines = _lines(rng)
    return {"invoiceNumber": f"INV-{index:08d}", "poNumber": f"PO-{4800000000 + index}",
            "invoiceDate": (START + index * STEP).date().isoformat(), "currencyCode": rng.choice(["USD", "EUR"]),
            "totalAmount": round(sum(li["quantity"] * li["unitPrice"] for li in lines), 2),
            "lineItem": lines}


MAKERS: dict[str, Callable[[int, int, random.Random], dict[str, Any]]] = {
    "OrderDetail": order_detail, "ShipmentDetail": shipment_detail, "Invoice": invoice}


def make(kind: str, index: int, seed: int, modified: dt.datetime | None = None,
         changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """Object `index` of `kind`, last modified at `modified` (default: when it was created)."""
    rng = random.Random(f"{kind}:{seed}:{index}")
    created = START + index * STEP
    record = MAKERS[kind](index, seed, rng)
    record["__metadata"] = metadata(kind, index, created, modified or created,
                                    rng.choice(["Issued", "Accepted", "Shipped", "Closed"]))
    record.update(changes or {})
    return record
