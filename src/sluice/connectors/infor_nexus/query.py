"""Infor Nexus object queries as the REST layer's paging and push-down (connectors layer, Infor Nexus).

An object type is read with `GET /<Type>/query?oql=<condition>&limit=<n>&offset=<m>`; the answer is
`{"result": [...], "resultInfo": {"count", "hasMore", "firstRowNumber", ...}}`.

* Paging (`OffsetHasMore`) - `limit` objects from `offset`; the next page starts `count` later, until
  `resultInfo.hasMore` is false.
* Push-down (`plan`) - the flow's Filter comparisons and the incremental window become one OQL
  condition joined with `AND`: EQUAL_TO → `field = value` (several values: `field IN (...)`),
  BETWEEN → `field >= lo AND field <= hi`, a time range (the window, BETWEEN on an instant) →
  `field >= start AND field <= end` in whole milliseconds (a superset: the source keeps the window
  `(start, end]` exactly and the engine applies every Filter). Text and
  instants are single-quoted (a quote inside doubled), numbers bare; instants are ISO 8601 UTC
  with milliseconds. Fields are named by their path in the object (`__metadata.modifyTimestamp`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sluice.connectors.rest.client import Answer, Request
from sluice.connectors.rest.entities import Field, Query
from sluice.literals import parse_micros


@dataclass(frozen=True)
class OffsetHasMore:
    """`limit` / `offset` paging that ends when `resultInfo.hasMore` is false."""

    size: int = 500

    def first(self, request: Request) -> Request:
        return request.replace(params={**request.params, "limit": self.size, "offset": 0})

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        info = answer.body.get("resultInfo") if isinstance(answer.body, Mapping) else None
        if not isinstance(info, Mapping) or not info.get("hasMore") or records == 0:
            return None
        count = info.get("count")
        step = count if isinstance(count, int) and count > 0 else records
        return request.replace(params={**request.params, "offset": int(request.params.get("offset", 0)) + step})


def instant(seconds: float) -> str:
    """`2026-11-01T00:00:00.000Z` (milliseconds, rounded down through microseconds)."""
    micros = round(seconds * 1_000_000)
    moment = dt.datetime.fromtimestamp(micros // 1000 / 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{(micros // 1000) % 1000:03d}Z"


def literal(field: Field, text: str) -> str | None:
    """An OQL literal for `text` in `field`; None when it is not a valid value of the field."""
    if field.type in ("integer", "double"):
        try:
            float(text)
        except ValueError:
            return None
        return text.strip()
    if field.type == "boolean":
        return text.strip().lower() if text.strip().lower() in ("true", "false") else None
    if field.type in ("datetime", "date"):
        micros = parse_micros(text)
        if micros is None:
            return None
        value = instant(micros / 1_000_000)
        return f"'{value[:10]}'" if field.type == "date" else f"'{value}'"
    return "'" + text.replace("'", "''") + "'"


def condition(query: Query, fields: tuple[Field, ...]) -> str:
    """The OQL condition for a run (empty when nothing is pushed down)."""
    by_name = {f.name: f for f in fields}
    parts: list[str] = []
    for cond in query.conditions:
        field = by_name.get(cond.field)
        if field is None:
            continue
        values = [literal(field, v) for v in cond.values]
        if any(v is None for v in values) or not values:
            continue
        if cond.operator == "EQUAL_TO":
            parts.append(f"{field.source} = {values[0]}" if len(values) == 1
                         else f"{field.source} IN ({', '.join(v for v in values if v)})")
        elif cond.operator == "BETWEEN" and len(values) == 2 and field.type not in ("datetime",):
            parts.append(f"{field.source} >= {values[0]} AND {field.source} <= {values[1]}")
    for field in fields:
        if field.type != "datetime":
            continue
        lower, upper = query.time_range(field.name)
        if lower is not None:
            parts.append(f"{field.source} >= '{instant(lower)}'")
        if upper is not None:
            parts.append(f"{field.source} <= '{instant(upper)}'")
    return " AND ".join(parts)


def planner(fields: tuple[Field, ...]) -> Callable[[Query, Request], Request]:
    """An `Entity.plan` putting the run's OQL condition in the `oql` parameter."""

    def plan(query: Query, request: Request) -> Request:
        oql = condition(query, fields)
        return request.replace(params={**request.params, "oql": oql}) if oql else request

    return plan
