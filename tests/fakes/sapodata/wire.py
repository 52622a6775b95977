"""What the fake SAP service writes on the wire: $metadata (EDMX) and entries in JSON.

* `$metadata` is an EDMX document: V2 (`edmx:Edmx Version="1.0"`, `m:DataServiceVersion="2.0"`)
  with SAP's annotations (`sap:label`, `sap:filterable`, `sap:creatable`, `sap:updatable`,
  `sap:change-tracking`), or V4 (`edmx:Edmx Version="4.0"`), as SAP Gateway writes them
  (https://help.sap.com/docs/SAP_NETWEAVER_750/68bf513362174d54b58cddec28794093/fbcd3a59a94148f6adad80b9c97304ff.html
  describes the SAP annotations).
* V2 JSON ("verbose" format, https://www.odata.org/documentation/odata-version-2-0/json-format/):
  `{"d": {"results": [...], "__count": "N", "__next": url}}`, each entry with `__metadata`
  (`id`, `uri`, `type`), `Edm.DateTime` as `"/Date(<ms>)/"`, `Edm.DateTimeOffset` as
  `"/Date(<ms>+0000)/"`, `Edm.Decimal` and `Edm.Int64` as strings, navigation properties as
  `{"__deferred": {"uri": ...}}`, complex values with their own `__metadata.type`.
* V4 JSON (https://docs.oasis-open.org/odata/odata-json-format/v4.01/): `{"@odata.context", "value":
  [...], "@odata.count", "@odata.nextLink"}`; instants ISO 8601, `Edm.Date` `YYYY-MM-DD`, decimals
  as numbers.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import quoteattr

from .model import EntitySet, Service

_SAP = 'xmlns:sap="http://www.sap.com/Protocols/SAPData"'


def _facets(prop: Any, v4: bool) -> str:
    parts = [f'Name="{prop.name}"', f'Type="{prop.type}"', f'Nullable="{str(prop.nullable).lower()}"']
    if prop.max_length:
        parts.append(f'MaxLength="{prop.max_length}"')
    if prop.precision is not None:
        parts.append(f'Precision="{prop.precision}"')
    if prop.scale is not None:
        parts.append(f'Scale="{prop.scale}"')
    if not v4:
        if prop.label:
            parts.append(f"sap:label={quoteattr(prop.label)}")
        if not prop.filterable:
            parts.append('sap:filterable="false"')
        if not prop.creatable:
            parts.append('sap:creatable="false"')
        if not prop.updatable:
            parts.append('sap:updatable="false"')
    return "<Property " + " ".join(parts) + "/>"


def metadata(service: Service) -> str:
    """The service's `$metadata` document."""
    if service.v4:
        return _metadata_v4(service)
    ns = service.namespace
    types = []
    for entity in service.sets.values():
        keys = "".join(f'<PropertyRef Name="{k}"/>' for k in entity.keys)
        props = "".join(_facets(p, False) for p in entity.props)
        navs = "".join(f'<NavigationProperty Name="{n}" Relationship="{ns}.Assoc_{entity.type_name}_{n}" '
                       f'FromRole="From{entity.type_name}" ToRole="To{n}"/>' for n in entity.navigation)
        label = f" sap:label={quoteattr(entity.label)}" if entity.label else ""
        types.append(f'<EntityType Name="{entity.type_name}" sap:content-version="1"{label}><Key>{keys}</Key>'
                     f"{props}{navs}</EntityType>")
    associations, association_sets = _associations(service)
    types += associations
    for complex_type in service.complex_types:
        props = "".join(_facets(p, False) for p in complex_type.props)
        types.append(f'<ComplexType Name="{complex_type.name}">{props}</ComplexType>')
    sets = []
    for entity in service.sets.values():
        flags = (f' sap:creatable="{str(entity.creatable).lower()}" sap:updatable="{str(entity.updatable).lower()}"'
                 f' sap:deletable="false" sap:pageable="true" sap:content-version="1"')
        if entity.change_tracking:
            flags += ' sap:change-tracking="true"'
        sets.append(f'<EntitySet Name="{entity.name}" EntityType="{ns}.{entity.type_name}"{flags}/>')
    sets += association_sets
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" '
            'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" ' + _SAP + '>'
            '<edmx:DataServices m:DataServiceVersion="2.0">'
            f'<Schema Namespace="{ns}" xml:lang="en" sap:schema-version="1" '
            'xmlns="http://schemas.microsoft.com/ado/2008/09/edm">'
            + "".join(types)
            + f'<EntityContainer Name="{ns}_Entities" m:IsDefaultEntityContainer="true" '
            'sap:supported-formats="atom json xlsx">'
            + "".join(sets) + "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>")


# Navigation property -> (target entity set) of the V2 services; each is declared as an association
# of its own (SAP Gateway names them Assoc_<Type>_<Property>) with an association set.
NAVIGATION_TARGETS = {"ToItems": "SalesOrderItemSet"}


def _associations(service: Service) -> tuple[list[str], list[str]]:
    ns = service.namespace
    associations, association_sets = [], []
    for entity in service.sets.values():
        for nav in entity.navigation:
            target = service.sets[NAVIGATION_TARGETS[nav]]
            name = f"Assoc_{entity.type_name}_{nav}"
            associations.append(
                f'<Association Name="{name}" sap:content-version="1">'
                f'<End Type="{ns}.{entity.type_name}" Multiplicity="1" Role="From{entity.type_name}"/>'
                f'<End Type="{ns}.{target.type_name}" Multiplicity="*" Role="To{nav}"/></Association>')
            association_sets.append(
                f'<AssociationSet Name="{name}_Set" Association="{ns}.{name}" sap:creatable="false" '
                f'sap:updatable="false" sap:deletable="false" sap:content-version="1">'
                f'<End EntitySet="{entity.name}" Role="From{entity.type_name}"/>'
                f'<End EntitySet="{target.name}" Role="To{nav}"/></AssociationSet>')
    return associations, association_sets


