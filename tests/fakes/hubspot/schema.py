"""The fake's property definitions per CRM object type, as `GET /crm/v3/properties/{objectType}` answers them.

https://developers.hubspot.com/docs/api-reference/legacy/crm/properties/guide - each property has a
`name`, `label`, `type` (string, number, date, datetime, enumeration, bool, phone_number) and
`fieldType`, `groupName`, `options` for enumerations, `hasUniqueValue`, and `modificationMetadata`
(`readOnlyValue` marks values HubSpot sets itself, such as `createdate` and `hs_object_id`).
Contacts keep their change time in `lastmodifieddate`, every other object in `hs_lastmodifieddate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FIELD_TYPES = {"string": "text", "number": "number", "date": "date", "datetime": "date",
               "enumeration": "select", "bool": "booleancheckbox", "phone_number": "phonenumber"}


@dataclass(frozen=True)
class Prop:
    """One property definition."""

    name: str
    type: str = "string"
    label: str = ""
    options: tuple[str, ...] = ()
    read_only: bool = False
    unique: bool = False

    def shape(self, object_type: str, order: int) -> dict[str, Any]:
        """The property as the properties API answers it."""
        return {
            "name": self.name, "label": self.label or self.name.replace("_", " ").title(),
            "type": self.type, "fieldType": FIELD_TYPES.get(self.type, "text"),
            "description": f"The {object_type} record's {self.label or self.name}",
            "groupName": f"{object_type.rstrip('s')}information", "displayOrder": order,
            "options": [{"label": o.replace("_", " ").title(), "value": o, "displayOrder": i, "hidden": False}
                        for i, o in enumerate(self.options)],
            "calculated": False, "externalOptions": False, "hasUniqueValue": self.unique, "hidden": False,
            "hubspotDefined": True, "formField": not self.read_only, "archived": False,
            "createdAt": "2019-08-06T02:41:52.000Z", "updatedAt": "2023-03-01T10:00:00.000Z",
            "modificationMetadata": {"archivable": not self.read_only, "readOnlyDefinition": True,
                                     "readOnlyValue": self.read_only},
        }


def _common(modified: str) -> tuple[Prop, ...]:
    return (Prop("createdate", "datetime", "Create Date", read_only=True),
            Prop(modified, "datetime", "Last Modified Date", read_only=True),
            Prop("hs_object_id", "number", "Record ID", read_only=True, unique=True))


LIFECYCLE = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
SCHEMAS: dict[str, tuple[Prop, ...]] = {
    "contacts": (
        Prop("email", label="Email", unique=True), Prop("firstname", label="First Name"),
        Prop("lastname", label="Last Name"), Prop("phone", "phone_number", "Phone Number"),
        Prop("company", label="Company Name"), Prop("city", label="City"),
        Prop("lifecyclestage", "enumeration", "Lifecycle Stage", LIFECYCLE),
        Prop("hs_email_optout", "bool", "Unsubscribed from all email"),
        Prop("date_of_birth", "date", "Date of birth"), Prop("num_notes", "number", "Number of Sales Activities"),
        Prop("notes_last_contacted", "datetime", "Last Contacted", read_only=True),
        *_common("lastmodifieddate"),
    ),
    "companies": (
        Prop("name", label="Name"), Prop("domain", label="Company Domain Name"), Prop("city", label="City"),
        Prop("country", label="Country/Region"),
        Prop("industry", "enumeration", "Industry", ("COMPUTER_SOFTWARE", "RETAIL", "BANKING", "BIOTECHNOLOGY")),
        Prop("numberofemployees", "number", "Number of Employees"), Prop("annualrevenue", "number", "Annual Revenue"),
        Prop("is_public", "bool", "Is Public"), Prop("description", label="Description"),
        *_common("hs_lastmodifieddate"),
    ),
    "deals": (
        Prop("dealname", label="Deal Name"), Prop("amount", "number", "Amount"),
        Prop("dealstage", "enumeration", "Deal Stage", ("appointmentscheduled", "qualifiedtobuy", "closedwon",
                                                         "closedlost")),
        Prop("pipeline", "enumeration", "Pipeline", ("default",)), Prop("closedate", "datetime", "Close Date"),
        *_common("hs_lastmodifieddate"),
    ),
    "tickets": (
        Prop("subject", label="Ticket name"), Prop("content", label="Ticket description"),
        Prop("hs_pipeline", "enumeration", "Pipeline", ("0",)),
        Prop("hs_pipeline_stage", "enumeration", "Ticket status", ("1", "2", "3", "4")),
        Prop("hs_ticket_priority", "enumeration", "Priority", ("LOW", "MEDIUM", "HIGH")),
        *_common("hs_lastmodifieddate"),
    ),
    "products": (
        Prop("name", label="Name"), Prop("price", "number", "Unit price"), Prop("hs_sku", label="SKU"),
        Prop("description", label="Description"),
        Prop("recurringbillingfrequency", "enumeration", "Billing frequency", ("monthly", "annually")),
        *_common("hs_lastmodifieddate"),
    ),
    "line_items": (
        Prop("name", label="Name"), Prop("quantity", "number", "Quantity"), Prop("price", "number", "Unit price"),
        Prop("amount", "number", "Net price", read_only=True), Prop("hs_product_id", "number", "Product ID"),
        *_common("hs_lastmodifieddate"),
    ),
}
# What a read without `properties` returns (HubSpot's defaults per object).
DEFAULTS = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id",
              "pipeline"),
    "tickets": ("content", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_pipeline", "hs_pipeline_stage",
                "hs_ticket_priority", "subject"),
    "products": ("createdate", "description", "hs_lastmodifieddate", "hs_object_id", "name", "price"),
    "line_items": ("amount", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_product_id", "name", "price",
                   "quantity"),
}
# Object type names HubSpot accepts for the same object (plural name, singular name, type id).
ALIASES = {"contact": "contacts", "0-1": "contacts", "company": "companies", "0-2": "companies",
           "deal": "deals", "0-3": "deals", "ticket": "tickets", "0-5": "tickets", "product": "products",
           "0-7": "products", "line_item": "line_items", "0-8": "line_items"}


def object_type(name: str) -> str | None:
    """The canonical object type for a path segment, or None when the fake has no such object."""
    lowered = name.lower()
    lowered = ALIASES.get(lowered, lowered)
    return lowered if lowered in SCHEMAS else None


def modified_property(kind: str) -> str:
    """The property holding a record's last change time."""
    return "lastmodifieddate" if kind == "contacts" else "hs_lastmodifieddate"


def definitions(kind: str) -> dict[str, Prop]:
    """The object's properties by name."""
    return {p.name: p for p in SCHEMAS[kind]}
