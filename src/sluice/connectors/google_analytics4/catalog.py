"""Google Analytics 4 objects and fields, read live from Google (connectors layer, Google Analytics 4).

Objects, named as AppFlow's managed connector names them (cdk-appflow's GA4 stack reads
`properties/123456789/coreReport`):

* `properties/<propertyId>` - a GA4 property the profile's Google user can read (a folder), listed
  from the Admin API's `accountSummaries`, paged with `pageToken`;
* `properties/<propertyId>/coreReport` - the property's core report (Data API `runReport`): the object
  cdk-appflow's stack reads;
* `properties/<propertyId>/realtimeReport` - the property's realtime report (`runRealtimeReport`, the
  last 30 minutes), the other report AWS documents for its GA4 connector ("Core Report", "Real-Time
  Report" in AWS Glue's GA4 entity table); its name follows `coreReport`'s pattern.

A core report's fields are the property's dimensions and metrics as the Data API's metadata method
lists them (`GET /v1beta/properties/<id>/metadata`, custom definitions included), by their API names
(`country`, `activeUsers`, `customEvent:author`). Dimensions are text (GA4 answers every dimension
value as text) except `date`, a calendar date: the incremental field, and the report's date range.
Metrics are typed by their `type`: TYPE_INTEGER -> integer, every other type (TYPE_FLOAT,
TYPE_SECONDS, TYPE_MILLISECONDS, TYPE_CURRENCY, TYPE_STANDARD, distances...) -> double. A realtime
report's fields are the Realtime API's own schema, which no metadata method lists: declared here
(https://developers.google.com/analytics/devguides/reporting/data/v1/realtime-api-schema).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import ORDERED, Entity, Field

from .api import admin_url, data_url

DATE = "date"
REPORT = "coreReport"
REALTIME = "realtimeReport"
DIMENSION_FILTERS = ("EQUAL_TO", "NOT_EQUAL_TO", "CONTAINS")
DATE_FILTERS = ("EQUAL_TO", "BETWEEN", "GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO", "LESS_THAN",
                "LESS_THAN_OR_EQUAL_TO")
SUMMARY_PAGE = 200  # the Admin API's largest accountSummaries page
_PROPERTY = re.compile(r"properties/(\d+)")
_REPORT = re.compile(rf"properties/(\d+)/{REPORT}")
_REALTIME = re.compile(rf"properties/(\d+)/{REALTIME}")
# (API name, UI name) of the Realtime API's dimensions and metrics (every realtime metric is an integer).
REALTIME_DIMENSIONS = (
    ("appVersion", "App version"), ("audienceId", "Audience ID"), ("audienceName", "Audience name"),
    ("city", "City"), ("cityId", "City ID"), ("country", "Country"), ("countryId", "Country ID"),
    ("deviceCategory", "Device category"), ("eventName", "Event name"), ("minutesAgo", "Realtime minutes ago"),
    ("platform", "Platform"), ("streamId", "Stream ID"), ("streamName", "Stream name"),
    ("unifiedScreenName", "Page title and screen name"))
REALTIME_METRICS = (("activeUsers", "Active users"), ("eventCount", "Event count"), ("keyEvents", "Key events"),
                    ("screenPageViews", "Views"))


def metric_type(vendor_type: str) -> str:
    """The layer's type of a GA4 metric type."""
    return "integer" if vendor_type == "TYPE_INTEGER" else "double"


def account_summaries(client: RestClient) -> list[Mapping[str, Any]]:
    """Every account summary the user can read (following `nextPageToken`)."""
    items: list[Mapping[str, Any]] = []
    params: dict[str, Any] = {"pageSize": SUMMARY_PAGE}
    while True:
        body = client.json(Request("GET", admin_url("/v1beta/accountSummaries"), dict(params))) or {}
        items += [i for i in body.get("accountSummaries") or [] if isinstance(i, Mapping)]
        token = body.get("nextPageToken")
        if not token:
            return items
        params["pageToken"] = str(token)


@dataclass
class ReportFields:
    """One read's view of a property's fields: filled by `describe`, used by the read (dimension or
    metric, type), so a run asks Google for the metadata once."""

    fields: list[Field] = field(default_factory=list)
    metrics: set[str] = field(default_factory=set)

    def describe(self, client: RestClient, entity: Entity) -> list[Field]:
        """`Entity.describe` of a core report: the property's dimensions, then its metrics."""
        property_id = entity.name.split("/")[1]
        body = client.json(Request("GET", data_url(f"/v1beta/properties/{property_id}/metadata"))) or {}
        fields: list[Field] = []
        for item in body.get("dimensions") or []:
            if isinstance(item, Mapping) and item.get("apiName"):
                fields.append(dimension_field(item))
        metrics = [metric_field(item) for item in body.get("metrics") or []
                   if isinstance(item, Mapping) and item.get("apiName")]
        self.fields = fields + metrics
        self.metrics = {m.name for m in metrics}
        return self.fields

    @classmethod
    def realtime(cls) -> ReportFields:
        """The realtime report's declared fields."""
        fields = cls()
        dimensions = [dimension_field({"apiName": n, "uiName": u, "category": "Realtime"})
                      for n, u in REALTIME_DIMENSIONS]
        metrics = [metric_field({"apiName": n, "uiName": u, "type": "TYPE_INTEGER", "category": "Realtime"})
                   for n, u in REALTIME_METRICS]
        fields.fields, fields.metrics = dimensions + metrics, {m.name for m in metrics}
        return fields

    def is_metric(self, name: str) -> bool:
        return name in self.metrics

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def _description(item: Mapping[str, Any], kind: str) -> str:
    text = str(item.get("description") or item.get("uiName") or item["apiName"])
    extra = [kind]
    if item.get("customDefinition"):
        extra.append("custom definition")
    if item.get("category"):
        extra.append(str(item["category"]))
    if item.get("blockedReasons"):
        extra.append("blocked for this user: " + ", ".join(str(r) for r in item["blockedReasons"]))
    return f"{text} ({'; '.join(extra)})"