def _metadata_v4(service: Service) -> str:
    ns = service.namespace
    types, sets = [], []
    for entity in service.sets.values():
        keys = "".join(f'<PropertyRef Name="{k}"/>' for k in entity.keys)
        props = "".join(_facets(p, True) for p in entity.props)
        types.append(f'<EntityType Name="{entity.type_name}"><Key>{keys}</Key>{props}</EntityType>')
        sets.append(f'<EntitySet Name="{entity.name}" EntityType="{ns}.{entity.type_name}"/>')
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">'
            '<edmx:DataServices>'
            f'<Schema Namespace="{ns}" xmlns="http://docs.oasis-open.org/odata/ns/edm">'
            + "".join(types) + '<EntityContainer Name="Container">' + "".join(sets)
            + "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>")


def key_predicate(entity: EntitySet, key: tuple[Any, ...]) -> str:
    """`('0500000001')` or `(DocumentID='..',ItemNumber='..')`."""
    def text(value: Any) -> str:
        return "'" + str(value).replace("'", "''") + "'" if isinstance(value, str) else str(value)
    if len(key) == 1:
        return f"({text(key[0])})"
    return "(" + ",".join(f"{k}={text(v)}" for k, v in zip(entity.keys, key, strict=True)) + ")"


def _v2_value(edm: str, value: Any, service: Service) -> Any:
    if value is None:
        return None
    if edm == "Edm.DateTime":
        return f"/Date({value})/"
    if edm == "Edm.DateTimeOffset":
        return f"/Date({value}+0000)/"
    if edm in ("Edm.Int64", "Edm.Decimal"):
        return str(value)
    if edm.startswith(service.namespace + "."):
        complex_type = next(c for c in service.complex_types if f"{service.namespace}.{c.name}" == edm)
        out: dict[str, Any] = {"__metadata": {"type": edm}}
        for prop in complex_type.props:
            out[prop.name] = _v2_value(prop.type, value.get(prop.name), service)
        return out
    return value


def v2_entry(base: str, service: Service, entity: EntitySet, record: dict[str, Any],
             select: list[str] | None = None) -> dict[str, Any]:
    """One V2 entry (verbose JSON) with `__metadata`."""
    uri = f"{base}{service.path}/{entity.name}{key_predicate(entity, entity.key(record))}"
    out: dict[str, Any] = {"__metadata": {"id": uri, "uri": uri, "type": f"{service.namespace}.{entity.type_name}"}}
    for prop in entity.props:
        if select is None or prop.name in select:
            out[prop.name] = _v2_value(prop.type, record.get(prop.name), service)
    for nav in entity.navigation:
        if select is None or nav in select:
            out[nav] = {"__deferred": {"uri": f"{uri}/{nav}"}}
    return out


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def v4_entry(entity: EntitySet, record: dict[str, Any], select: list[str] | None = None) -> dict[str, Any]:
    """One V4 entity in JSON (minimal metadata)."""
    out: dict[str, Any] = {}
    for prop in entity.props:
        if select is not None and prop.name not in select:
            continue
        value = record.get(prop.name)
        if value is not None:
            if prop.type == "Edm.DateTimeOffset":
                value = _iso(value)
            elif prop.type == "Edm.Date":
                value = _iso(value)[:10]
            elif prop.type == "Edm.Decimal":
                value = float(value)
        out[prop.name] = value
    return out


_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")


def incoming(entity: EntitySet, body: dict[str, Any]) -> dict[str, Any]:
    """A written entry's values in the service's own form (instants to epoch ms); `ValueError` when a
    value does not fit its property's type."""
    values: dict[str, Any] = {}
    for name, value in body.items():
        if name == "__metadata":
            continue
        prop = entity.prop(name)
        if prop is None:
            if name in entity.navigation:
                continue
            raise ValueError(f"Property '{name}' is invalid")
        if value is None:
            values[name] = None
        elif prop.type in ("Edm.DateTime", "Edm.DateTimeOffset"):
            match = _DATE.match(str(value))
            if match:
                values[name] = int(match.group(1))
            else:
                from .query import parse_instant

                values[name] = parse_instant(str(value))
        elif prop.type in ("Edm.Int32", "Edm.Int16", "Edm.Byte"):
            values[name] = int(value)
        elif prop.type == "Edm.Double":
            values[name] = float(value)
        elif prop.type == "Edm.Boolean":
            if not isinstance(value, bool):
                raise ValueError(f"Property '{name}' has invalid value '{value}'")
            values[name] = value
        elif prop.type == "Edm.Decimal":
            from decimal import Decimal

            values[name] = str(Decimal(str(value)))
        else:
            if isinstance(value, dict):
                values[name] = {k: v for k, v in value.items() if k != "__metadata"}
            else:
                text = str(value)
                if prop.max_length and len(text) > prop.max_length:
                    raise ValueError(f"Value '{text[:20]}...' is too long for property '{name}' "
                                     f"(maximum length {prop.max_length})")
                values[name] = text
    return values
