"""ServiceNow's tables as the connector's catalog, read from the instance (connectors layer).

Every table the instance's `sys_db_object` lists is an entity; a table's fields are its
`sys_dictionary` entries plus those of the tables it extends (`super_class`: incident extends task), a
child's entry winning over its parent's for the same column. The dictionary row of the table itself
(no `element`, type `collection`) is not a field. Types map to the REST layer's as:

* integer, longint, count -> integer; decimal, float, percent_complete -> double; boolean -> boolean;
* glide_date_time, due_date -> datetime (UTC, "YYYY-MM-DD HH:MM:SS"); glide_date -> date;
* everything else (string, reference sys_ids, choice codes, GUID, journal...) -> string.

The field's `fieldType` is ServiceNow's own `internal_type`. `sys_updated_on` and `sys_created_on` are
offered for incremental pulls. Reading the catalog needs read access to `sys_db_object` and
`sys_dictionary` (roles admin or personalize_dictionary on a stock instance).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Entity, Field, Query
from sluice.connectors.rest.paging import LinkHeader, link_next
from sluice.connectors.rest.splits import OffsetSplits
from sluice.connectors.service_now.query import DATETIME_FORMAT, encoded_query, escape
from sluice.settings import current

TABLE_NAME = re.compile(r"^[a-z0-9_]{1,80}$")
INTEGER = frozenset({"integer", "longint", "count"})
DOUBLE = frozenset({"decimal", "float", "percent_complete"})
DATETIME = frozenset({"glide_date_time", "due_date"})
TIMESTAMPS = frozenset({"sys_updated_on", "sys_created_on"})
MAX_DEPTH = 20  # extension chains are a few tables deep; this only stops a cycle
# Raw values, references as bare sys_ids: what the fields above describe.
READ_PARAMS = {"sysparm_display_value": "false", "sysparm_exclude_reference_link": "true"}


def table_path(name: str) -> str:
    """The Table API path of a table."""
    return f"/api/now/table/{name}"


def rows(client: RestClient, table: str, query: str, fields: str) -> Iterator[Mapping[str, Any]]:
    """Every record of a metadata read, following the `Link` header's next page."""
    request: Request | None = Request("GET", table_path(table), {
        **READ_PARAMS, "sysparm_query": query, "sysparm_fields": fields,
        "sysparm_limit": current().servicenow.page_size})
    while request is not None:
        answer = client.call(request)
        result = answer.body.get("result") if isinstance(answer.body, Mapping) else None
        if not isinstance(result, list):
            raise ConnectorError("ServerError", f"ServiceNow's answer for {table} has no result list")
        yield from (r for r in result if isinstance(r, Mapping))
        following = link_next(answer.response.headers.get("Link"))
        request = Request("GET", following) if following and result else None


def _text(value: Any) -> str:
    """A metadata value; a reference left as an object (exclude_reference_link ignored) gives its value."""
    if isinstance(value, Mapping):
        value = value.get("value")
    return "" if value is None else str(value)


def field_of(entry: Mapping[str, Any]) -> Field:
    """One `sys_dictionary` entry as a `Field`."""
    name = _text(entry.get("element"))
    vendor_type = _text(entry.get("internal_type")) or "string"
    label = _text(entry.get("column_label")) or name
    reference = _text(entry.get("reference"))
    if vendor_type in INTEGER:
        kind = "integer"
    elif vendor_type in DOUBLE:
        kind = "double"
    elif vendor_type == "boolean":
        kind = "boolean"
    elif vendor_type in DATETIME:
        kind = "datetime"
    elif vendor_type == "glide_date":
        kind = "date"
    else:
        kind = "string"
    described = f"{label} ({vendor_type}{' to ' + reference if reference else ''})"
    return Field(name, kind, label=label, description=described, primary_key=_text(entry.get("primary")) == "true",
                 nullable=_text(entry.get("mandatory")) != "true",
                 format=DATETIME_FORMAT if kind == "datetime" else "iso",
                 timestamp=kind == "datetime" and name in TIMESTAMPS, vendor_type=vendor_type)


