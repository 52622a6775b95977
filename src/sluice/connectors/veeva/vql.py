"""VQL queries from a run's `Query`, and their paging (connectors layer, Veeva).

Veeva's docs (https://developer.veevavault.com/vql/ and the Query section of
https://developer.veevavault.com/api/24.1/#vault-query-language-vql): `POST /api/{version}/query` with the
form field `q=SELECT f1, f2 FROM <object> [WHERE ...] [ORDER BY ...]` answers
`{"responseStatus", "responseDetails": {"pagesize", "pageoffset", "size", "total", "next_page"}, "data"}`;
`next_page` is the path of the next page (it carries the query on: `PAGESIZE` / `PAGEOFFSET` are
Vault's), requested with GET until it is absent. Documents are queried `FROM documents` (the latest
version of each) or `FROM ALLVERSIONS documents`.

Pushed into `WHERE`: the incremental window on its field (`> start AND <= end`), and each Filter
comparison on a queryable scalar field: EQUAL_TO `=`, NOT_EQUAL_TO `!=`, LESS_THAN `<`, GREATER_THAN
`>`, the OR_EQUAL_TO forms, BETWEEN as `>= AND <=`. CONTAINS (a substring) has no VQL form for every
field type and is applied by Sluice only, as is every other task.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sluice.connectors.rest.client import Answer, Request
from sluice.connectors.rest.entities import Condition, Field, Query
from sluice.connectors.rest.paging import body_path
from sluice.literals import parse_micros

OPERATORS = {"EQUAL_TO": "=", "NOT_EQUAL_TO": "!=", "LESS_THAN": "<", "GREATER_THAN": ">",
             "LESS_THAN_OR_EQUAL_TO": "<=", "GREATER_THAN_OR_EQUAL_TO": ">="}
SCALARS = ("string", "integer", "double", "boolean", "datetime", "date")


def literal(field: Field, text: str, up: bool | None = None) -> str | None:
    """`text` as a VQL literal for `field`; None when it is not a value of the field's type.

    Instants are whole seconds in UTC (`up` rounds upwards, for an upper bound; the source keeps the
    exact window either way)."""
    text = text.strip()
    if field.type in ("integer", "double"):
        try:
            number = float(text)
        except ValueError:
            return None
        return text if math.isfinite(number) else None
    if field.type == "boolean":
        return text.lower() if text.lower() in ("true", "false") else None
    if field.type in ("datetime", "date"):
        micros = parse_micros(text)
        return None if micros is None else instant(field, micros / 1_000_000, bool(up))
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def instant(field: Field, seconds: float, up: bool) -> str:
    """Epoch seconds as a VQL date or datetime literal (whole seconds, rounded down unless `up`)."""
    moment = datetime.fromtimestamp(math.ceil(seconds) if up else math.floor(seconds), UTC)
    return f"'{moment.date().isoformat()}'" if field.type == "date" else f"'{moment:%Y-%m-%dT%H:%M:%S}.000Z'"


def _comparison(field: Field, condition: Condition) -> list[str]:
    if condition.operator == "BETWEEN" and len(condition.values) == 2:
        low, high = literal(field, condition.values[0], False), literal(field, condition.values[1], True)
        return [f"{field.name} >= {low}", f"{field.name} <= {high}"] if low and high else []
    operator = OPERATORS.get(condition.operator)
    if operator is None or len(condition.values) != 1:
        return []
    value = literal(field, condition.values[0], condition.operator.startswith("LESS"))
    if value is None or (field.type in ("datetime",) and operator in ("=", "!=")):
        return []  # an instant compared for equality at whole seconds would drop or keep the wrong records
    return [f"{field.name} {operator} {value}"]


def where(query: Query, fields: Sequence[Field]) -> list[str]:
    """The `WHERE` terms (joined with AND) the query can push down."""
    by_name = {f.name: f for f in fields}
    terms: list[str] = []
    if query.window_field and query.window_field in by_name:
        window = by_name[query.window_field]
        if query.window_start is not None:
            terms.append(f"{window.name} > {instant(window, query.window_start, False)}")
        if query.window_end is not None:
            terms.append(f"{window.name} <= {instant(window, query.window_end, True)}")
    for condition in query.conditions:
        field = by_name.get(condition.field)
        if field is not None and field.type in SCALARS:
            terms += _comparison(field, condition)
    return terms


def select(columns: Sequence[str], source: str, terms: Sequence[str], order: str = "id") -> str:
    """`SELECT ... FROM source [WHERE ...] ORDER BY order ASC`."""
    text = f"SELECT {', '.join(dict.fromkeys(columns))} FROM {source}"
    if terms:
        text += " WHERE " + " AND ".join(terms)
    return f"{text} ORDER BY {order} ASC"


def query_request(version: str, vql: str) -> Request:
    """The first page's request: the VQL in the form body (a search: safe to send again)."""
    return Request("POST", f"/api/{version}/query", data={"q": vql}, idempotent=True)


@dataclass(frozen=True)
class NextPage:
    """Vault's paging: GET `responseDetails.next_page` until the answer has none."""

    def first(self, request: Request) -> Request:
        return request

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        url = body_path(answer.body, "responseDetails.next_page")
        if not url or records == 0:
            return None
        return Request("GET", str(url), idempotent=True)
