"""The fake's CRM search: filter groups, sorts, properties and `after` paging up to the result cap (state.py)."""

from __future__ import annotations

import json
from typing import Any

from .schema import DEFAULTS, definitions
from .state import HubSpotState, to_ms

MAX_GROUPS, MAX_FILTERS, MAX_TOTAL, MAX_LIMIT = 5, 6, 18, 200


class SearchError(ValueError):
    """A search HubSpot refuses (400 VALIDATION_ERROR with this message)."""


def _comparable(kind: str, prop: str, value: Any) -> Any:
    """A property value in the form HubSpot compares it: instants as ms, numbers as floats, text lowered."""
    found = definitions(kind).get(prop)
    ptype = found.type if found else "string"
    if value is None or value == "":
        return None
    if ptype in ("datetime", "date"):
        return to_ms(value)
    if ptype == "number":
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return str(value).lower()


def _matches(kind: str, record: dict[str, Any], rule: dict[str, Any]) -> bool:
    prop = str(rule.get("propertyName") or "")
    operator = str(rule.get("operator") or "EQ")
    raw = record["id"] if prop in ("hs_object_id", "id") else record["properties"].get(prop)
    if operator == "HAS_PROPERTY":
        return raw not in (None, "")
    if operator == "NOT_HAS_PROPERTY":
        return raw in (None, "")
    have = _comparable(kind, prop, raw)
    if operator in ("IN", "NOT_IN"):
        options = {_comparable(kind, prop, v) for v in rule.get("values") or []}
        return (have in options) == (operator == "IN")
    want = _comparable(kind, prop, rule.get("value"))
    if operator == "NEQ":
        return have != want
    if have is None:
        return False
    if operator == "CONTAINS_TOKEN":
        return str(want).strip("*") in str(have)
    if operator == "BETWEEN":
        high = _comparable(kind, prop, rule.get("highValue"))
        return want is not None and high is not None and want <= have <= high
    if want is None:
        return False
    try:
        return {"EQ": have == want, "LT": have < want, "LTE": have <= want, "GT": have > want,
                "GTE": have >= want}[operator]
    except KeyError:
        raise SearchError(f"Unknown operator {operator}") from None
    except TypeError:
        return False


def run_search(state: HubSpotState, kind: str, body: dict[str, Any]) -> tuple[int, list[dict[str, Any]], str | None]:
    """(total, this page's records, the next `after` or None) for a search request body."""
    groups = body.get("filterGroups") or []
    if len(groups) > MAX_GROUPS or any(len(g.get("filters") or []) > MAX_FILTERS for g in groups) or sum(
            len(g.get("filters") or []) for g in groups) > MAX_TOTAL:
        raise SearchError(f"Too many filters: at most {MAX_GROUPS} filterGroups of {MAX_FILTERS} filters, "
                          f"{MAX_TOTAL} in all")
    limit = int(body.get("limit") or 10)
    if limit > MAX_LIMIT:
        raise SearchError(f"limit must be at most {MAX_LIMIT}")
    offset = int(body.get("after") or 0)
    if offset + limit > state.search_cap:
        raise SearchError(f"Cannot page past {state.search_cap} results: narrow the search (after={offset})")
    ids = _matching_ids(state, kind, body, groups)
    wanted = body.get("properties") or list(DEFAULTS[kind])
    known = definitions(kind)
    page = []
    for object_id in ids[offset:offset + limit]:
        record = state.get(kind, object_id)
        if record is None:
            continue
        record["properties"] = {n: record["properties"].get(n) for n in wanted if n in known}
        page.append(record)
    following = offset + limit
    after = str(following) if following < len(ids) else None
    return len(ids), page, after


def _matching_ids(state: HubSpotState, kind: str, body: dict[str, Any], groups: list[Any]) -> list[str]:
    """The ids a search matches, in its sort order; the last query's answer is kept until the next write,
    so paging through a large seed filters it once."""
    key = (kind, json.dumps({k: v for k, v in body.items() if k not in ("after", "limit", "properties")},
                            sort_keys=True), state.version)
    cached = state.search_cache
    if cached is not None and cached[0] == key:
        return cached[1]
    found = [r for r in state.all(kind)
             if not groups or any(all(_matches(kind, r, f) for f in g.get("filters") or []) for g in groups)]
    for sort in reversed(body.get("sorts") or []):
        prop = str(sort.get("propertyName") or "hs_object_id") if isinstance(sort, dict) else str(sort)
        descending = isinstance(sort, dict) and sort.get("direction") == "DESCENDING"
        found.sort(key=lambda r, p=prop: (_key(kind, r, p) is None, _key(kind, r, p) or 0), reverse=descending)
    ids = [str(r["id"]) for r in found]
    state.search_cache = (key, ids)
    return ids


def _key(kind: str, record: dict[str, Any], prop: str) -> Any:
    if prop in ("hs_object_id", "id"):
        return int(record["id"])
    value = _comparable(kind, prop, record["properties"].get(prop))
    return value
