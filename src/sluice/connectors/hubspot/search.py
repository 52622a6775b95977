"""Reading HubSpot CRM objects: the list endpoint, or the search API with push-down (connectors layer, HubSpot).

A run without a time window or filters HubSpot can evaluate lists the object
(`GET /crm/v3/objects/{objectType}?limit=100&properties=...&after=...`, `paging.next.after`).
Otherwise it searches (`POST /crm/v3/objects/{objectType}/search`,
https://developers.hubspot.com/docs/api-reference/search/guide), with one filter group holding:

* the incremental window and any GREATER/LESS/BETWEEN filters on a datetime or date property, as
  `GTE` / `LTE` in epoch milliseconds (a superset: the source keeps (start, end] exactly and the
  engine applies every filter after);
* EQUAL_TO on text, enumeration, boolean and number properties (`EQ`; several values: `IN`),
  ordered comparisons on numbers (`LT`, `LTE`, `GT`, `GTE`, `BETWEEN`), EQUAL_TO on `id`.

HubSpot allows six filters a group; the rest is left to the engine. Results are sorted by the
object's last-modified property, ascending, 200 a page, and paged by keyset: each next page is a
new search from the last modified time read (`GTE` it), skipping the records already read at that
instant. HubSpot's own `after` is an offset into the result set: a record that changes while a
run pages (and so leaves the window, or moves to its end) would shift every later record and one
would be skipped; and a search answers at most 10,000 results. Keyset paging has neither problem;
`after` is used only to page through records sharing one modified time.
A list whose `properties` would make the URL too long is read by search too.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Field, Page, Query
from sluice.connectors.rest.pages import read_pages
from sluice.literals import parse_micros

from .catalog import OBJECTS, PAGED, RECORD_FIELDS, modified_property, object_fields

RESULT_CAP = 10_000  # results one search answers at most
SEARCH_PAGE = 200
MAX_FILTERS = 6
MAX_PROPERTIES_TEXT = 4000  # longer `properties` lists go in a search body, not the URL
_ORDERED = {"LESS_THAN": "LT", "LESS_THAN_OR_EQUAL_TO": "LTE", "GREATER_THAN": "GT", "GREATER_THAN_OR_EQUAL_TO": "GTE"}


def _ms_floor(seconds: float) -> str:
    return str(math.floor(seconds * 1000))


def _ms_ceil(seconds: float) -> str:
    return str(math.ceil(seconds * 1000))


def pushdown(query: Query, fields: Sequence[Field], modified: str = "hs_lastmodifieddate") -> list[dict[str, Any]]:
    """The search filters the run's window and Filter tasks become (at most `MAX_FILTERS` - 1, so a
    keyset page still has room for its own). The record's `createdAt` / `updatedAt` are searched as
    the properties that hold them (`createdate`, `modified`)."""
    by_name = {f.name: f for f in fields}
    record_times = {"createdAt": "createdate", "updatedAt": modified}
    filters: list[dict[str, Any]] = []
    timed = [query.window_field] if query.window_field else []
    timed += [c.field for c in query.conditions if c.field not in timed]
    for name in timed:
        field = by_name.get(name or "")
        if field is None or field.type not in ("datetime", "date"):
            continue
        prop = field.name if field.path else record_times.get(field.name)
        if prop is None:
            continue
        lower, upper = query.time_range(field.name)
        if lower is not None:
            filters.append({"propertyName": prop, "operator": "GTE", "value": _ms_floor(lower)})
        if upper is not None:
            filters.append({"propertyName": prop, "operator": "LTE", "value": _ms_ceil(upper)})
    for condition in query.conditions:
        field = by_name.get(condition.field)
        if field is None or field.type in ("datetime", "date") or not condition.values:
            continue
        prop = "hs_object_id" if field.name == "id" else field.name if field.path else None
        if prop is None:
            continue
        found = _comparison(field, prop, condition.operator, condition.values)
        if found is not None:
            filters.append(found)
    return filters[:MAX_FILTERS - 1]


def _comparison(field: Field, prop: str, operator: str, values: Sequence[str]) -> dict[str, Any] | None:
    if operator == "EQUAL_TO":
        texts = [v.lower() if field.type == "boolean" else v for v in values]
        if len(texts) == 1:
            return {"propertyName": prop, "operator": "EQ", "value": texts[0]}
        return {"propertyName": prop, "operator": "IN", "values": texts}
    if field.type != "double":
        return None  # HubSpot compares text case-insensitively: only equality is a safe superset
    if operator in _ORDERED:
        return {"propertyName": prop, "operator": _ORDERED[operator], "value": values[0]}
    if operator == "BETWEEN" and len(values) == 2:
        return {"propertyName": prop, "operator": "BETWEEN", "value": values[0], "highValue": values[1]}
    return None


def _properties(query: Query, fields: Sequence[Field], modified: str) -> list[str]:
    by_name = {f.name: f for f in fields}
    names = [n for n in query.columns if n in by_name and by_name[n].path and n not in RECORD_FIELDS]
    return list(dict.fromkeys([*names, modified]))


def read_objects(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
    """`Entity.read` of the CRM objects (see the module docstring)."""
    kind = OBJECTS[query.entity][0]
    fields = object_fields(client, kind)
    modified = modified_property(kind)
    properties = _properties(query, fields, modified)
    filters = pushdown(query, fields, modified)
    if not filters and len(",".join(properties)) <= MAX_PROPERTIES_TEXT:
        listing = Request("GET", f"/crm/v3/objects/{kind}", {"properties": ",".join(properties), "archived": "false"})
        yield from read_pages(client, PAGED.first(listing), PAGED, "results", query.entity)
        return
    yield from search(client, kind, filters, properties, modified)


def _instant(record: Mapping[str, Any], modified: str) -> int | None:
    value = (record.get("properties") or {}).get(modified)
    micros = parse_micros(str(value)) if value not in (None, "") else None
    return None if micros is None else micros // 1000


def search(client: RestClient, kind: str, filters: list[dict[str, Any]], properties: list[str],
           modified: str) -> Iterator[Page]:
    """Every record matching `filters`, sorted by `modified`, page after page by keyset (see below)."""
    path = f"/crm/v3/objects/{kind}/search"
    bound: int | None = None  # ms: the current search's lower bound on `modified` (GTE)
    seen_at_bound: set[str] = set()  # ids already read at exactly `bound`
    offset = 0  # `after` within the current search: only while a page holds nothing past `bound`
    tail_ms: int | None = None
    tail_ids: set[str] = set()
    while True:
        rules = list(filters)
        if bound is not None:
            rules.append({"propertyName": modified, "operator": "GTE", "value": str(bound)})
        body: dict[str, Any] = {"filterGroups": [{"filters": rules}] if rules else [],
                                "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
                                "properties": properties, "limit": SEARCH_PAGE}
        if offset:
            body["after"] = str(offset)
        answer = client.call(Request("POST", path, json=body, idempotent=True))
        results = answer.body.get("results") if isinstance(answer.body, Mapping) else None
        if not isinstance(results, list):
            raise ConnectorError("ServerError", f"HubSpot's search answer for {kind} has no results list")
        yield Page([r for r in results if str(r.get("id")) not in seen_at_bound], len(answer.response.content))
        for record in results:
            instant = _instant(record, modified)
            if instant is None:
                continue
            if instant != tail_ms:
                tail_ms, tail_ids = instant, set()
            tail_ids.add(str(record.get("id")))
        following = ((answer.body.get("paging") or {}).get("next") or {}).get("after")
        if not following or len(results) < SEARCH_PAGE:
            return
        if tail_ms is not None and tail_ms != bound:
            # The next page is a new search from the last modified time read: no offset to shift when
            # records change meanwhile, and no 10,000-result cap to reach.
            bound, seen_at_bound, offset = tail_ms, set(tail_ids), 0
            continue
        # A whole page at the bound's instant: page on within this search, as far as its cap allows.
        seen_at_bound |= {str(r.get("id")) for r in results}
        offset += SEARCH_PAGE
        if offset + SEARCH_PAGE > RESULT_CAP:
            raise ConnectorError("ServerError", f"more than {RESULT_CAP} HubSpot {kind} share the modified time "
                                 f"{tail_ms} ms: the search API cannot page through them")
