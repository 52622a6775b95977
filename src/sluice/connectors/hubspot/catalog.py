"""HubSpot's objects as entities, and their fields from the properties API (connectors layer, HubSpot).

Entity names are AppFlow's (the user guide's HubSpot page lists Company, Contact, Deal, Ticket,
Product, Call, Email, Meeting, Note, Postal Mail, Task and Owner; cdk-appflow's stacks write
`company` and `association_label/ticket/contact`):

* CRM objects - `company`, `contact`, `deal`, `ticket`, `product`, `line_item` and the engagements
  `call`, `email`, `meeting`, `note`, `task`, `postal_mail`: CRM v3 objects
  (`/crm/v3/objects/{objectType}`), readable and writable; their fields are `id`, every property
  `GET /crm/v3/properties/{objectType}` answers (https://developers.hubspot.com/docs/api-reference/
  legacy/crm/properties/guide), then `createdAt`, `updatedAt`, `archived`;
* `owner` - `GET /crm/v3/owners/` (read only);
* `association_label/<from>/<to>` - the v4 association labels between two CRM objects
  (`GET /crm/v4/associations/{from}/{to}/labels`); `association_label` is their folder.

Property types become the layer's: string, enumeration and phone_number -> string, number -> double,
date -> date, datetime -> datetime (an instant), bool -> boolean; `readOnlyValue` properties are
neither creatable nor updatable. Datetime properties are the incremental fields (contacts keep
their change time in `lastmodifieddate`, the others in `hs_lastmodifieddate`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import ORDERED, Entity, Field
from sluice.connectors.rest.paging import Cursor

# entity name -> (HubSpot object type, label)
OBJECTS: dict[str, tuple[str, str]] = {
    "company": ("companies", "Company"), "contact": ("contacts", "Contact"), "deal": ("deals", "Deal"),
    "ticket": ("tickets", "Ticket"), "product": ("products", "Product"), "line_item": ("line_items", "Line Item"),
    "call": ("calls", "Call"), "email": ("emails", "Email"), "meeting": ("meetings", "Meeting"),
    "note": ("notes", "Note"), "task": ("tasks", "Task"), "postal_mail": ("postal_mail", "Postal Mail"),
}
ASSOCIATIONS = "association_label"
# Objects offered as association label pairs in ListConnectorEntities (any CRM object pair can be read).
PAIRED = ("company", "contact", "deal", "ticket", "product", "line_item")
TYPES = {"string": "string", "enumeration": "string", "phone_number": "string", "number": "double",
         "date": "date", "datetime": "datetime", "bool": "boolean"}
FILTERS: Mapping[str, tuple[str, ...]] = {
    "string": ("EQUAL_TO", "NOT_EQUAL_TO", "CONTAINS"), "double": ORDERED, "date": ORDERED, "datetime": ORDERED,
    "boolean": ("EQUAL_TO", "NOT_EQUAL_TO"),
}
WRITES = ("INSERT", "UPDATE", "UPSERT")
RECORD_FIELDS = ("id", "createdAt", "updatedAt", "archived")


def modified_property(object_type: str) -> str:
    """The property holding a record's last change time."""
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


def object_type(entity: Entity) -> str:
    """The HubSpot object type a CRM entity reads."""
    return OBJECTS[entity.name][0]


def property_field(item: Mapping[str, Any]) -> Field:
    """One property definition as a field (its value sits at `properties.<name>` in a record)."""
    name = str(item["name"])
    vendor = str(item.get("type") or "string")
    kind = TYPES.get(vendor, "string")
    meta = item.get("modificationMetadata") or {}
    writable = not (isinstance(meta, Mapping) and meta.get("readOnlyValue"))
    options = tuple(str(o["value"]) for o in item.get("options") or [] if isinstance(o, Mapping) and "value" in o)
    return Field(name, kind, label=str(item.get("label") or name), description=str(item.get("description") or ""),
                 path=f"properties.{name}", filters=FILTERS.get(kind, ()), vendor_type=vendor,
                 values=options if vendor == "enumeration" else (), creatable=writable, updatable=writable,
                 timestamp=kind == "datetime", primary_key=False)


# Fields read once per client: a run describes its object, then its reader needs the same fields.
_DESCRIBED: WeakKeyDictionary[RestClient, dict[str, list[Field]]] = WeakKeyDictionary()


def describe_object(client: RestClient, entity: Entity) -> list[Field]:
    """The fields of a CRM entity (`object_fields`)."""
    return object_fields(client, object_type(entity))


