"""Entity metadata: SDK ListEntities/DescribeEntity mapped to AppFlow's shapes (botocore's model as oracle)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import custom_connector_example
import pytest
from custom_connector_example.handlers import salesforce as example_salesforce
from custom_connector_example.handlers.client import SalesforceResponse
from custom_connector_example.handlers.lambda_handler import SalesforceLambdaHandler

from sluice.connectors.base import ConnectorError
from sluice.connectors.custom_connector.metadata import CustomConnectorMetadata, entity_field
from tests.unit.connectors.custom_connector.memory_connector import InProcessInvoker, MemoryConnector, make_profile
from tests.unit.connectors.model_oracle import MODEL, shape_errors

FIELD_SHAPE = MODEL.shape_for("ConnectorEntityField")
ENTITY_SHAPE = MODEL.shape_for("ConnectorEntity")
EXAMPLE_RESOURCES = Path(custom_connector_example.__file__).parent / "test" / "resources"


def test_list_entities_pages_and_maps() -> None:
    connector = MemoryConnector()
    invoker = InProcessInvoker(connector.handler)
    metadata = CustomConnectorMetadata(invoker)
    profile = make_profile(connector)
    page = metadata.list_entities(profile, None, 1, None)
    assert page.entities == [{"name": "Account", "label": "Account label", "hasNestedEntities": False}]
    assert page.next_token == "1"
    second = metadata.list_entities(profile, "some/path", 5, page.next_token)
    assert second.entities == [{"name": "Folder", "label": "Folder label", "hasNestedEntities": True}]
    assert second.next_token is None
    for entity in page.entities + second.entities:
        assert shape_errors(entity, ENTITY_SHAPE) == []
    sent = invoker.of_type("ListEntitiesRequest")
    assert sent[0]["maxResult"] == 1 and "entitiesPath" not in sent[0]
    assert sent[1]["entitiesPath"] == "some/path" and sent[1]["nextToken"] == "1"
    context = sent[0]["connectorContext"]
    assert context["apiVersion"] == "v10"  # the latest supported version, in natural order
    assert context["credentials"]["authenticationType"] == "ApiKey"
    assert context["connectorRuntimeSettings"] == {"region": "eu"}


def test_describe_entity_fields_match_the_model() -> None:
    connector = MemoryConnector()
    fields = CustomConnectorMetadata(InProcessInvoker(connector.handler)).describe_entity(
        make_profile(connector), "Account")
    assert [f["identifier"] for f in fields][:3] == ["id", "name", "amount"]
    for field in fields:
        assert shape_errors(field, FIELD_SHAPE) == [], field
    by_name = {f["identifier"]: f for f in fields}
    assert by_name["id"]["isPrimaryKey"] is True
    assert by_name["modified"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert by_name["amount"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "Double"
    assert "GREATER_THAN" in by_name["amount"]["supportedFieldTypeDetails"]["v1"]["filterOperators"]
    assert by_name["name"]["destinationProperties"] == {"isCreatable": True, "isUpdatable": True, "isNullable": True}


def test_describe_unknown_entity_is_the_connectors_error() -> None:
    connector = MemoryConnector()
    with pytest.raises(ConnectorError) as raised:
        CustomConnectorMetadata(InProcessInvoker(connector.handler)).describe_entity(make_profile(connector), "Nope")
    assert raised.value.code == "InvalidArgument" and "no such entity" in raised.value.message


def test_entity_field_maps_constraints_and_custom_properties() -> None:
    field = entity_field({
        "fieldName": "status", "dataType": "String", "dataTypeLabel": "picklist", "label": "Status",
        "isPrimaryKey": False, "defaultValue": 3, "isDeprecated": True, "description": "The status",
        "constraints": {"allowedLengthRange": {"minRange": 0, "maxRange": 40},
                        "allowedValueRange": {"minRange": "1", "maxRange": "9"}, "allowedValues": ["a", "b"],
                        "allowedValuesRegexPattern": "[ab]", "allowedDateFormat": "yyyy"},
        "readProperties": {"isRetrievable": True, "isNullable": True, "isQueryable": False},
        "writeProperties": {"isCreatable": False, "isUpsertable": True, "supportedWriteOperations": ["UPSERT"]},
        "filterOperators": ["EQUAL_TO"], "customProperties": {"sortable": True, "nested": {"x": 1}},
    })
    assert shape_errors(field, FIELD_SHAPE) == []
    assert field == {
        "identifier": "status", "label": "Status", "isPrimaryKey": False, "isDeprecated": True, "defaultValue": "3",
        "supportedFieldTypeDetails": {"v1": {
            "fieldType": "picklist", "filterOperators": ["EQUAL_TO"], "supportedValues": ["a", "b"],
            "valueRegexPattern": "[ab]", "supportedDateFormat": "yyyy",
            "fieldValueRange": {"minimum": 1.0, "maximum": 9.0},
            "fieldLengthRange": {"minimum": 0.0, "maximum": 40.0}}},
        "description": "The status",
        "sourceProperties": {"isRetrievable": True, "isQueryable": False},
        "destinationProperties": {"isCreatable": False, "isUpsertable": True, "supportedWriteOperations": ["UPSERT"]},
        "customProperties": {"sortable": "true", "nested": '{"x":1}'},
    }
    # No filterOperators listed: the SDK's defaults for the type.
    assert entity_field({"fieldName": "d", "dataType": "Date"})["supportedFieldTypeDetails"]["v1"][
        "filterOperators"][-1] == "BETWEEN"


class _FakeSalesforce:
    """What the SDK example's HttpsClient would get from Salesforce (the example's own test files)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def rest_get(self, url: str) -> SalesforceResponse:
        self.urls.append(url)
        if url.endswith("/describe"):
            return SalesforceResponse(200, (EXAMPLE_RESOURCES / "describe_sobject_server_response.json").read_text(),
                                      "OK")
        sobjects = [{"name": "Account", "label": "Account", "createable": True, "childRelationships": []},
                    {"name": "Case", "label": "Case", "childRelationships": ["Comments"]}]
        return SalesforceResponse(200, json.dumps({"sobjects": sobjects}), "OK")


def test_the_sdk_example_connector(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeSalesforce()
    monkeypatch.setattr(example_salesforce, "get_salesforce_client", lambda context: fake)
    connector = MemoryConnector()
    profile = make_profile(connector, properties={"profileProperties": {"instanceUrl": "https://sf.example"}})
    metadata = CustomConnectorMetadata(InProcessInvoker(SalesforceLambdaHandler()))
    page = metadata.list_entities(profile, None, None, None)
    assert page.entities == [{"name": "Account", "label": "Account", "hasNestedEntities": False},
                             {"name": "Case", "label": "Case", "hasNestedEntities": True}]
    fields = metadata.describe_entity(profile, "Account")
    assert fields and all(shape_errors(f, FIELD_SHAPE) == [] for f in fields)
    assert fake.urls[-1] == "https://sf.example/services/data/v10/sobjects/Account/describe"
    raw: Any = json.loads((EXAMPLE_RESOURCES / "describe_sobject_server_response.json").read_text())
    assert [f["identifier"] for f in fields] == [f["name"] for f in raw["fields"]]
