"""Monitored entities: `GET /api/v2/entities`, `GET /api/v2/entityTypes`, `GET /api/v2/entityTypes/{type}`.

`entitySelector` is required on the first page and must name a `type(...)` or `entityId(...)`; the default
timeframe is `now-3d` .. now (an entity is listed when it was seen within it); `fields` adds properties with a
leading `+` (the id, type and display name are always there); `sort` orders by name.
"""

from __future__ import annotations

from typing import Any

from . import matching, paging
from .environment import Environment
from .errors import DynatraceError, bad_parameter
from .listing import timeframe
from .records import ENTITY_TYPES, entity_type_descriptor

Record = dict[str, Any]
ENTITY_FIELDS = ("firstSeenTms", "lastSeenTms", "properties", "tags", "managementZones", "icon", "fromRelationships",
                 "toRelationships")
# The docs give no maximum for entities; the fake cuts larger pages to 500, like the other v2 lists' maximum.
MAX_ENTITY_PAGE = 500


def list_entities(env: Environment, query: dict[str, str]) -> Record:
    """`GET /api/v2/entities`."""
    if "nextPageKey" in query:
        paging.only_cursor(query)
        state = paging.decode(query["nextPageKey"], "entities")
    else:
        if not query.get("entitySelector"):
            raise bad_parameter("entitySelector", "must not be null")
        start, end = timeframe(env, query, "now-3d")
        state = {"endpoint": "entities", "selector": query["entitySelector"], "from": start, "to": end,
                 "fields": _fields(query.get("fields")), "sort": query.get("sort") or "",
                 "size": paging.page_size(query, 50, MAX_ENTITY_PAGE, clamp=True), "offset": 0}
    test = matching.entity_predicate(state["selector"], env.now_ms(), env.entity_index)
    found = [e for e in env.entities
             if e["lastSeenTms"] >= state["from"] and e["firstSeenTms"] <= state["to"] and test(e)]
    sort = state["sort"].strip()
    if sort:
        if sort.lstrip("+-") != "name":
            raise bad_parameter("sort", "Only the display name (name) can be sorted by.")
        found.sort(key=lambda e: e["displayName"].lower(), reverse=sort.startswith("-"))
    offset, size = state["offset"], state["size"]
    page = found[offset:offset + size]
    next_key = paging.encode({**state, "offset": offset + size}) if offset + size < len(found) else None
    return {"totalCount": len(found), "pageSize": size, "nextPageKey": next_key,
            "entities": [_project(e, state["fields"]) for e in page]}


def _fields(text: str | None) -> list[str]:
    fields = []
    for item in (text or "").split(","):
        item = item.strip().lstrip("+")
        if not item:
            continue
        head = item.split(".", 1)[0]
        if head not in ENTITY_FIELDS:
            raise bad_parameter("fields", f"Unknown field '{item}'")
        fields.append(item)
    return fields


def _project(entity: Record, fields: list[str]) -> Record:
    out: Record = {"entityId": entity["entityId"], "type": entity["type"], "displayName": entity["displayName"]}
    for item in fields:
        head, _, sub = item.partition(".")
        if not sub:
            out[head] = entity[head]
            continue
        # `properties.osType`, `fromRelationships.runsOnHost`: one member of the object (case-insensitive).
        source = entity[head]
        chosen = out.setdefault(head, {})
        for key, value in source.items():
            if key.lower() == sub.lower():
                chosen[key] = value
    return out


def list_entity_types(env: Environment, query: dict[str, str]) -> Record:
    """`GET /api/v2/entityTypes`."""
    if "nextPageKey" in query:
        paging.only_cursor(query)
        state = paging.decode(query["nextPageKey"], "entityTypes")
    else:
        state = {"endpoint": "entityTypes", "size": paging.page_size(query, 50, 500), "offset": 0}
    offset, size = state["offset"], state["size"]
    types = ENTITY_TYPES[offset:offset + size]
    next_key = paging.encode({**state, "offset": offset + size}) if offset + size < len(ENTITY_TYPES) else None
    return {"totalCount": len(ENTITY_TYPES), "pageSize": size, "nextPageKey": next_key,
            "types": [entity_type_descriptor(t) for t in types]}


def get_entity_type(env: Environment, entity_type: str) -> Record:
    """`GET /api/v2/entityTypes/{type}`: a 400 for an unknown type, as the reference says."""
    if entity_type not in ENTITY_TYPES:
        raise DynatraceError(400, f"The requested monitored entity type {entity_type} is not exportable or "
                                  "doesn't exist.")
    return entity_type_descriptor(entity_type)
