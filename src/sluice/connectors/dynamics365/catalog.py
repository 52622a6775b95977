"""The tables of a Dynamics 365 environment and their columns (connectors layer, Microsoft Dynamics 365).

Read from Dataverse's table definitions with the Web API
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api):

* `ListConnectorEntities`: `GET EntityDefinitions?$select=LogicalName,EntitySetName,DisplayName,
  Description,IsPrivate` - each public table with an entity set is one entity, named by its
  entity set (`accounts`, what a flow's `entityName` holds and what the data URL takes), labelled
  by its display name in the user's language;
* `DescribeConnectorEntity` and runs: the table by `$filter=EntitySetName eq '<name>'`, then
  `GET EntityDefinitions(LogicalName='<table>')/Attributes?$select=...` - each readable column
  (`IsValidForRead`, not a helper column of another: `AttributeOf` null) is one field.

Column types (`AttributeType`, https://learn.microsoft.com/dotnet/api/microsoft.xrm.sdk.metadata.attributetypecode)
as the Web API's EDM types, which the shared OData filter code writes literals for:
String/Memo/EntityName -> Edm.String; Integer/Picklist/State/Status -> Edm.Int32; BigInt ->
Edm.Int64; Decimal/Money -> Edm.Decimal (read as doubles: V4 JSON numbers); Double -> Edm.Double;
Boolean -> Edm.Boolean; DateTime -> Edm.DateTimeOffset; Uniqueidentifier -> Edm.Guid; and
Lookup/Customer/Owner -> Edm.Guid under the Web API's column name `_<name>_value`
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/web-api-properties#lookup-properties).
Virtual, party-list and calendar-rule columns have no value in a query and are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.odata import filters
from sluice.connectors.odata.paging import NextLink
from sluice.connectors.odata.types import kind_of
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Entity, Field, Query
from sluice.connectors.rest.splits import TimeSlices
from sluice.literals import parse_micros

VENDOR = "Microsoft Dynamics 365"
PAGE_SIZE = 5000  # Dataverse's most per page (and its default)
TABLE_SELECT = "LogicalName,EntitySetName,DisplayName,Description,IsPrivate,PrimaryIdAttribute"
COLUMN_SELECT = ("LogicalName,AttributeType,DisplayName,Description,IsPrimaryId,IsValidForRead,"
                 "IsValidForCreate,IsValidForUpdate,AttributeOf")
EDM_OF = {
    "String": "Edm.String", "Memo": "Edm.String", "EntityName": "Edm.String", "Integer": "Edm.Int32",
    "Picklist": "Edm.Int32", "State": "Edm.Int32", "Status": "Edm.Int32", "BigInt": "Edm.Int64",
    "Decimal": "Edm.Decimal", "Money": "Edm.Decimal", "Double": "Edm.Double", "Boolean": "Edm.Boolean",
    "DateTime": "Edm.DateTimeOffset", "Uniqueidentifier": "Edm.Guid", "Lookup": "Edm.Guid",
    "Customer": "Edm.Guid", "Owner": "Edm.Guid",
}
LOOKUPS = ("Lookup", "Customer", "Owner")
# The data types and Filter operators AWS documents for its Dynamics 365 connector's dynamic entities
# (https://docs.aws.amazon.com/glue/latest/dg/microsoft-dynamics-365-reading-from-entities.html: String
# =, !=; numbers =, <, <=, >, >=; DateTime those and BETWEEN). GUIDs and lookups are String there;
# booleans, which the table leaves out, take = and != as text does.
FIELD_TYPES = {"Edm.String": "String", "Edm.Guid": "String", "Edm.Int32": "Integer", "Edm.Int64": "Long",
               "Edm.Decimal": "Decimal", "Edm.Double": "Double", "Edm.Boolean": "Boolean",
               "Edm.DateTimeOffset": "DateTime"}
_EQUALITY = ("EQUAL_TO", "NOT_EQUAL_TO")
_NUMERIC = ("EQUAL_TO", "LESS_THAN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO")
OPERATORS = {"String": _EQUALITY, "Boolean": _EQUALITY, "Integer": _NUMERIC, "Long": _NUMERIC, "Decimal": _NUMERIC,
             "Double": _NUMERIC, "DateTime": (*_NUMERIC, "BETWEEN")}
# The change time AppFlow's incremental pulls use on every Dataverse table.
MODIFIED_ON = "modifiedon"
CREATED_ON = "createdon"


def earliest(client: RestClient, query: Query, request: Request) -> float | None:
    """The earliest `createdon` among the read's rows (epoch seconds), None when there are none."""
    params = {k: v for k, v in request.params.items() if k == "$filter"}
    probe = Request("GET", request.path, {**params, "$select": CREATED_ON, "$orderby": f"{CREATED_ON} asc",
                                          "$top": 1})
    rows = _values(client.json(probe))
    micros = parse_micros(str(rows[0].get(CREATED_ON) or "")) if rows else None
    return None if micros is None else micros / 1_000_000


# Parallel reads: a row's `createdon` never changes and Dataverse filters it with `gt` / `le`, so a read
# is cut into time slices, each its own query with its own next links (Dataverse has no `$skip`). At most
# 8 at once: Dataverse's service protection limits count concurrent requests per user.
SLICES = TimeSlices(CREATED_ON, step_us=1_000_000, max_splits=8, earliest=earliest)


