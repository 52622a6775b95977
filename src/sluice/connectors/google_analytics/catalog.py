"""Google Analytics objects and fields, read live from Google (connectors layer, Google Analytics).

Objects are the views (profiles) the profile's Google user can read, nested as Google nests them
(Management API v3 `accountSummaries`,
https://developers.google.com/analytics/devguides/config/mgmt/v3/mgmtReference/management/accountSummaries/list):

* `<accountId>` - an account (a folder);
* `<accountId>/<webPropertyId>` - a Universal Analytics property, `UA-...` (a folder);
* `<accountId>/<webPropertyId>/<viewId>` - a view: the object a flow reads.

A view's fields are the Metadata API's public columns (`GET /analytics/v3/metadata/ga/columns`,
https://developers.google.com/analytics/devguides/reporting/metadata/v3/reference/metadata/columns/list)
plus the property's custom dimensions and metrics (Management API `customDimensions` /
`customMetrics`), each named as AppFlow names them: `<ga name>|DIMENSION` or `<ga name>|METRIC`
(AppFlow's user guide: `ga:dimension24|DIMENSION`). Deprecated and templated (`XX`) columns are left out.
`ga:date` (a date) and `ga:dateHour` (an instant, the incremental field) take BETWEEN, which becomes
the report's date range.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Entity, Field

from .api import management_url

DATE = "ga:date|DIMENSION"
DATE_HOUR = "ga:dateHour|DIMENSION"
BETWEEN = ("BETWEEN",)
NONE: tuple[str, ...] = ()
# The Metadata API's data types -> the layer's.
TYPES = {"STRING": "string", "INTEGER": "integer", "FLOAT": "double", "PERCENT": "double", "CURRENCY": "double",
         "TIME": "double"}


def field_id(name: str, kind: str) -> str:
    """AppFlow's field name for a Google column: `ga:sessions|METRIC`."""
    return f"{name}|{kind}"


def split_id(identifier: str) -> tuple[str, str]:
    """(Google name, DIMENSION or METRIC) of a field name."""
    name, _, kind = identifier.rpartition("|")
    return name, kind


def column_field(name: str, kind: str, data_type: str, label: str, description: str = "") -> Field:
    """One column as a field."""
    identifier = field_id(name, kind)
    if identifier == DATE:
        return Field(identifier, "date", label=label, description=description, filters=BETWEEN)
    if identifier == DATE_HOUR:
        return Field(identifier, "datetime", label=label, description=description, filters=BETWEEN,
                     format="%Y%m%d%H", timestamp=True)
    kind_type = "string" if kind == "DIMENSION" else TYPES.get(data_type, "double")
    return Field(identifier, kind_type, label=label, description=description, filters=NONE, vendor_type=data_type)


def account_summaries(client: RestClient) -> list[Mapping[str, Any]]:
    """Every account summary the user can read (following `start-index` paging)."""
    items: list[Mapping[str, Any]] = []
    start = 1
    while True:
        body = client.json(Request("GET", management_url("/analytics/v3/management/accountSummaries"),
                                   {"start-index": start, "max-results": 1000}))
        page = [i for i in (body or {}).get("items") or [] if isinstance(i, Mapping)]
        items += page
        total = int((body or {}).get("totalResults") or 0)
        if not page or len(items) >= total:
            return items
        start += len(page)


@dataclass(frozen=True)
class Catalog:
    """The views of the profile's Google user, as nested entities; `view` builds a view's `Entity`."""

    read: Any  # the views' Entity.read (reports.read_report)

    def entities(self, client: RestClient, parent: str | None) -> list[Entity]:
        summaries = account_summaries(client)
        if not parent:
            return [Entity(str(a["id"]), label=str(a.get("name") or a["id"]), has_children=True, readable=False)
                    for a in summaries]
        parts = parent.split("/")
        account = _find(summaries, parts[0])
        if account is None:
            raise ConnectorError("ResourceNotFound", f"Google Analytics has no account {parts[0]!r} for this user")
        if len(parts) == 1:
            return [Entity(f"{parent}/{p['id']}", label=str(p.get("name") or p["id"]), has_children=True,
                           readable=False, description=f"Universal Analytics property {p['id']}")
                    for p in account.get("webProperties") or []]
        prop = _find(account.get("webProperties") or [], parts[1])
        if prop is None or len(parts) > 2:
            raise ConnectorError("ResourceNotFound", f"Google Analytics has no property {parent!r} for this user")
        return [self.view(f"{parent}/{v['id']}", str(v.get("name") or v["id"])) for v in prop.get("profiles") or []]

    def entity(self, client: RestClient, name: str) -> Entity:
        parts = name.split("/")
        if len(parts) in (1, 2):
            for entity in self.entities(client, "/".join(parts[:-1]) or None):
                if entity.name == name:
                    return entity
        elif len(parts) == 3:
            for entity in self.entities(client, "/".join(parts[:2])):
                if entity.name == name:
                    return entity
        raise ConnectorError("ResourceNotFound", f"Google Analytics has no view {name!r} for this user (objects are "
                             "<accountId>/<webPropertyId>/<viewId>; ListConnectorEntities lists them)")

    def view(self, name: str, label: str) -> Entity:
        return Entity(name, label=label, description=f"Universal Analytics view {name.rsplit('/', 1)[-1]}",
                      path="/v4/reports:batchGet", method="POST", describe=describe_view, read=self.read)


def _find(items: Any, identifier: str) -> Mapping[str, Any] | None:
    for item in items:
        if isinstance(item, Mapping) and str(item.get("id")) == identifier:
            return item
    return None


def describe_view(client: RestClient, entity: Entity) -> list[Field]:
    """The view's fields: public metadata columns, then the property's custom dimensions and metrics."""
    fields = list(metadata_fields(client))
    account, prop, _ = entity.name.split("/")
    for kind, path, key in (("DIMENSION", "customDimensions", "dimension"), ("METRIC", "customMetrics", "metric")):
        body = client.json(Request("GET", management_url(
            f"/analytics/v3/management/accounts/{account}/webproperties/{prop}/{path}")))
        for item in (body or {}).get("items") or []:
            if isinstance(item, Mapping) and item.get("id") and item.get("active", True):
                fields.append(column_field(str(item["id"]), kind, str(item.get("type") or "STRING"),
                                           str(item.get("name") or item["id"]),
                                           f"Custom {key} {item.get('index')} ({item.get('scope') or 'HIT'} scope)"))
    return fields


def metadata_fields(client: RestClient) -> Iterator[Field]:
    """The Metadata API's public, non-templated columns as fields."""
    body = client.json(Request("GET", management_url("/analytics/v3/metadata/ga/columns")))
    for item in (body or {}).get("items") or []:
        attributes = item.get("attributes") or {} if isinstance(item, Mapping) else {}
        name = str(item.get("id") or "") if isinstance(item, Mapping) else ""
        if not name or "XX" in name or attributes.get("status") != "PUBLIC":
            continue
        kind = str(attributes.get("type") or "")
        if kind not in ("DIMENSION", "METRIC"):
            continue
        yield column_field(name, kind, str(attributes.get("dataType") or "STRING"),
                           str(attributes.get("uiName") or name), str(attributes.get("description") or ""))
