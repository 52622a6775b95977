"""Marketo objects' fields (connectors layer, Marketo): leads from Describe Lead, the others as documented.

Lead fields are the subscription's own (standard and custom), read from `GET /rest/v1/leads/describe.json`;
a field without a `rest` member is not reachable through the REST API and is left out. Marketo's data
types map to the REST layer's: string/email/phone/url/text/textarea/reference/picklist -> string,
integer/score -> integer, float/currency/percent -> double, boolean, date, datetime.

Activities, programs and campaigns have fixed shapes (Activities, Programs and Campaigns pages, and the
endpoint reference); program datetimes use the Asset API's `2015-05-21T22:45:13Z+0000` form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.entities import Field

if TYPE_CHECKING:
    from sluice.connectors.rest.client import RestClient
    from sluice.connectors.rest.entities import Entity

# The Marketo operators (MarketoConnectorOperator) that compare: ranges only.
RANGE = ("LESS_THAN", "GREATER_THAN", "BETWEEN")

TYPES = {
    "integer": "integer", "score": "integer",
    "float": "double", "currency": "double", "percent": "double",
    "boolean": "boolean", "date": "date", "datetime": "datetime",
}
# Lead fields whose value is the record's creation or last change time.
TIMESTAMPS = ("createdAt", "updatedAt")


def lead_field(entry: Mapping[str, Any]) -> Field | None:
    """One Describe Lead entry as a Field (None for fields the REST API does not expose)."""
    rest = entry.get("rest")
    if not isinstance(rest, Mapping) or not rest.get("name"):
        return None
    name = str(rest["name"])
    vendor_type = str(entry.get("dataType") or "string")
    kind = TYPES.get(vendor_type, "string")
    writable = not rest.get("readOnly", False)
    return Field(
        name, kind, label=str(entry.get("displayName") or name), primary_key=name == "id",
        nullable=name != "id", filters=RANGE if kind in ("integer", "double", "date", "datetime") else (),
        creatable=writable, updatable=writable, timestamp=name in TIMESTAMPS and kind == "datetime",
        vendor_type=vendor_type,
    )


def describe_leads(client: RestClient, entity: Entity) -> Sequence[Field]:
    """The subscription's lead fields."""
    body = client.get("/rest/v1/leads/describe.json")
    fields = [f for f in (lead_field(e) for e in body.get("result") or [] if isinstance(e, Mapping)) if f]
    if not any(f.name == "id" for f in fields):
        raise ConnectorError("ServerError", "Marketo's Describe Lead answer has no id field")
    return fields


ATTRIBUTE = Field("attribute", "struct", members=(Field("name"), Field("value", "json")))

ACTIVITY_FIELDS = (
    Field("marketoGUID", primary_key=True, nullable=False, label="Marketo GUID", filters=()),
    Field("id", "integer", label="Activity ID", filters=RANGE),
    Field("leadId", "integer", label="Lead ID", filters=RANGE),
    Field("activityDate", "datetime", label="Activity Date", filters=RANGE, timestamp=True),
    Field("activityTypeId", "integer", label="Activity Type ID", filters=RANGE),
    Field("campaignId", "integer", label="Campaign ID", filters=RANGE),
    Field("primaryAttributeValueId", "integer", label="Primary Attribute Value ID", filters=RANGE),
    Field("primaryAttributeValue", label="Primary Attribute Value", filters=()),
    Field("attributes", "array", label="Attributes", item=ATTRIBUTE, filters=()),
)

ASSET_TIME = "%Y-%m-%dT%H:%M:%SZ%z"

PROGRAM_FIELDS = (
    Field("id", "integer", primary_key=True, nullable=False, label="Program ID", filters=RANGE),
    Field("name", label="Name", filters=()),
    Field("description", label="Description", filters=()),
    Field("createdAt", "datetime", label="Created At", format=ASSET_TIME, filters=RANGE),
    Field("updatedAt", "datetime", label="Updated At", format=ASSET_TIME, filters=RANGE, timestamp=True),
    Field("url", label="URL", filters=()),
    Field("type", label="Program Type", filters=(),
          values=("Default", "Event", "Event with Webinar", "Engagement", "Email")),
    Field("channel", label="Channel", filters=()),
    Field("folder", "struct", label="Folder", filters=(), members=(
        Field("type"), Field("value", "integer"), Field("folderName"))),
    Field("status", label="Status", filters=()),
    Field("workspace", label="Workspace", filters=()),
    Field("headStart", "boolean", label="Head Start", filters=()),
    Field("sfdcId", label="Salesforce ID", filters=()),
    Field("sfdcName", label="Salesforce Name", filters=()),
    Field("costs", "json", label="Costs", filters=()),
)

CAMPAIGN_FIELDS = (
    Field("id", "integer", primary_key=True, nullable=False, label="Campaign ID", filters=RANGE),
    Field("name", label="Name", filters=()),
    Field("description", label="Description", filters=()),
    Field("type", label="Type", filters=(), values=("batch", "trigger")),
    Field("programName", label="Program Name", filters=()),
    Field("programId", "integer", label="Program ID", filters=RANGE),
    Field("workspaceName", label="Workspace Name", filters=()),
    Field("createdAt", "datetime", label="Created At", filters=RANGE),
    Field("updatedAt", "datetime", label="Updated At", filters=RANGE, timestamp=True),
    Field("active", "boolean", label="Active", filters=()),
)
