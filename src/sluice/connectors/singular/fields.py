"""The fields of a Singular report: declared standard ones plus the account's own (connectors layer, Singular).

A Singular report is a choice of dimensions and metrics (https://support.singular.net/hc/en-us/articles/
360045245692-Reporting-API-Reference; each field's meaning is in Singular's Metrics and Dimensions
Glossary). Sluice offers as fields:

* `start_date` - the day each row aggregates (reports are asked for with `time_breakdown=day`);
* the standard dimensions and metrics below (text dimensions, numeric metrics);
* read live from the account: the dimensions `GET /api/v2.0/reporting/filters` lists (with their
  values as `supportedValues`), the custom dimensions of `GET /api/custom_dimensions` and the
  conversion metrics of `GET /api/conversion_metrics`.

Whether a field is a dimension or a metric follows from its type: text fields are dimensions,
numbers are metrics.
"""

from __future__ import annotations

from typing import Any

from sluice.connectors.rest.client import RestClient
from sluice.connectors.rest.entities import Entity, Field

DAY = "start_date"
EQ = ("EQUAL_TO",)
NONE: tuple[str, ...] = ()

DIMENSIONS = (
    ("app", "App"), ("source", "Source"), ("os", "OS"), ("platform", "Platform"),
    ("country_field", "Country"), ("site_public_id", "Site public ID"),
    ("adn_account_id", "Network account ID"), ("adn_account_name", "Network account name"),
    ("adn_campaign_id", "Campaign ID"), ("adn_campaign_name", "Campaign name"),
    ("adn_sub_campaign_id", "Sub campaign ID"), ("adn_sub_campaign_name", "Sub campaign name"),
    ("adn_creative_id", "Creative ID"), ("adn_creative_name", "Creative name"),
    ("tracker_campaign_name", "Tracker campaign name"),
)
# app and source are the report's own parameters; the others go to its `filters`.
FILTERABLE = frozenset({"app", "source", "os", "platform", "country_field", "adn_account_name",
                        "adn_campaign_name", "adn_sub_campaign_name"})
METRICS = (
    ("adn_cost", "double", "Cost"), ("adn_original_cost", "double", "Original cost"),
    ("adn_impressions", "integer", "Network impressions"), ("adn_clicks", "integer", "Network clicks"),
    ("adn_installs", "integer", "Network installs"), ("custom_impressions", "integer", "Tracker impressions"),
    ("custom_clicks", "integer", "Tracker clicks"), ("custom_installs", "integer", "Tracker installs"),
    ("custom_reengagements", "integer", "Tracker re-engagements"),
)


def standard_fields() -> list[Field]:
    """`start_date`, the standard dimensions and the standard metrics."""
    fields = [Field(DAY, "datetime", format="%Y-%m-%d", filters=EQ, timestamp=True, label="Date",
                    description="The day the row aggregates (UTC midnight); EQUAL_TO and incremental windows "
                                "choose the report's days")]
    fields += [Field(name, label=label, filters=EQ if name in FILTERABLE else NONE) for name, label in DIMENSIONS]
    fields += [Field(name, kind, label=label, filters=NONE) for name, kind, label in METRICS]
    return fields


def _value(body: Any, *path: str) -> Any:
    current = body
    for part in path:
        current = current.get(part) if isinstance(current, dict) else None
    return current


def describe(client: RestClient, entity: Entity) -> list[Field]:
    """The report's fields: the standard ones, with the account's dimensions, values and metrics."""
    fields = {f.name: f for f in standard_fields()}
    for dimension in _value(client.get("/api/v2.0/reporting/filters"), "value", "dimensions") or []:
        name = str(dimension.get("name") or "")
        if not name:
            continue
        values = tuple(str(v.get("name")) for v in dimension.get("values") or []
                       if isinstance(v, dict) and v.get("name"))
        known = fields.get(name)
        label = str(dimension.get("display_name") or name)
        fields[name] = Field(name, label=known.label if known else label, filters=EQ, values=values)
    for custom in _value(client.get("/api/custom_dimensions"), "value", "custom_dimensions") or []:
        name = str(custom.get("id") or "")
        if name and name not in fields:
            fields[name] = Field(name, label=str(custom.get("display_name") or name), filters=NONE,
                                 description="A custom dimension of the account")
    for metric in _value(client.get("/api/conversion_metrics"), "value", "metrics") or []:
        name = str(metric.get("name") or "")
        if name and name not in fields:
            fields[name] = Field(name, "double", label=str(metric.get("display_name") or name), filters=NONE,
                                 description="A conversion (event) metric of the account")
    return list(fields.values())


def is_metric(field: Field) -> bool:
    """Numbers are metrics; text is a dimension."""
    return field.type in ("integer", "double")