def label(value: Any) -> str:
    """The user's text of a Dataverse `Label` (`UserLocalizedLabel`, else the first localized one)."""
    if not isinstance(value, Mapping):
        return ""
    user = value.get("UserLocalizedLabel")
    if isinstance(user, Mapping) and user.get("Label"):
        return str(user["Label"])
    labels = value.get("LocalizedLabels")
    if isinstance(labels, list) and labels and isinstance(labels[0], Mapping):
        return str(labels[0].get("Label") or "")
    return ""


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def column(attribute: Mapping[str, Any]) -> Field | None:
    """One column definition as a field; None for columns a query cannot read."""
    kind = str(attribute.get("AttributeType") or "")
    edm = EDM_OF.get(kind)
    name = str(attribute.get("LogicalName") or "")
    if edm is None or not name or attribute.get("AttributeOf") or attribute.get("IsValidForRead") is False:
        return None
    if kind in LOOKUPS:
        name = f"_{name}_value"
    field_type = kind_of(edm, exact_decimals=False)
    primary = bool(attribute.get("IsPrimaryId"))
    return Field(name, field_type, label=label(attribute.get("DisplayName")) or name,
                 description=label(attribute.get("Description")), primary_key=primary, nullable=not primary,
                 filters=OPERATORS[FIELD_TYPES[edm]], timestamp=field_type == "datetime", vendor_type=edm,
                 creatable=attribute.get("IsValidForCreate") is True,
                 updatable=attribute.get("IsValidForUpdate") is True)


def plan(query: Query, request: Request, fields: Sequence[Field]) -> Request:
    """`$select` of the run's columns and `$filter` of its comparisons, its incremental window and,
    for one part of a parallel read, its time slice."""
    by_name = {f.name: f for f in fields}
    params = dict(request.params)
    selected = list(query.columns)
    window: list[str] = []
    if query.window_field and query.window_end is not None and query.window_field in by_name:
        window = filters.window(by_name[query.window_field], query.window_start, query.window_end, True)
    if query.slice_field and query.slice_field in by_name:
        window += filters.window(by_name[query.slice_field], query.slice_lower, query.slice_upper, True)
        if selected and query.slice_field not in selected:
            selected.append(query.slice_field)  # the source keeps the records whose time lies in the slice
    if selected:
        params["$select"] = ",".join(selected)
    expression = filters.build(query.conditions, by_name, True, window)
    if expression:
        params["$filter"] = expression
    return request.replace(params=params)


class DynamicsCatalog:
    """`rest.entities.Catalog` of a Dynamics 365 environment (see the module docstring)."""

    def __init__(self, page_size: int = PAGE_SIZE) -> None:
        self.page_size = page_size

    def entities(self, client: RestClient, parent: str | None) -> list[Entity]:
        if parent:
            return []  # tables do not nest
        body = client.json(Request("GET", "EntityDefinitions", {"$select": TABLE_SELECT}))
        tables = [t for t in _values(body) if t.get("EntitySetName") and not t.get("IsPrivate")]
        return sorted((self._entity(t) for t in tables), key=lambda e: e.name)

    def entity(self, client: RestClient, name: str) -> Entity:
        body = client.json(Request("GET", "EntityDefinitions", {
            "$select": TABLE_SELECT, "$filter": f"EntitySetName eq {_quoted(name)}"}))
        tables = [t for t in _values(body) if t.get("EntitySetName") == name]
        if not tables:
            raise ConnectorError("ResourceNotFound", f"{VENDOR} has no table whose entity set is {name!r} "
                                 "(ListConnectorEntities lists them, e.g. accounts, contacts)")
        return self._entity(tables[0])

    def _entity(self, table: Mapping[str, Any]) -> Entity:
        logical = str(table.get("LogicalName") or "")
        entity_set = str(table["EntitySetName"])
        shown = label(table.get("DisplayName")) or logical
        columns_read = _Columns(logical)
        return Entity(name=entity_set, label=shown, description=label(table.get("Description")) or
                      f"{shown} (table {logical})", path=entity_set, paginator=NextLink(self.page_size, VENDOR),
                      records="value", describe=columns_read.describe, splits=SLICES,
                      plan=lambda query, request: plan(query, request, columns_read.fields))


class _Columns:
    """A table's columns, read once per entity: `plan` writes literals by the types `describe` read."""

    def __init__(self, logical: str) -> None:
        self.logical = logical
        self.fields: list[Field] = []

    def describe(self, client: RestClient, entity: Entity) -> list[Field]:
        self.fields = columns(client, self.logical)
        return self.fields


def columns(client: RestClient, logical: str) -> list[Field]:
    """The readable columns of table `logical`, in the order Dataverse lists them."""
    body = client.json(Request("GET", f"EntityDefinitions(LogicalName={_quoted(logical)})/Attributes",
                               {"$select": COLUMN_SELECT}))
    found = [column(a) for a in _values(body)]
    return [f for f in found if f is not None]


def _values(body: Any) -> list[Mapping[str, Any]]:
    values = body.get("value") if isinstance(body, Mapping) else None
    if not isinstance(values, list):
        raise ConnectorError("ServerError", f"{VENDOR}'s answer has no \"value\" list")
    return [v for v in values if isinstance(v, Mapping)]
