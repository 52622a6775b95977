"""What the AWS-service destination tests share (EventBridge, Customer Profiles, Upsolver).

`source_rows(n)` are seeded rows for an S3 CSV source (unicode, empty values, wide amounts);
`every_task()` is a task list using each task type a record-per-record destination can take
(Filter projection and comparison, Validate, Map, Passthrough, Arithmetic, Mask, Truncate, Merge)
and `expected(rows)` is what those tasks make of `rows`, computed here in plain Python, so a test
compares a destination's records with an independent answer.
"""

from __future__ import annotations

import random
from typing import Any

MOTO_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
CITIES = ["Zürich", "São Paulo", "Łódź", "京都", "Oslo"]


def source_rows(count: int, seed: int = 11) -> list[dict[str, Any]]:
    """`count` rows: id, name, email, amount, qty, city, note (sometimes empty)."""
    rng = random.Random(seed)
    return [
        {"id": i, "name": f"name-{i}-{rng.choice('abcdé')}", "email": f"user{i}@example.com",
         "amount": rng.randint(0, 1000), "qty": rng.randint(1, 9), "city": rng.choice(CITIES),
         "note": "" if i % 7 == 0 else f"note {i}"}
        for i in range(count)
    ]


def every_task(connector: str = "S3") -> list[dict[str, Any]]:
    """One task of each type a per-record destination takes (Map_all and Partition are S3-layout tasks)."""
    op = {connector: "NO_OP"}
    return [
        {"taskType": "Filter", "sourceFields": ["id", "name", "email", "amount", "qty", "city", "note"],
         "connectorOperator": {connector: "PROJECTION"}},
        {"taskType": "Filter", "sourceFields": ["amount"], "connectorOperator": {connector: "GREATER_THAN"},
         "taskProperties": {"VALUE": "200", "DATA_TYPE": "double"}},
        {"taskType": "Validate", "sourceFields": ["note"], "connectorOperator": {connector: "VALIDATE_NON_NULL"},
         "taskProperties": {"VALIDATION_ACTION": "DropRecord"}},
        {"taskType": "Map", "sourceFields": ["id"], "connectorOperator": op, "destinationField": "id",
         "taskProperties": {}},
        {"taskType": "Passthrough", "sourceFields": ["qty"], "connectorOperator": op, "destinationField": "qty",
         "taskProperties": {}},
        {"taskType": "Arithmetic", "sourceFields": ["amount", "qty"],
         "connectorOperator": {connector: "MULTIPLICATION"},
         "destinationField": "total", "taskProperties": {"MATH_OPERATION_FIELDS_ORDER": "amount,qty"}},
        {"taskType": "Mask", "sourceFields": ["email"], "connectorOperator": {connector: "MASK_ALL"},
         "destinationField": "email", "taskProperties": {"MASK_VALUE": "*"}},
        {"taskType": "Truncate", "sourceFields": ["name"], "connectorOperator": op, "destinationField": "name",
         "taskProperties": {"TRUNCATE_LENGTH": "6"}},
        {"taskType": "Merge", "sourceFields": ["city", "note"], "connectorOperator": op, "destinationField": "label",
         "taskProperties": {"CONCAT_FORMAT": "${city}/${note}"}},
    ]


def expected(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """What `every_task()` makes of `rows`, each value as text (`total` as a float's text)."""
    out = []
    for row in rows:
        if not row["amount"] > 200 or row["note"] == "":
            continue  # the comparison filter, then Validate NON_NULL drops the empty (null) notes
        out.append({"id": str(row["id"]), "qty": str(row["qty"]), "total": str(float(row["amount"] * row["qty"])),
                    "email": "*" * len(row["email"]), "name": row["name"][:6],
                    "label": f"{row['city']}/{row['note']}"})
    return sorted(out, key=lambda r: int(r["id"]))


def as_text(record: dict[str, Any]) -> dict[str, str]:
    """A delivered record with every value as text (`total` as a float's), for comparison with `expected`."""
    text = {key: "" if value is None else str(value) for key, value in record.items()}
    if "total" in text:
        text["total"] = str(float(text["total"]))
    return text
