"""Stripe's list endpoints: paging and push-down (connectors layer, Stripe).

Every Stripe list answers `{"object": "list", "data": [...], "has_more": bool, "url": ...}`, newest
first; `limit` (1-100) sets the page size and `starting_after=<id of the last object>` asks for the
next page (https://docs.stripe.com/api/pagination). Lists filter by creation time with
`created[gt|gte|lt|lte]` (epoch seconds) and, per object, by a few attributes (`customer`,
`status`, ...), each an exact match (https://docs.stripe.com/api/charges/list and its siblings).

Push-down (`plan`): the flow's incremental window on `created` (window_start, window_end] becomes
`created[gt]=floor(start)` and `created[lte]=floor(end)` - `created` is whole seconds, so these
bounds select exactly the window; Filter comparisons on `created` become the matching
`created[...]` bound (the tighter one wins when several apply); EQUAL_TO with one value on a field
the list filters by becomes that parameter. The engine applies every task afterwards, so this only
saves transfer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sluice.connectors.rest.client import Answer, Request
from sluice.connectors.rest.entities import Query
from sluice.literals import parse_micros

PAGE_SIZE = 100  # Stripe's largest `limit`
_BOUNDS = {"GREATER_THAN": "gt", "GREATER_THAN_OR_EQUAL_TO": "gte", "LESS_THAN": "lt",
           "LESS_THAN_OR_EQUAL_TO": "lte"}


@dataclass(frozen=True)
class StripeList:
    """`limit` + `starting_after` paging of a Stripe list."""

    size: int = PAGE_SIZE

    def first(self, request: Request) -> Request:
        return request.replace(params={**request.params, "limit": self.size})

    def next(self, request: Request, answer: Answer, records: int) -> Request | None:
        body = answer.body if isinstance(answer.body, Mapping) else {}
        data = body.get("data") or []
        if not body.get("has_more") or not data or not isinstance(data[-1], Mapping):
            return None
        return request.replace(params={**request.params, "starting_after": str(data[-1]["id"])})


def _seconds(text: str) -> float | None:
    """Epoch seconds of a Filter operand (epoch milliseconds or ISO 8601 text), None when neither."""
    micros = parse_micros(text)
    return None if micros is None else micros / 1_000_000


def created_bounds(query: Query) -> dict[str, int]:
    """The `created[...]` parameters for the window and the Filter comparisons on `created`."""
    lower: dict[str, int] = {}  # "gt"/"gte" -> seconds
    upper: dict[str, int] = {}  # "lt"/"lte" -> seconds

    def tighten(kind: str, seconds: float) -> None:
        # Whole seconds: created > 10.5 is created > 10; created >= 10.5 is created > 10 too;
        # created < 10.5 is created <= 10; created <= 10.5 is created <= 10.
        if kind in ("gt", "gte"):
            key, value = ("gte", int(seconds)) if kind == "gte" and seconds == int(seconds) else (
                "gt", math.floor(seconds))
            lower[key] = max(lower.get(key, value), value)
        else:
            key, value = ("lt", int(seconds)) if kind == "lt" and seconds == int(seconds) else (
                "lte", math.floor(seconds))
            upper[key] = min(upper.get(key, value), value)

    if query.window_field == "created":
        if query.window_start is not None:
            tighten("gt", query.window_start)
        if query.window_end is not None:
            tighten("lte", query.window_end)
    if query.slice_field == "created":
        if query.slice_lower is not None:
            tighten("gt", query.slice_lower)
        if query.slice_upper is not None:
            tighten("lte", query.slice_upper)
    for condition in query.on("created"):
        bounds = [_seconds(v) for v in condition.values]
        if any(b is None for b in bounds):
            continue
        if condition.operator in _BOUNDS:
            tighten(_BOUNDS[condition.operator], bounds[0])  # type: ignore[arg-type]
        elif condition.operator == "EQUAL_TO" and len(bounds) == 1:
            tighten("gte", bounds[0])  # type: ignore[arg-type]
            tighten("lte", bounds[0])  # type: ignore[arg-type]
        elif condition.operator == "BETWEEN" and len(bounds) == 2:
            tighten("gte", bounds[0])  # type: ignore[arg-type]
            tighten("lte", bounds[1])  # type: ignore[arg-type]
    return {f"created[{k}]": v for k, v in {**lower, **upper}.items()}


def planner(filters: tuple[str, ...],
            defaults: Mapping[str, Any] | None = None) -> Callable[[Query, Request], Request]:
    """An `Entity.plan` for a list that filters by `created` and by each of `filters` (exact match).

    `defaults` are parameters sent unless a filter sets them (subscriptions: `status=all`, since the
    list leaves canceled subscriptions out otherwise)."""

    def plan(query: Query, request: Request) -> Request:
        params = {**request.params, **(defaults or {}), **created_bounds(query)}
        for name in filters:
            value = query.equal_to(name)
            if value is not None:
                params[name] = value
        return request.replace(params=params)

    return plan
