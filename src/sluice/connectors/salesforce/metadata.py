"""Salesforce entity metadata (connectors layer): sObjects as entities, describe fields as entity fields.

`ListConnectorEntities` lists the org's queryable or createable sObjects (`GET .../sobjects`),
flat (no nested entities), sliced by an opaque offset token when `maxResults` is given.
`DescribeConnectorEntity` maps `GET .../sobjects/{Object}/describe` to AppFlow's
`ConnectorEntityField`s, following the Salesforce example in the AppFlow API reference: field
types are Salesforce's own names, filter operators are the `SalesforceConnectorOperator`s that
apply to the type, compound parts name their compound field as `parentIdentifier`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote as url_quote

from sluice.connectors.base import ConnectorError, EntityPage, ProfileView
from sluice.connectors.entity_pages import entity_page
from sluice.connectors.salesforce.client import SalesforceClient

ORDERING_OPERATORS = [
    "LESS_THAN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO", "BETWEEN",
]
STRING_OPERATORS = ["CONTAINS", "EQUAL_TO", "NOT_EQUAL_TO"]
ORDERED_TYPES = frozenset({"int", "double", "percent", "currency", "date", "datetime"})
CONTAINS_TYPES = frozenset({"string", "email", "combobox"})
TIMESTAMP_FIELDS = frozenset({"LastModifiedDate", "SystemModstamp", "CreatedDate"})
DATE_FORMATS = {"date": "yyyy-MM-dd", "datetime": "yyyy-MM-dd'T'HH:mm:ss.SSSZ"}


def filter_operators(sf_type: str, filterable: bool) -> list[str]:
    """The Filter operators AppFlow offers for a Salesforce field type."""
    if not filterable:
        return []
    if sf_type in ORDERED_TYPES:
        return ["EQUAL_TO", "NOT_EQUAL_TO", *ORDERING_OPERATORS]
    if sf_type in CONTAINS_TYPES:
        return list(STRING_OPERATORS)
    return ["EQUAL_TO"]


def write_operations(field: Mapping[str, Any]) -> list[str]:
    """The write operations a field takes part in (INSERT/UPDATE/UPSERT/DELETE)."""
    name = field.get("name")
    operations: list[str] = []
    if field.get("createable"):
        operations.append("INSERT")
    if field.get("updateable") or name == "Id":
        operations.append("UPDATE")
    if field.get("createable") or field.get("updateable") or _upsert_key(field):
        operations.append("UPSERT")
    if name == "Id":
        operations.append("DELETE")
    return operations


def _upsert_key(field: Mapping[str, Any]) -> bool:
    return field.get("name") == "Id" or bool(field.get("externalId") and field.get("idLookup"))


def entity_field(field: Mapping[str, Any]) -> dict[str, Any]:
    """One describe field as an AppFlow `ConnectorEntityField`."""
    name = str(field["name"])
    sf_type = str(field.get("type") or "string")
    filterable = bool(field.get("filterable", True))
    details: dict[str, Any] = {"fieldType": sf_type, "filterOperators": filter_operators(sf_type, filterable)}
    picklist = [str(v["value"]) for v in field.get("picklistValues") or [] if v.get("active", True) and "value" in v]
    if sf_type == "boolean":
        details["supportedValues"] = ["true", "false"]
    else:
        details["supportedValues"] = picklist
    if sf_type in DATE_FORMATS:
        details["supportedDateFormat"] = DATE_FORMATS[sf_type]
    length = field.get("length")
    if isinstance(length, int) and length > 0:
        details["fieldLengthRange"] = {"minimum": 0.0, "maximum": float(length)}
    result: dict[str, Any] = {
        "identifier": name,
        "label": str(field.get("label") or name),
        "isPrimaryKey": name == "Id",
        "isDeprecated": bool(field.get("deprecatedAndHidden", False)),
        "supportedFieldTypeDetails": {"v1": details},
        "description": str(field.get("label") or name),
        "sourceProperties": {
            "isRetrievable": True,
            "isQueryable": filterable,
            "isTimestampFieldForIncrementalQueries": name in TIMESTAMP_FIELDS and sf_type == "datetime",
        },
        "destinationProperties": {
            "isCreatable": bool(field.get("createable")),
            "isNullable": bool(field.get("nillable")),
            "isUpsertable": _upsert_key(field) or bool(field.get("createable") or field.get("updateable")),
            "isUpdatable": bool(field.get("updateable")),
            "isDefaultedOnCreate": bool(field.get("defaultedOnCreate")),
            "supportedWriteOperations": write_operations(field),
        },
    }
    if field.get("compoundFieldName"):
        result["parentIdentifier"] = str(field["compoundFieldName"])
    default = field.get("defaultValue")
    if default is not None and not isinstance(default, Mapping | list):
        result["defaultValue"] = str(default).lower() if isinstance(default, bool) else str(default)
    custom = {
        key: str(field[key]).lower() if isinstance(field[key], bool) else str(field[key])
        for key in ("custom", "calculated", "externalId", "idLookup", "precision", "scale")
        if field.get(key) not in (None, False, 0)
    }
    if field.get("referenceTo"):
        custom["referenceTo"] = ",".join(str(r) for r in field["referenceTo"])
    if custom:
        result["customProperties"] = custom
    return result


def describe(client: SalesforceClient, object_name: str) -> dict[str, Any]:
    """`GET sobjects/{Object}/describe`; ResourceNotFound names the object when it does not exist."""
    if not object_name or "/" in object_name:
        raise ConnectorError("InvalidArgument", f"{object_name!r} is not a Salesforce object name")
    try:
        body = client.request("GET", client.data_path(f"sobjects/{url_quote(object_name)}/describe")).json()
    except ConnectorError as exc:
        if exc.code == "ResourceNotFound":
            raise ConnectorError(
                "ResourceNotFound", f"the Salesforce object {object_name} does not exist or is not accessible"
            ) from None
        raise
    except ValueError:
        raise ConnectorError("ServerError", f"Salesforce answered the describe of {object_name} with no JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("fields"), list):
        raise ConnectorError("ServerError", f"Salesforce's describe of {object_name} has no field list")
    return body


class SalesforceMetadata:
    """`MetadataProvider` for Salesforce (one HTTP client per call, closed after it)."""

    def list_entities(
        self, profile: ProfileView, parent: str | None, max_results: int | None, next_token: str | None
    ) -> EntityPage:
        if parent:
            return EntityPage(entities=[])  # sObjects have no nested entities
        with SalesforceClient(profile) as client:
            try:
                body = client.request("GET", client.data_path("sobjects")).json()
            except ValueError:
                raise ConnectorError("ServerError", "Salesforce answered the sObject list with no JSON") from None
        objects = body.get("sobjects") if isinstance(body, dict) else None
        if not isinstance(objects, list):
            raise ConnectorError("ServerError", "Salesforce's sObject list has no sobjects member")
        entities = [
            {"name": str(o["name"]), "label": str(o.get("label") or o["name"]), "hasNestedEntities": False}
            for o in objects
            if o.get("name") and (o.get("queryable") or o.get("createable"))
        ]
        return entity_page(entities, max_results, next_token, "sobjects")

    def describe_entity(self, profile: ProfileView, entity_name: str) -> list[dict[str, Any]]:
        with SalesforceClient(profile) as client:
            body = describe(client, entity_name)
        return [entity_field(f) for f in body["fields"] if isinstance(f, Mapping) and f.get("name")]
