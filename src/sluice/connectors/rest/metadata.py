"""Entity metadata from a REST connector's declarations (connectors layer, shared REST layer).

`ListConnectorEntities` answers the catalog's entities (children of a parent when the vendor nests
them), sliced by an opaque offset token when `maxResults` is given; `DescribeConnectorEntity`
answers each `Field` as AppFlow's `ConnectorEntityField`: `fieldType` (the layer's type, or the
vendor's own name when declared), filter operators bounded by the connector's supported operators,
`isPrimaryKey`, source properties (retrievable, queryable, incremental timestamp) and destination
properties (creatable, updatable, upsertable, the write operations it takes part in).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sluice.connectors.base import EntityPage, ProfileView
from sluice.connectors.entity_pages import entity_page
from sluice.connectors.rest.entities import Entity, Field

if TYPE_CHECKING:
    from sluice.connectors.rest.connector import RestConnector

DATE_FORMATS = {"datetime": "yyyy-MM-dd'T'HH:mm:ssZ", "date": "yyyy-MM-dd"}


def entity_summary(entity: Entity) -> dict[str, Any]:
    """One `ConnectorEntity`."""
    result: dict[str, Any] = {"name": entity.name, "label": entity.label or entity.name,
                              "hasNestedEntities": entity.has_children}
    if entity.description:
        result["description"] = entity.description
    return result


def entity_field(field: Field, entity: Entity, supported: frozenset[str]) -> dict[str, Any]:
    """One `Field` as an AppFlow `ConnectorEntityField`."""
    operators = field.operators(supported)
    details: dict[str, Any] = {"fieldType": field.vendor_type or field.type, "filterOperators": operators}
    if field.type == "boolean":
        details["supportedValues"] = ["true", "false"]
    elif field.values:
        details["supportedValues"] = list(field.values)
    if field.type in DATE_FORMATS:
        details["supportedDateFormat"] = DATE_FORMATS[field.type]
    writes = _writes(field, entity)
    result: dict[str, Any] = {
        "identifier": field.name,
        "label": field.label or field.name,
        "isPrimaryKey": field.primary_key,
        "description": field.description or field.label or field.name,
        "supportedFieldTypeDetails": {"v1": details},
        "sourceProperties": {
            "isRetrievable": entity.readable,
            "isQueryable": bool(operators),
            "isTimestampFieldForIncrementalQueries": field.timestamp and field.type in DATE_FORMATS,
        },
    }
    if entity.writes:
        result["destinationProperties"] = {
            "isCreatable": field.creatable,
            "isNullable": field.nullable,
            "isUpsertable": "UPSERT" in writes,
            "isUpdatable": field.updatable,
            "isDefaultedOnCreate": False,
            "supportedWriteOperations": writes,
        }
    return result


def _writes(field: Field, entity: Entity) -> list[str]:
    takes = {
        "INSERT": field.creatable,
        "UPDATE": field.updatable or field.primary_key,
        "UPSERT": field.creatable or field.updatable or field.primary_key,
        "DELETE": field.primary_key,
    }
    return [operation for operation in entity.writes if takes.get(operation)]


class RestMetadata:
    """`MetadataProvider` of one REST connector (one client per call, closed after it)."""

    def __init__(self, connector: RestConnector) -> None:
        self.connector = connector

    def list_entities(
        self, profile: ProfileView, parent: str | None, max_results: int | None, next_token: str | None
    ) -> EntityPage:
        with self.connector.client(profile) as client:
            entities = [entity_summary(e) for e in self.connector.catalog.entities(client, parent or None)]
        return entity_page(entities, max_results, next_token, "entities")

    def describe_entity(self, profile: ProfileView, entity_name: str) -> list[dict[str, Any]]:
        with self.connector.client(profile) as client:
            entity = self.connector.catalog.entity(client, entity_name)
            fields: Sequence[Field] = entity.fields_for(client)
        supported = self.connector.operators
        return [entity_field(f, entity, supported) for f in fields]
