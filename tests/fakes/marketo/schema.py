"""The fake subscription's lead schema and activity types, as Describe Lead / Describe Lead2 / Get Activity Types
answer them; plus Marketo's datetime formats.

Lead field data types are Marketo's own names (string, email, integer, float, currency, boolean, date, datetime,
text, phone, url, score, reference). Lead Database timestamps are ISO-8601 with `Z`; the Asset API writes its
odd `2015-05-21T22:45:13Z+0000` form (see the Programs page), which the fake copies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class LeadField:
    """One lead field: its REST name, label, Marketo data type, length, whether the API may write it."""

    id: int
    name: str
    display_name: str
    data_type: str
    length: int | None = None
    read_only: bool = False
    custom: bool = False


LEAD_FIELDS: tuple[LeadField, ...] = (
    LeadField(1, "id", "Id", "integer", read_only=True),
    LeadField(2, "email", "Email Address", "email", 255),
    LeadField(3, "firstName", "First Name", "string", 255),
    LeadField(4, "lastName", "Last Name", "string", 255),
    LeadField(5, "company", "Company Name", "string", 255),
    LeadField(6, "title", "Job Title", "string", 255),
    LeadField(7, "phone", "Phone Number", "phone", 255),
    LeadField(8, "country", "Country", "string", 255),
    LeadField(9, "city", "City", "string", 255),
    LeadField(10, "leadStatus", "Lead Status", "string", 255),
    LeadField(11, "leadScore", "Lead Score", "score"),
    LeadField(12, "annualRevenue", "Annual Revenue", "currency"),
    LeadField(13, "numberOfEmployees", "Num Employees", "integer"),
    LeadField(14, "dateOfBirth", "Date of Birth", "date"),
    LeadField(15, "unsubscribed", "Unsubscribed", "boolean"),
    LeadField(16, "website", "Website", "url", 255),
    LeadField(17, "leadSource", "Lead Source", "string", 255),
    LeadField(18, "createdAt", "Created At", "datetime", read_only=True),
    LeadField(19, "updatedAt", "Updated At", "datetime", read_only=True),
    LeadField(20, "cookies", "Cookies", "string", 255),
    # Custom fields (Admin > Field Management); camelCase names as Marketo generates them.
    LeadField(101, "customerTier", "Customer Tier", "string", 255, custom=True),
    LeadField(102, "productInterest", "Product Interest", "text", custom=True),
    LeadField(103, "accountNumber", "Account Number", "integer", custom=True),
    LeadField(104, "engagementRate", "Engagement Rate", "float", custom=True),
    LeadField(105, "lastWebinarAt", "Last Webinar At", "datetime", custom=True),
)

FIELDS_BY_NAME = {f.name: f for f in LEAD_FIELDS}

# Fields returned when a Get Leads call names none (Leads page, "Query").
DEFAULT_LEAD_FIELDS = ("id", "updatedAt", "lastName", "email", "createdAt", "firstName")

# Fields `filterType` accepts: the common standard keys plus the string/email/integer custom fields.
SEARCHABLE_FIELDS = ("id", "email", "cookies", "leadPartitionId", "customerTier", "accountNumber")


def describe() -> list[dict]:
    """Describe Lead's result: one entry per field with `rest` (and `soap`) name and readOnly."""
    out = []
    for f in LEAD_FIELDS:
        entry: dict = {"id": f.id, "displayName": f.display_name, "dataType": f.data_type}
        if f.length is not None:
            entry["length"] = f.length
        entry["rest"] = {"name": f.name, "readOnly": f.read_only}
        entry["soap"] = {"name": f.name[:1].upper() + f.name[1:], "readOnly": f.read_only}
        out.append(entry)
    return out


def describe2() -> list[dict]:
    """Describe Lead2's result: searchable field keys and the field list with `updateable`."""
    fields = []
    for f in LEAD_FIELDS:
        entry: dict = {"name": f.name, "displayName": f.display_name, "dataType": f.data_type,
                       "updateable": not f.read_only, "crmManaged": False}
        if f.length is not None:
            entry["length"] = f.length
        fields.append(entry)
    return [{"name": "API Lead", "searchableFields": [[name] for name in SEARCHABLE_FIELDS], "fields": fields}]


@dataclass(frozen=True)
class ActivityType:
    """An activity type: id, name, primary attribute and secondary attributes (name, dataType)."""

    id: int
    name: str
    description: str
    primary: tuple[str, str] | None
    attributes: tuple[tuple[str, str], ...]

    def as_json(self) -> dict:
        out: dict = {"id": self.id, "name": self.name, "description": self.description}
        if self.primary:
            out["primaryAttribute"] = {"name": self.primary[0], "dataType": self.primary[1]}
        out["attributes"] = [{"name": n, "dataType": t} for n, t in self.attributes]
        return out


NEW_LEAD, CHANGE_DATA_VALUE, DELETE_LEAD = 12, 13, 37

ACTIVITY_TYPES: tuple[ActivityType, ...] = (
    ActivityType(1, "Visit Webpage", "User visits a web page", ("Webpage ID", "integer"),
                 (("Client IP Address", "string"), ("Query Parameters", "string"), ("Referrer URL", "string"),
                  ("User Agent", "string"), ("Webpage URL", "string"))),
    ActivityType(2, "Fill Out Form", "User fills out and submits form on web page", ("Webform ID", "integer"),
                 (("Client IP Address", "string"), ("Form Fields", "text"), ("Webpage ID", "integer"))),
    ActivityType(6, "Send Email", "Send Marketo Email to a person", ("Mailing ID", "integer"),
                 (("Campaign Run ID", "integer"), ("Step ID", "integer"))),
    ActivityType(10, "Open Email", "User opens Marketo Email", ("Mailing ID", "integer"),
                 (("Device", "string"), ("Is Mobile Device", "boolean"), ("Platform", "string"))),
    ActivityType(NEW_LEAD, "New Lead", "New person", None,
                 (("Source Type", "string"), ("Form Name", "string"), ("API Method Name", "string"))),
    ActivityType(CHANGE_DATA_VALUE, "Change Data Value", "Changed attribute value for a person",
                 ("Attribute Name", "integer"),
                 (("New Value", "string"), ("Old Value", "string"), ("Reason", "string"), ("Source", "string"))),
    ActivityType(DELETE_LEAD, "Delete Lead", "Delete person", None, (("Remove from CRM", "boolean"),)),
)

ACTIVITY_TYPES_BY_ID = {t.id: t for t in ACTIVITY_TYPES}


def iso(moment: dt.datetime) -> str:
    """Lead Database datetime: `2024-01-16T23:32:19Z`."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def asset_iso(moment: dt.datetime) -> str:
    """Asset API datetime as the Programs page shows it: `2015-05-21T22:45:13Z+0000`."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ+0000")


def parse_datetime(text: str) -> dt.datetime:
    """An ISO-8601 datetime as Marketo accepts it (`Z`, `+hh:mm`, `+hhmm`, or a bare date); raises ValueError."""
    value = text.strip().replace(" ", "+")  # a `+` that arrived unencoded in a query string reads as a space
    if value.endswith("Z+0000"):
        value = value[:-5]
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed
