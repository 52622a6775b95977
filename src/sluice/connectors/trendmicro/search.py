"""The Deep Security search API as the REST layer's paging and push-down (connectors layer, Trend Micro).

Every object is read with `POST /<objects>/search` and a search filter
(https://automation.deepsecurity.trendmicro.com/article/12_0/how-to-search):
`{"maxItems": n, "searchCriteria": [...], "sortByObjectID": true}`; the criteria all hold.

* Paging (`IdPages`) - Trend Micro pages a search by ID: results sorted by ID, `maxItems` of them,
  and the next page is the same search plus an ID criterion `{"idTest": "greater-than", "idValue":
  <last ID>}`. A page shorter than `maxItems` is the last.
* Push-down (`plan`) - an EQUAL_TO filter with one value becomes a string / numeric / boolean test on
  its field (`ID` an ID test); the incremental window on a time field becomes a date-range criterion
  `firstDateValue` (exclusive) / `lastDateValue` (inclusive), in epoch milliseconds as the API keeps
  dates. The source still keeps only records inside the window; the engine applies every filter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sluice.connectors.rest.client import Answer, Request
from sluice.connectors.rest.entities import Field, Query


def _is_page_criterion(criterion: Mapping[str, Any]) -> bool:
    """The ID criterion paging adds (push-down only ever adds `equal` ID tests)."""
    return criterion.get("idTest") == "greater-than" and "fieldName" not in criterion


@dataclass(frozen=True)
class IdPages:
    """Paging by ID (see the module docstring); `records` is the answer's list member."""

    records: str
    size: int = 1000

    def first(self, request: Request) -> Request:
        body = dict(request.json or {})
        body.update({"maxItems": self.size, "sortByObjectID": True})
        body.setdefault("searchCriteria", [])
        return request.replace(json=body, idempotent=True)

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        page = answer.body.get(self.records) if isinstance(answer.body, Mapping) else None
        if records < self.size or not page:
            return None
        last = page[-1].get("ID") if isinstance(page[-1], Mapping) else None
        if not isinstance(last, int):
            return None
        body = dict(request.json or {})
        criteria = [c for c in body.get("searchCriteria", []) if not _is_page_criterion(c)]
        body["searchCriteria"] = [*criteria, {"idTest": "greater-than", "idValue": last}]
        return request.replace(json=body)


def equal_criterion(field: Field, value: str) -> dict[str, Any] | None:
    """The search criterion testing `field` for equality with `value`; None when it cannot be one."""
    if field.name == "ID":
        try:
            return {"idTest": "equal", "idValue": int(value)}
        except ValueError:
            return None
    if field.type == "string":
        return {"fieldName": field.source, "stringTest": "equal", "stringValue": value, "stringWildcards": False}
    if field.type in ("integer", "double"):
        try:
            number = float(value)
        except ValueError:
            return None
        return {"fieldName": field.source, "numericTest": "equal", "numericValue": number}
    if field.type == "boolean" and value.strip().lower() in ("true", "false"):
        return {"fieldName": field.source, "booleanTest": value.strip().lower() == "true"}
    return None


def planner(fields: tuple[Field, ...]) -> Callable[[Query, Request], Request]:
    """An `Entity.plan` adding the run's EQUAL_TO filters and time window as search criteria."""
    by_name = {f.name: f for f in fields}

    def plan(query: Query, request: Request) -> Request:
        body = dict(request.json or {})
        criteria = list(body.get("searchCriteria", []))
        for condition in query.conditions:
            field = by_name.get(condition.field)
            if field is None or condition.operator != "EQUAL_TO" or len(condition.values) != 1:
                continue
            criterion = equal_criterion(field, condition.values[0])
            if criterion is not None:
                criteria.append(criterion)
        for field in fields:
            if field.type != "datetime" or not field.timestamp:
                continue
            lower, upper = query.time_range(field.name)
            if lower is None and upper is None:
                continue
            dates: dict[str, Any] = {"fieldName": field.source}
            if lower is not None:
                dates.update(firstDateValue=round(lower * 1_000_000) // 1000, firstDateInclusive=False)
            if upper is not None:
                dates.update(lastDateValue=round(upper * 1_000_000) // 1000, lastDateInclusive=True)
            criteria.append(dates)
        body["searchCriteria"] = criteria
        return request.replace(json=body, idempotent=True)

    return plan