def dimension_field(item: Mapping[str, Any]) -> Field:
    """One dimension of the metadata answer as a field."""
    name = str(item["apiName"])
    label = str(item.get("uiName") or name)
    if name == DATE:
        return Field(name, "date", label=label, description=_description(item, "dimension"), filters=DATE_FILTERS,
                     timestamp=True)
    return Field(name, "string", label=label, description=_description(item, "dimension"),
                 filters=DIMENSION_FILTERS)


def metric_field(item: Mapping[str, Any]) -> Field:
    """One metric of the metadata answer as a field."""
    name = str(item["apiName"])
    vendor_type = str(item.get("type") or "TYPE_FLOAT")
    return Field(name, metric_type(vendor_type), label=str(item.get("uiName") or name),
                 description=_description(item, f"metric, {vendor_type}"), filters=ORDERED)


@dataclass(frozen=True)
class Catalog:
    """The GA4 properties of the profile's Google user and their core reports."""

    read: Any  # the core report's Entity.read (reports.read_report), given the read's ReportFields
    read_realtime: Any  # the realtime report's (reports.read_realtime_report)

    def entities(self, client: RestClient, parent: str | None) -> list[Entity]:
        summaries = account_summaries(client)
        if not parent:
            return [self.folder(str(p["property"]), str(p.get("displayName") or p["property"]),
                                str(a.get("displayName") or a.get("account") or ""))
                    for a in summaries for p in a.get("propertySummaries") or []
                    if isinstance(p, Mapping) and _PROPERTY.fullmatch(str(p.get("property") or ""))]
        if not _PROPERTY.fullmatch(parent) or not any(
                str(p.get("property")) == parent for a in summaries for p in a.get("propertySummaries") or []
                if isinstance(p, Mapping)):
            raise ConnectorError("ResourceNotFound", f"Google Analytics 4 has no property {parent!r} this user "
                                 "can read (ListConnectorEntities without entitiesPath lists them)")
        return [self.report(f"{parent}/{REPORT}"), self.realtime(f"{parent}/{REALTIME}")]

    def entity(self, client: RestClient, name: str) -> Entity:
        if _REPORT.fullmatch(name):
            # No Admin API call: the Data API itself refuses a property the user cannot read (403).
            return self.report(name)
        if _REALTIME.fullmatch(name):
            return self.realtime(name)
        if _PROPERTY.fullmatch(name):
            for entity in self.entities(client, None):
                if entity.name == name:
                    return entity
        raise ConnectorError("ResourceNotFound", f"Google Analytics 4 has no object {name!r} (objects are "
                             f"properties/<propertyId>/{REPORT} and properties/<propertyId>/{REALTIME}; "
                             "ListConnectorEntities lists the properties)")

    @staticmethod
    def folder(name: str, label: str, account: str) -> Entity:
        return Entity(name, label=f"{label} ({account})" if account else label, has_children=True, readable=False,
                      description=f"Google Analytics 4 property {name.split('/')[1]}")

    def report(self, name: str) -> Entity:
        fields = ReportFields()
        property_id = name.split("/")[1]

        def read(client: RestClient, query: Any, request: Any) -> Any:
            if not fields.fields:  # a read without the describe step (the source always describes first)
                fields.describe(client, entity)
            return self.read(client, query, fields)

        entity = Entity(name, label="Core Report", description=f"Core report (runReport) of property {property_id}",
                        path=f"/v1beta/properties/{property_id}:runReport", method="POST",
                        describe=fields.describe, read=read)
        return entity

    def realtime(self, name: str) -> Entity:
        fields = ReportFields.realtime()
        property_id = name.split("/")[1]
        return Entity(name, label="Realtime Report",
                      description=f"Realtime report (runRealtimeReport, the last 30 minutes) of property {property_id}",
                      path=f"/v1beta/properties/{property_id}:runRealtimeReport", method="POST",
                      fields=tuple(fields.fields),
                      read=lambda client, query, request: self.read_realtime(client, query, fields))
