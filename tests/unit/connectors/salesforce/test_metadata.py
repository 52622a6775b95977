"""Salesforce entity metadata: the describe -> ConnectorEntityField mapping, and listing against the fake org."""

from __future__ import annotations

from collections.abc import Iterator

import botocore.loaders
import pytest

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.salesforce.metadata import SalesforceMetadata, entity_field, filter_operators
from tests.fakes.salesforce.server import FakeSalesforce


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSalesforce]:
    with FakeSalesforce(seed_counts={"Account": 5, "Contact": 5, "Opportunity": 5}) as server:
        yield server


@pytest.fixture
def profile(fake: FakeSalesforce) -> ProfileView:
    return ProfileView("p", "Salesforce", properties={"Salesforce": {"instanceUrl": fake.url}},
                       credentials={"Salesforce": {"accessToken": fake.token()}})


def _members(shape: str) -> set[str]:
    model = botocore.loaders.Loader().load_service_model("appflow", "service-2")["shapes"]
    return set(model[shape]["members"])


def test_entity_field_uses_only_model_members() -> None:
    field = entity_field({
        "name": "Industry", "label": "Industry", "type": "picklist", "length": 255, "nillable": True,
        "createable": True, "updateable": True, "filterable": True, "compoundFieldName": None,
        "picklistValues": [{"value": "Banking", "active": True}, {"value": "Old", "active": False}],
        "defaultValue": None, "custom": False,
    })
    assert set(field) <= _members("ConnectorEntityField")
    assert set(field["supportedFieldTypeDetails"]) == {"v1"}
    details = field["supportedFieldTypeDetails"]["v1"]
    assert set(details) <= _members("FieldTypeDetails")
    assert set(field["sourceProperties"]) <= _members("SourceFieldProperties")
    assert set(field["destinationProperties"]) <= _members("DestinationFieldProperties")
    assert details == {"fieldType": "picklist", "filterOperators": ["EQUAL_TO"], "supportedValues": ["Banking"],
                       "fieldLengthRange": {"minimum": 0.0, "maximum": 255.0}}
    assert field["destinationProperties"]["supportedWriteOperations"] == ["INSERT", "UPDATE", "UPSERT"]


def test_operators_are_salesforce_connector_operators() -> None:
    enum = set(botocore.loaders.Loader().load_service_model("appflow", "service-2")["shapes"]
               ["SalesforceConnectorOperator"]["enum"])
    for sf_type in ("string", "email", "int", "double", "currency", "date", "datetime", "boolean", "id", "address"):
        assert set(filter_operators(sf_type, True)) <= enum
    assert "BETWEEN" in filter_operators("datetime", True)
    assert filter_operators("string", True) == ["CONTAINS", "EQUAL_TO", "NOT_EQUAL_TO"]
    assert filter_operators("textarea", False) == []


def test_list_entities_pages_with_an_opaque_token(profile: ProfileView) -> None:
    provider = SalesforceMetadata()
    everything = provider.list_entities(profile, None, None, None)
    names = [e["name"] for e in everything.entities]
    assert {"Account", "Contact", "Opportunity"} <= set(names)
    assert everything.next_token is None
    assert all(e["hasNestedEntities"] is False for e in everything.entities)
    first = provider.list_entities(profile, None, 2, None)
    assert [e["name"] for e in first.entities] == names[:2] and first.next_token
    rest = provider.list_entities(profile, None, 100, first.next_token)
    assert [e["name"] for e in rest.entities] == names[2:] and rest.next_token is None
    assert provider.list_entities(profile, "Account", None, None).entities == []
    with pytest.raises(ConnectorError) as caught:
        provider.list_entities(profile, None, 2, "garbage")
    assert caught.value.code == "InvalidArgument"


def test_describe_entity_maps_the_describe(profile: ProfileView) -> None:
    fields = {f["identifier"]: f for f in SalesforceMetadata().describe_entity(profile, "Account")}
    assert fields["Id"]["isPrimaryKey"] is True
    assert fields["Id"]["destinationProperties"]["supportedWriteOperations"] == ["UPDATE", "UPSERT", "DELETE"]
    assert fields["Name"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == [
        "CONTAINS", "EQUAL_TO", "NOT_EQUAL_TO"]
    assert fields["BillingCity"]["parentIdentifier"] == "BillingAddress"
    assert fields["LastModifiedDate"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert fields["Name"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is False
    assert fields["Description"]["sourceProperties"]["isQueryable"] is False
    assert fields["External_Id__c"]["destinationProperties"]["isUpsertable"] is True
    assert fields["Industry"]["supportedFieldTypeDetails"]["v1"]["supportedValues"][:2] == ["Agriculture", "Banking"]
    assert fields["IsActive__c"]["supportedFieldTypeDetails"]["v1"]["supportedValues"] == ["true", "false"]


def test_describe_of_an_unknown_object_is_resource_not_found(profile: ProfileView) -> None:
    with pytest.raises(ConnectorError) as caught:
        SalesforceMetadata().describe_entity(profile, "Nope__c")
    assert caught.value.code == "ResourceNotFound"
    assert "Nope__c" in caught.value.message


def test_a_bad_token_is_invalid_credentials(fake: FakeSalesforce) -> None:
    profile = ProfileView("p", "Salesforce", properties={"instanceUrl": fake.url},
                          credentials={"accessToken": "not-a-token"})
    with pytest.raises(ConnectorError) as caught:
        SalesforceMetadata().list_entities(profile, None, None, None)
    assert caught.value.code == "InvalidCredentials"
    assert "not-a-token" not in caught.value.message
