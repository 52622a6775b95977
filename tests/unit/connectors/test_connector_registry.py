"""The built-in catalog against botocore's AppFlow model (the oracle for every catalog fact)."""

from __future__ import annotations

import json

import pytest
from botocore.parsers import RestJSONParser

from sluice.connectors import registry
from sluice.connectors.base import ConnectorSpec
from tests.unit.connectors.model_oracle import MODEL, shape_errors

CONNECTOR_TYPES: list[str] = MODEL.shape_for("ConnectorType").enum
CONFIGURATION = MODEL.shape_for("ConnectorConfiguration")
OPERATOR_MEMBERS = MODEL.shape_for("ConnectorOperator").members
SOURCE_MEMBERS = {name.lower() for name in MODEL.shape_for("SourceConnectorProperties").members}
DESTINATION_MEMBERS = {name.lower() for name in MODEL.shape_for("DestinationConnectorProperties").members}
PROFILE_MEMBERS = {name.lower() for name in MODEL.shape_for("ConnectorProfileProperties").members}


def test_every_connector_type_is_registered_in_enum_order() -> None:
    assert list(registry.CONNECTORS) == CONNECTOR_TYPES
    assert [spec.connector_type for spec in registry.all_specs()] == CONNECTOR_TYPES


@pytest.mark.parametrize("connector_type", CONNECTOR_TYPES)
def test_spec_agrees_with_its_capabilities(connector_type: str) -> None:
    spec = registry.get_spec(connector_type)
    assert isinstance(spec, ConnectorSpec)
    assert spec.connector_type == connector_type
    assert spec.capabilities["connectorType"] == connector_type


@pytest.mark.parametrize("connector_type", CONNECTOR_TYPES)
def test_capabilities_fit_the_connector_configuration_shape(connector_type: str) -> None:
    capabilities = registry.CONNECTORS[connector_type].capabilities
    assert shape_errors(capabilities, CONFIGURATION) == []


@pytest.mark.parametrize("connector_type", CONNECTOR_TYPES)
def test_capabilities_survive_botocores_parser(connector_type: str) -> None:
    """botocore drops unmodelled members when parsing; a lossless round trip means none exist."""
    capabilities = registry.CONNECTORS[connector_type].capabilities
    body = json.dumps({"connectorConfiguration": capabilities}).encode()
    response = {"status_code": 200, "headers": {}, "body": body}
    output = MODEL.operation_model("DescribeConnector").output_shape
    parsed = RestJSONParser().parse(response, output)
    parsed.pop("ResponseMetadata", None)
    assert parsed == {"connectorConfiguration": capabilities}


@pytest.mark.parametrize("connector_type", CONNECTOR_TYPES)
def test_roles_follow_the_connector_properties_unions(connector_type: str) -> None:
    capabilities = registry.CONNECTORS[connector_type].capabilities
    assert capabilities["canUseAsSource"] is (connector_type.lower() in SOURCE_MEMBERS)
    assert capabilities["canUseAsDestination"] is (connector_type.lower() in DESTINATION_MEMBERS)


@pytest.mark.parametrize("connector_type", CONNECTOR_TYPES)
def test_profile_requirement_follows_connector_profile_properties(connector_type: str) -> None:
    assert registry.CONNECTORS[connector_type].requires_profile is (connector_type.lower() in PROFILE_MEMBERS)


@pytest.mark.parametrize("connector_type", CONNECTOR_TYPES)
def test_supported_destinations_can_be_destinations(connector_type: str) -> None:
    capabilities = registry.CONNECTORS[connector_type].capabilities
    destinations = capabilities["supportedDestinationConnectors"]
    assert len(destinations) == len(set(destinations))
    for destination in destinations:
        assert registry.CONNECTORS[destination].capabilities["canUseAsDestination"], destination
    if not capabilities["canUseAsSource"]:
        assert destinations == []
        assert capabilities["supportedTriggerTypes"] == []


@pytest.mark.parametrize("connector_type", CONNECTOR_TYPES)
def test_operators_match_the_models_connector_operator(connector_type: str) -> None:
    operators = registry.supported_operators(connector_type)
    assert operators <= set(MODEL.shape_for("Operators").enum)
    by_member_name = {name.lower(): shape for name, shape in OPERATOR_MEMBERS.items()}
    shape = by_member_name.get(connector_type.lower())
    if registry.CONNECTORS[connector_type].capabilities["canUseAsSource"]:
        assert shape is not None, f"no ConnectorOperator member for source {connector_type}"
        assert operators == set(shape.enum)
    else:
        assert shape is None
        assert operators == frozenset()


def test_only_salesforce_runs_on_events() -> None:
    specs = registry.CONNECTORS.items()
    event_sources = [t for t, s in specs if "Event" in s.capabilities["supportedTriggerTypes"]]
    assert event_sources == ["Salesforce"]


def test_documented_examples() -> None:
    """The DescribeConnector(s) examples in the API reference."""
    salesforce = registry.CONNECTORS["Salesforce"].capabilities
    assert salesforce["supportedSchedulingFrequencies"] == [
        "BYMINUTE",
        "HOURLY",
        "DAILY",
        "WEEKLY",
        "MONTHLY",
        "ONCE",
    ]
    assert salesforce["connectorMetadata"]["Salesforce"]["oAuthScopes"] == ["api", "refresh_token", "id"]
    example_destinations = {"S3", "Snowflake", "Redshift", "Salesforce", "EventBridge", "LookoutMetrics"}
    example_destinations |= {
        "Honeycode",
        "Upsolver",
        "CustomerProfiles",
        "Zendesk",
        "Marketo",
        "CustomConnector",
    }
    assert example_destinations <= set(salesforce["supportedDestinationConnectors"])
    marketo = registry.CONNECTORS["Marketo"].capabilities
    assert marketo["supportedSchedulingFrequencies"] == ["HOURLY", "DAILY", "WEEKLY", "MONTHLY", "ONCE"]
    assert marketo["supportedTriggerTypes"] == ["Scheduled", "OnDemand"]


def test_data_paths_built() -> None:
    built = [t for t, s in registry.CONNECTORS.items() if s.data_path_built]
    assert built == ["Salesforce", "Singular", "Slack", "Redshift", "S3", "Marketo", "Googleanalytics", "Zendesk",
                     "Servicenow", "Datadog", "Trendmicro", "Snowflake", "Dynatrace", "Infornexus", "Amplitude",
                     "Veeva", "SAPOData", "CustomConnector", "Pardot"]
    salesforce = registry.CONNECTORS["Salesforce"]
    assert salesforce.check_profile is not None and salesforce.open_events is not None
    assert salesforce.open_source is not None and salesforce.open_destination is not None


def test_unknown_types() -> None:
    assert registry.get_spec("Nope") is None
    assert registry.supported_operators("Nope") == frozenset()


def test_the_shape_checker_catches_strays() -> None:
    stray = {"connectorType": "Nope", "bogus": True, "supportedOperators": ["PROJECTION", "JOIN"]}
    assert len(shape_errors(stray, CONFIGURATION)) == 3


def test_importing_the_registry_stays_light() -> None:
    """Connector packages import nothing heavy; S3's boto3/pyarrow code loads on first use."""
    import subprocess
    import sys

    code = (
        "import sys, sluice.connectors.registry as r\n"
        "heavy = {'boto3', 'botocore', 'pyarrow'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
