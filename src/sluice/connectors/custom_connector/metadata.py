"""Custom connector entity metadata (connectors layer): the SDK's ListEntities and DescribeEntity.

`ListConnectorEntities` sends `ListEntitiesRequest` {entitiesPath, maxResult, nextToken} and maps
each SDK `Entity` {entityIdentifier, label, hasNestedEntities} to an AppFlow `ConnectorEntity`
{name, label, hasNestedEntities}. `DescribeConnectorEntity` sends `DescribeEntityRequest` and maps
each SDK `FieldDefinition` to an AppFlow `ConnectorEntityField`:

| SDK FieldDefinition                              | ConnectorEntityField                                  |
|--------------------------------------------------|-------------------------------------------------------|
| fieldName, label, description                    | identifier, label, description                        |
| isPrimaryKey, defaultValue, isDeprecated         | the same                                              |
| dataTypeLabel (else dataType), filterOperators   | supportedFieldTypeDetails.v1.fieldType/filterOperators|
| constraints.allowedValues / ...RegexPattern      | v1.supportedValues / valueRegexPattern                |
| constraints.allowedDateFormat                    | v1.supportedDateFormat                                |
| constraints.allowedValueRange / allowedLengthRange | v1.fieldValueRange / fieldLengthRange {minimum, maximum} |
| readProperties (isRetrievable, isQueryable, ...) | sourceProperties (the model has no isNullable there)  |
| writeProperties                                  | destinationProperties                                 |
| customProperties (any JSON)                      | customProperties (strings; non-strings as JSON)       |

`describe(session, entity)` returns the SDK `EntityDefinition` itself, which source and
destination also need (it goes back to the connector as `connectorContext.entityDefinition`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sluice.connectors.base import ConnectorError, EntityPage, ProfileView
from sluice.connectors.custom_connector import sdk
from sluice.connectors.custom_connector.filters import DEFAULT_OPERATORS
from sluice.connectors.custom_connector.limits import call_timeout
from sluice.connectors.custom_connector.profile import Session

METADATA_TIMEOUT = 60.0
DEFAULT_PAGE = 1000  # the SDK's DEFAULT_MAX_RESULT
_SOURCE_KEYS = ("isRetrievable", "isQueryable", "isTimestampFieldForIncrementalQueries")
_DESTINATION_KEYS = ("isCreatable", "isNullable", "isUpsertable", "isUpdatable", "isDefaultedOnCreate")
_WRITE_OPERATIONS = ("INSERT", "UPSERT", "UPDATE", "DELETE")


def entity(item: Mapping[str, Any]) -> dict[str, Any]:
    """An SDK `Entity` dict as an AppFlow `ConnectorEntity`."""
    name = str(item.get("entityIdentifier") or "")
    return {"name": name, "label": str(item.get("label") or name),
            "hasNestedEntities": bool(item.get("hasNestedEntities"))}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"), default=str)


def _range(value: Any) -> dict[str, float] | None:
    if not isinstance(value, Mapping):
        return None
    out: dict[str, float] = {}
    for source, target in (("minRange", "minimum"), ("maxRange", "maximum")):
        try:
            if value.get(source) is not None:
                out[target] = float(value[source])
        except (TypeError, ValueError):
            continue
    return out or None


def _flags(props: Any, keys: tuple[str, ...]) -> dict[str, bool]:
    if not isinstance(props, Mapping):
        return {}
    return {key: bool(props[key]) for key in keys if props.get(key) is not None}


def entity_field(field: Mapping[str, Any]) -> dict[str, Any]:
    """An SDK `FieldDefinition` dict as an AppFlow `ConnectorEntityField` (see the module table)."""
    name = str(field.get("fieldName") or "")
    data_type = str(field.get("dataType") or "String")
    operators = field.get("filterOperators")
    if operators is None:  # the SDK fills its per-type defaults in when a connector lists none
        operators = DEFAULT_OPERATORS.get(data_type, ())
    details: dict[str, Any] = {
        "fieldType": str(field.get("dataTypeLabel") or data_type),
        "filterOperators": [str(op) for op in operators],
    }
    constraints = field.get("constraints") or {}
    if isinstance(constraints, Mapping):
        if constraints.get("allowedValues"):
            details["supportedValues"] = [_text(v) for v in constraints["allowedValues"]]
        if constraints.get("allowedValuesRegexPattern"):
            details["valueRegexPattern"] = str(constraints["allowedValuesRegexPattern"])
        if constraints.get("allowedDateFormat"):
            details["supportedDateFormat"] = str(constraints["allowedDateFormat"])
        for source, target in (("allowedValueRange", "fieldValueRange"), ("allowedLengthRange", "fieldLengthRange")):
            found = _range(constraints.get(source))
            if found:
                details[target] = found
    result: dict[str, Any] = {"identifier": name, "label": str(field.get("label") or name)}
    for key in ("isPrimaryKey", "isDeprecated"):
        if field.get(key) is not None:
            result[key] = bool(field[key])
    if field.get("defaultValue") is not None:
        result["defaultValue"] = _text(field["defaultValue"])
    result["supportedFieldTypeDetails"] = {"v1": details}
    if field.get("description"):
        result["description"] = str(field["description"])
    read = _flags(field.get("readProperties"), _SOURCE_KEYS)
    if read:
        result["sourceProperties"] = read
    write = field.get("writeProperties")
    destination: dict[str, Any] = _flags(write, _DESTINATION_KEYS)
    if isinstance(write, Mapping) and write.get("supportedWriteOperations") is not None:
        destination["supportedWriteOperations"] = [
            str(op) for op in write["supportedWriteOperations"] if str(op) in _WRITE_OPERATIONS
        ]
    if destination:
        result["destinationProperties"] = destination
    custom = field.get("customProperties")
    if isinstance(custom, Mapping) and custom:
        result["customProperties"] = {str(k): _text(v) for k, v in custom.items() if v is not None}
    return result


def describe(session: Session, entity_name: str) -> dict[str, Any]:
    """The SDK `EntityDefinition` of `entity_name` ({entity, fields, customProperties})."""
    if not entity_name:
        raise ConnectorError("InvalidArgument", "an entity name is required")
    answer = session.call(sdk.DESCRIBE_ENTITY, "DescribeEntity", timeout=call_timeout(METADATA_TIMEOUT),
                          entityIdentifier=entity_name)
    definition = answer.get("entityDefinition")
    if not isinstance(definition, Mapping) or not isinstance(definition.get("fields"), list):
        raise ConnectorError("ServerError", f"the connector described {entity_name} without an entityDefinition "
                             "holding a fields list")
    fields = [f for f in definition["fields"] if isinstance(f, Mapping) and f.get("fieldName")]
    return {**definition, "fields": fields}


class CustomConnectorMetadata:
    """`MetadataProvider` for every registered custom connector (the profile names the registration)."""

    def __init__(self, invoker: Any = None) -> None:
        self.invoker = invoker  # tests: an in-process stand-in for invoke.invoker_for's answer

    def list_entities(
        self, profile: ProfileView, parent: str | None, max_results: int | None, next_token: str | None
    ) -> EntityPage:
        session = Session(profile, invoker=self.invoker)
        answer = session.call(sdk.LIST_ENTITIES, "ListEntities", timeout=call_timeout(METADATA_TIMEOUT),
                              entitiesPath=parent or None, maxResult=max_results or DEFAULT_PAGE,
                              nextToken=next_token or None)
        items = answer.get("entities") or []
        if not isinstance(items, list):
            raise ConnectorError("ServerError", "the connector listed entities that are not a list")
        entities = [entity(i) for i in items if isinstance(i, Mapping) and i.get("entityIdentifier")]
        token = answer.get("nextToken")
        return EntityPage(entities=entities, next_token=str(token) if token else None)

    def describe_entity(self, profile: ProfileView, entity_name: str) -> list[dict[str, Any]]:
        definition = describe(Session(profile, invoker=self.invoker), entity_name)
        return [entity_field(f) for f in definition["fields"]]