def object_fields(client: RestClient, kind: str) -> list[Field]:
    """`id`, the object's properties (HubSpot's order), then the record's own times and archived flag."""
    known = _DESCRIBED.setdefault(client, {})
    if kind not in known:
        known[kind] = _read_fields(client, kind)
    return list(known[kind])


def _read_fields(client: RestClient, kind: str) -> list[Field]:
    body = client.json(Request("GET", f"/crm/v3/properties/{kind}", {"archived": "false"}))
    items = [i for i in (body or {}).get("results") or [] if isinstance(i, Mapping) and i.get("name")]
    fields = [Field("id", "string", label="Record ID", primary_key=True, nullable=False, filters=("EQUAL_TO",),
                    description="The record's HubSpot id")]
    fields += [property_field(i) for i in items if str(i["name"]) not in RECORD_FIELDS]
    # The record's own times are searched as `createdate` and the last-modified property (search.py).
    fields += [Field("createdAt", "datetime", label="Created At", filters=ORDERED, timestamp=True),
               Field("updatedAt", "datetime", label="Updated At", filters=ORDERED, timestamp=True),
               Field("archived", "boolean", label="Archived", filters=())]
    return fields


OWNER_FIELDS = (
    Field("id", "string", label="Id", primary_key=True, nullable=False, filters=()),
    Field("email", label="Email", filters=()), Field("firstName", label="Firstname", filters=()),
    Field("lastName", label="Lastname", filters=()), Field("userId", "integer", label="User Id", filters=()),
    Field("createdAt", "datetime", label="Created At", filters=()),
    Field("updatedAt", "datetime", label="Updated At", filters=()),
    Field("archived", "boolean", label="Archived", filters=()),
    Field("teams", "array", label="Teams", filters=(), item=Field("team", "struct", members=(
        Field("id"), Field("name"), Field("primary", "boolean")))),
)
LABEL_FIELDS = (
    Field("category", label="Category", filters=(), description="HUBSPOT_DEFINED or USER_DEFINED"),
    Field("typeId", "integer", label="Type Id", primary_key=True, nullable=False, filters=()),
    Field("label", label="Label", filters=()),
)
PAGED = Cursor("paging.next.after", param="after", size_param="limit", size=100)


def owner() -> Entity:
    """The owners of the account."""
    return Entity("owner", label="Owner", description="Users who can own HubSpot records", path="/crm/v3/owners/",
                  records="results", paginator=PAGED, fields=OWNER_FIELDS)


def association_label(source: str, target: str) -> Entity:
    """The association labels from one CRM object to another (v4)."""
    return Entity(f"{ASSOCIATIONS}/{source}/{target}", label=f"{OBJECTS[source][1]} to {OBJECTS[target][1]} labels",
                  description=f"Association labels from {OBJECTS[source][0]} to {OBJECTS[target][0]}",
                  path=f"/crm/v4/associations/{OBJECTS[source][0]}/{OBJECTS[target][0]}/labels", records="results",
                  fields=LABEL_FIELDS)


@dataclass(frozen=True)
class Catalog:
    """HubSpot's entities; `read` is the CRM objects' reader (search.read_objects)."""

    read: Any

    def crm(self, name: str) -> Entity:
        """The entity of a CRM object."""
        kind, label = OBJECTS[name]
        return Entity(name, label=label, description=f"HubSpot CRM {kind}", path=f"/crm/v3/objects/{kind}",
                      describe=describe_object, read=self.read, writes=WRITES)

    def entities(self, client: RestClient, parent: str | None) -> list[Entity]:
        if parent == ASSOCIATIONS:
            return [association_label(a, b) for a in PAIRED for b in PAIRED if a != b]
        if parent:
            return []
        return [*(self.crm(name) for name in OBJECTS), owner(),
                Entity(ASSOCIATIONS, label="Association Label", has_children=True, readable=False,
                       description="Association labels between CRM objects (API v4)")]

    def entity(self, client: RestClient, name: str) -> Entity:
        if name in OBJECTS:
            return self.crm(name)
        if name == "owner":
            return owner()
        if name == ASSOCIATIONS:
            return Entity(ASSOCIATIONS, label="Association Label", has_children=True, readable=False)
        parts = name.split("/")
        if len(parts) == 3 and parts[0] == ASSOCIATIONS and parts[1] in OBJECTS and parts[2] in OBJECTS:
            return association_label(parts[1], parts[2])
        raise ConnectorError("ResourceNotFound", f"HubSpot has no object {name!r} (objects: {', '.join(OBJECTS)}, "
                             f"owner, {ASSOCIATIONS}/<from>/<to>)")
