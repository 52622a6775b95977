"""An OData service's `$metadata` (EDMX) as Sluice entities and fields (connectors layer, SAP OData).

Reads V2 (`edmx:Edmx Version="1.0"`, `m:DataServiceVersion`) and V4 (`Version="4.0"`) documents
with the standard library's XML parser (a document declaring a DTD or entities is refused, so
nothing expands). Each `EntitySet` becomes one entity; its `EntityType`'s properties become
fields, typed as below; key properties are primary keys; navigation properties are not followed.
SAP's V2 annotations count: `sap:label` (the field's label), `sap:filterable="false"` (no
filter push-down), `sap:creatable` / `sap:updatable` (on the set: which writes it takes; on a
property: whether a write may set it), `sap:change-tracking="true"` (an ODP / delta-enabled set).

Types (odata/types.py): `Edm.String`, `Guid`, `Time`, `TimeOfDay`, `Duration`, `Binary` -> string; `Int16/32/64`,
`Byte`, `SByte` -> integer; `Double`, `Single` -> double; `Decimal` -> string (exact, as SAP sends
it in V2); `Boolean`; `DateTime`, `DateTimeOffset` -> datetime (UTC); `Date` -> date; a complex
type -> struct of its members; collections -> JSON text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from sluice.connectors.base import ConnectorError
from sluice.connectors.odata.types import STRING_FILTERS, kind_of
from sluice.connectors.rest.entities import ORDERED, Field

SAP = "{http://www.sap.com/Protocols/SAPData}"
# ODP extraction entity sets (SAP BW "ODP-Based Data Extraction via OData") carry these properties.
ODP_MARKERS = ("ODQ_CHANGEMODE", "ODQ_ENTITYCNTR")


@dataclass(frozen=True)
class EntitySet:
    """One entity set of a service: its type's fields and what it supports."""

    name: str
    type_name: str
    label: str
    keys: tuple[str, ...]
    fields: tuple[Field, ...]
    creatable: bool = True
    updatable: bool = True
    change_tracking: bool = False
    sortable_keys: bool = True

    @property
    def odp(self) -> bool:
        """True for an ODP extraction set (read-only in AppFlow)."""
        names = {f.name for f in self.fields}
        return self.change_tracking or all(marker in names for marker in ODP_MARKERS)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class Service:
    """A service's entity sets and its OData version ("2.0" or "4.0")."""

    version: str
    sets: dict[str, EntitySet] = field(default_factory=dict)

    @property
    def v4(self) -> bool:
        return self.version.startswith("4")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _flag(element: ET.Element, name: str, default: bool = True) -> bool:
    value = element.get(SAP + name)
    return default if value is None else value.lower() == "true"


def parse(document: bytes) -> Service:
    """The service a `$metadata` document describes; `ServerError` when it is not EDMX."""
    head = document[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in document.lower():
        raise ConnectorError("ServerError", "SAP's $metadata declares a DTD or entities, which Sluice does not read")
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        raise ConnectorError("ServerError", f"SAP's $metadata is not XML ({exc})") from None
    if _local(root.tag) != "Edmx":
        raise ConnectorError("ServerError", "SAP's $metadata is not an EDMX document")
    version = "4.0" if (root.get("Version") or "").startswith("4") else "2.0"
    for services in _children(root, "DataServices"):
        declared = next((v for k, v in services.attrib.items() if _local(k) == "DataServiceVersion"), None)
        if declared and declared.startswith("4"):
            version = "4.0"
    schemas = [s for services in _children(root, "DataServices") for s in _children(services, "Schema")]
    complex_types: dict[str, ET.Element] = {}
    entity_types: dict[str, ET.Element] = {}
    for schema in schemas:
        namespace = schema.get("Namespace") or ""
        alias = schema.get("Alias")
        for kind, table in (("ComplexType", complex_types), ("EntityType", entity_types)):
            for element in _children(schema, kind):
                for prefix in filter(None, (namespace, alias)):
                    table[f"{prefix}.{element.get('Name')}"] = element
    sets: dict[str, EntitySet] = {}
    for schema in schemas:
        for container in _children(schema, "EntityContainer"):
            for entity_set in _children(container, "EntitySet"):
                type_name = entity_set.get("EntityType") or ""
                entity_type = entity_types.get(type_name)
                name = entity_set.get("Name") or ""
                if entity_type is None or not name:
                    continue
                sets[name] = _entity_set(name, entity_set, entity_type, complex_types)
    return Service(version, sets)


def _entity_set(name: str, element: ET.Element, entity_type: ET.Element,
                complex_types: dict[str, ET.Element]) -> EntitySet:
    keys = tuple(ref.get("Name") or "" for key in _children(entity_type, "Key")
                 for ref in _children(key, "PropertyRef"))
    fields = tuple(_field(p, p.get("Name") in keys, complex_types, 0) for p in _children(entity_type, "Property"))
    sortable = all(_flag(p, "sortable") for p in _children(entity_type, "Property") if p.get("Name") in keys)
    return EntitySet(
        name=name, type_name=entity_type.get("Name") or "",
        label=element.get(SAP + "label") or entity_type.get(SAP + "label") or name, keys=keys, fields=fields,
        creatable=_flag(element, "creatable"), updatable=_flag(element, "updatable"),
        change_tracking=_flag(element, "change-tracking", False), sortable_keys=sortable)


def _field(prop: ET.Element, key: bool, complex_types: dict[str, ET.Element], depth: int) -> Field:
    name = prop.get("Name") or ""
    edm = prop.get("Type") or "Edm.String"
    label = prop.get(SAP + "label") or ""
    nullable = (prop.get("Nullable") or "true").lower() != "false" and not key
    creatable, updatable = _flag(prop, "creatable"), _flag(prop, "updatable")
    filterable = _flag(prop, "filterable")
    common = {"label": label, "primary_key": key, "nullable": nullable, "vendor_type": edm,
              "creatable": creatable, "updatable": updatable}
    if edm in complex_types and depth < 5:
        members = tuple(_field(p, False, complex_types, depth + 1) for p in _children(complex_types[edm], "Property"))
        return Field(name, "struct", members=members, filters=(), **common)  # type: ignore[arg-type]
    kind = kind_of(edm)
    if not filterable or kind == "json":
        filters: tuple[str, ...] | None = ()
    elif kind == "string":
        filters = STRING_FILTERS if edm == "Edm.String" else ORDERED
    else:
        filters = None  # the type's defaults
    return Field(name, kind, filters=filters, timestamp=kind == "datetime", **common)  # type: ignore[arg-type]