def lineage(client: RestClient, name: str) -> list[str]:
    """`name` and the tables it extends, root first."""
    chain: list[str] = []
    query = f"name={escape(name)}"
    while query and len(chain) < MAX_DEPTH:
        found = next(iter(rows(client, "sys_db_object", query, "name,super_class")), None)
        if found is None or _text(found.get("name")) in chain:
            break
        chain.append(_text(found.get("name")))
        parent = _text(found.get("super_class"))
        query = f"sys_id={escape(parent)}" if parent else ""
    return list(reversed(chain))


def describe(client: RestClient, tables: list[str]) -> list[Field]:
    """The fields of the last table in `tables` (a lineage, root first)."""
    entries: dict[str, dict[str, Mapping[str, Any]]] = {t: {} for t in tables}
    query = f"nameIN{','.join(tables)}^elementISNOTEMPTY^active=true"
    for entry in rows(client, "sys_dictionary", query,
                      "name,element,column_label,internal_type,max_length,primary,mandatory,reference"):
        table, element = _text(entry.get("name")), _text(entry.get("element"))
        if table in entries and element:
            entries[table][element] = entry
    merged: dict[str, Mapping[str, Any]] = {}
    for table in tables:  # root first: a child's entry replaces its parent's, keeping the position
        merged.update(entries[table])
    return [field_of(e) for e in merged.values()]


@dataclass(frozen=True)
class Tables:
    """The `Catalog` of a ServiceNow instance: `sys_db_object` for tables, `sys_dictionary` for fields."""

    def entities(self, client: RestClient, parent: str | None) -> list[Entity]:
        if parent:
            return []
        return [table_entity(_text(r.get("name")), _text(r.get("label")))
                for r in rows(client, "sys_db_object", "ORDERBYname", "name,label") if _text(r.get("name"))]

    def entity(self, client: RestClient, name: str) -> Entity:
        if TABLE_NAME.match(name):
            for row in rows(client, "sys_db_object", f"name={name}", "name,label"):
                if _text(row.get("name")) == name:
                    return table_entity(name, _text(row.get("label")))
        raise ConnectorError("ResourceNotFound", f"the ServiceNow instance has no table {name!r} "
                             "(sys_db_object lists none by that name)")


def table_entity(name: str, label: str) -> Entity:
    """A table as an entity: fields from the dictionary, Filters and window pushed into sysparm_query."""
    known: dict[str, Field] = {}  # filled by describe, read by plan (the source calls them in that order)

    def fields(client: RestClient, entity: Entity) -> list[Field]:
        found = describe(client, lineage(client, name))
        known.clear()
        known.update({f.name: f for f in found})
        return found

    def plan(query: Query, request: Request) -> Request:
        params = dict(request.params)
        params["sysparm_query"] = encoded_query(query, known)
        if query.columns:
            params["sysparm_fields"] = ",".join(query.columns)
        return request.replace(params=params)

    size = current().servicenow.page_size
    return Entity(name, label=label or name, path=table_path(name), params=dict(READ_PARAMS), records="result",
                  paginator=LinkHeader(size_param="sysparm_limit", size=size),
                  describe=fields, plan=plan, splits=replace(SPLITS, page_size=size))


# Parallel reads: offset ranges of the ordered query (ORDERBYsys_created_on^ORDERBYsys_id, so a record
# keeps its offset while records change), planned from the X-Total-Count header the Table API sends for
# every list read. At most 8 parts: each call holds one of the instance's API semaphore slots while it runs, and each
# part uses its own client (own session cookie: ServiceNow runs one transaction per session at a time).
SPLITS = OffsetSplits("sysparm_offset", "sysparm_limit", page_size=10_000, total_header="X-Total-Count", max_splits=8)
