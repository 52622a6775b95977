"""`sdk.py` against the real Custom Connector SDK: its `to_dict()` output and its `from_dict` readers."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from custom_connector_example.handlers.configuration import SalesforceConfigurationHandler
from custom_connector_sdk.connector import auth, configuration, context, fields, settings
from custom_connector_sdk.lambda_handler import requests, responses

from sluice.connectors.base import ConnectorError
from sluice.connectors.configuration import TASK_OPERATORS
from sluice.connectors.custom_connector import sdk

_MODEL = botocore.session.get_session().get_service_model("appflow")


def _conforms(value: Any, shape: Any, path: str = "ConnectorConfiguration") -> None:
    """Assert `value` fits the botocore shape: known members only, enum values, list/map types."""
    if shape.type_name == "structure":
        assert isinstance(value, dict), path
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{path} has members the model does not: {unknown}"
        for key, item in value.items():
            _conforms(item, shape.members[key], f"{path}.{key}")
    elif shape.type_name == "list":
        assert isinstance(value, list), path
        for i, item in enumerate(value):
            _conforms(item, shape.member, f"{path}[{i}]")
    elif shape.type_name == "map":
        assert isinstance(value, dict), path
    elif shape.type_name == "boolean":
        assert isinstance(value, bool), path
    elif shape.type_name == "string":
        assert isinstance(value, str), path
        if shape.enum:
            assert value in shape.enum, f"{path}: {value!r} not in {shape.enum}"


def _roundtrip(response: Any) -> dict[str, Any]:
    """What the Lambda runtime would put on the wire (enum members left in by the SDK as names)."""
    return json.loads(json.dumps(response.to_dict(), default=lambda v: v.name))


def _mapped(response: Any) -> dict[str, Any]:
    config = sdk.connector_configuration(_roundtrip(response))
    _conforms(config, _MODEL.shape_for("ConnectorConfiguration"))
    return config


def test_example_salesforce_configuration_maps_to_the_model() -> None:
    answer = SalesforceConfigurationHandler().describe_connector_configuration(
        requests.DescribeConnectorConfigurationRequest.from_dict(sdk.describe_configuration_request())
    )
    config = _mapped(answer)
    assert config["canUseAsSource"] and config["canUseAsDestination"]
    assert config["connectorModes"] == ["SOURCE", "DESTINATION"]
    assert config["connectorType"] == "CustomConnector"
    assert config["connectorName"] == "SamplePythonSalesforceConnector"
    assert config["connectorOwner"] == "SampleConnector"
    assert config["connectorVersion"] == "1.0"
    assert config["supportedApiVersions"] == ["v51.0"]
    assert config["supportedTriggerTypes"] == ["Scheduled", "OnDemand"]
    assert "BYMINUTE" in config["supportedSchedulingFrequencies"]
    assert set(config["supportedWriteOperations"]) == {"INSERT", "UPDATE", "UPSERT"}
    assert "EQUAL_TO" in config["supportedOperators"] and "NO_OP" in config["supportedOperators"]
    assert "S3" in config["supportedDestinationConnectors"]
    assert config["supportedDataTransferTypes"] == ["RECORD"]
    assert config["isPrivateLinkEnabled"] is False
    assert config["connectorMetadata"] == {}
    oauth = config["authenticationConfig"]
    assert oauth["isOAuth2Supported"] is True and oauth["isBasicAuthSupported"] is False
    assert oauth["oAuth2Defaults"]["oauthScopes"] == ["api", "refresh_token"]
    assert oauth["oAuth2Defaults"]["tokenUrls"][0] == "https://login.salesforce.com/services/oauth2/token"
    assert oauth["oAuth2Defaults"]["authCodeUrls"][0] == "https://login.salesforce.com/services/oauth2/authorize"
    assert oauth["oAuth2Defaults"]["oauth2GrantTypesSupported"] == ["AUTHORIZATION_CODE"]
    settings_by_key = {s["key"]: s for s in config["connectorRuntimeSettings"]}
    assert settings_by_key["instanceUrl"] == {
        "key": "instanceUrl",
        "dataType": "String",
        "isRequired": True,
        "label": "Salesforce Instance URL",
        "description": "URL of the instance where user wants to run the operations",
        "scope": "CONNECTOR_PROFILE",
    }


def _minimal(**overrides: Any) -> responses.DescribeConnectorConfigurationResponse:
    args: dict[str, Any] = {
        "is_success": True,
        "connector_owner": "Acme",
        "connector_name": "AcmeDB",
        "connector_version": "2.1",
        "connector_modes": [configuration.ConnectorModes.DESTINATION],
        "supported_api_versions": ["v1"],
        "authentication_config": auth.AuthenticationConfig(is_basic_auth_supported=True),
    }
    args.update(overrides)
    return responses.DescribeConnectorConfigurationResponse(**args)


def test_destination_only_connector() -> None:
    config = _mapped(_minimal(supported_write_operations=[fields.WriteOperationType.INSERT]))
    assert config["canUseAsSource"] is False and config["canUseAsDestination"] is True
    assert config["supportedDestinationConnectors"] == []
    assert config["supportedTriggerTypes"] == [] and config["supportedSchedulingFrequencies"] == []
    assert config["supportedOperators"] == []
    assert config["supportedWriteOperations"] == ["INSERT"]
    assert config["authenticationConfig"]["isBasicAuthSupported"] is True
    assert config["connectorRuntimeSettings"] == []


def test_custom_auth_oauth2_custom_properties_and_setting_options() -> None:
    custom = auth.CustomAuthConfig(
        authentication_type="AcmeToken",
        auth_parameters=[
            auth.AuthParameter(key="token", required=True, label="Token", description="Token", sensitive_field=True),
            auth.AuthParameter(
                key="site", required=False, label="Site", description="", connector_supplied_values=["eu", "us"]
            ),
        ],
    )
    defaults = auth.OAuth2Defaults(
        token_url=["https://{{domain}}/token"],
        auth_url=["https://{{domain}}/auth"],
        o_auth_2_grant_types_supported=[auth.OAuth2GrantType.CLIENT_CREDENTIALS],
        o_auth_2_custom_parameters=[
            auth.Oauth2CustomParameter(
                key="audience", required=True, label="Aud", description="", type=auth.OAuth2CustomPropType.TOKEN_URL
            )
        ],
    )
    setting = settings.ConnectorRuntimeSetting(
        key="region",
        data_type=settings.ConnectorRuntimeSettingDataType.String,
        required=False,
        label="Region",
        description="Where",
        scope=settings.ConnectorRuntimeSettingScope.SOURCE,
        connector_supplied_value_options=["eu", "us"],
    )
    config = _mapped(
        _minimal(
            connector_modes=[configuration.ConnectorModes.SOURCE],
            authentication_config=auth.AuthenticationConfig(
                is_custom_auth_supported=True,
                is_oauth_2_supported=True,
                custom_auth_config=[custom],
                o_auth_2_defaults=defaults,
            ),
            connector_runtime_setting=[setting],
            operators_supported=[configuration.ConnectorOperator.PROJECTION, configuration.ConnectorOperator.EQUAL_TO],
            trigger_frequencies_supported=[configuration.TriggerFrequency.DAILY],
            supported_trigger_types=[configuration.TriggerType.ONDEMAND],
            logo_url="https://example.com/logo.png",
        )
    )
    # The filter operators the connector evaluates, then the task operators the engine runs.
    assert config["supportedOperators"] == ["PROJECTION", "EQUAL_TO", *TASK_OPERATORS]
    assert config["supportedTriggerTypes"] == ["OnDemand"]
    # On-demand only: no schedule to offer frequencies for.
    assert config["supportedSchedulingFrequencies"] == []
    assert config["logoURL"] == "https://example.com/logo.png"
    authc = config["authenticationConfig"]
    assert authc["customAuthConfigs"] == [
        {
            "customAuthenticationType": "AcmeToken",
            "authParameters": [
                {
                    "key": "token",
                    "isRequired": True,
                    "label": "Token",
                    "description": "Token",
                    "isSensitiveField": True,
                },
                {
                    "key": "site",
                    "isRequired": False,
                    "label": "Site",
                    "description": "",
                    "isSensitiveField": False,
                    "connectorSuppliedValues": ["eu", "us"],
                },
            ],
        }
    ]
    prop = authc["oAuth2Defaults"]["oauth2CustomProperties"][0]
    assert prop["key"] == "audience" and prop["type"] == "TOKEN_URL" and prop["isRequired"] is True
    assert authc["oAuth2Defaults"]["oauth2GrantTypesSupported"] == ["CLIENT_CREDENTIALS"]
    assert config["connectorRuntimeSettings"][0]["connectorSuppliedValueOptions"] == ["eu", "us"]
    assert config["connectorRuntimeSettings"][0]["scope"] == "SOURCE"


def test_enum_left_in_to_dict_is_tolerated_without_json() -> None:
    """Handed `to_dict()` directly (no JSON), the SDK's stray enum member still maps."""
    param = auth.Oauth2CustomParameter(
        key="k", required=False, label="K", description="", type=auth.OAuth2CustomPropType.AUTH_URL
    )
    answer = _minimal(
        authentication_config=auth.AuthenticationConfig(
            is_oauth_2_supported=True,
            o_auth_2_defaults=auth.OAuth2Defaults(
                token_url=["t"], auth_url=["a"], o_auth_2_grant_types_supported=[], o_auth_2_custom_parameters=[param]
            ),
        )
    )
    config = sdk.connector_configuration(answer.to_dict())
    assert config["authenticationConfig"]["oAuth2Defaults"]["oauth2CustomProperties"][0]["type"] == "AUTH_URL"


_NAMED = {"isSuccess": True, "connectorName": "x", "connectorVersion": "1"}


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ("not a dict", "not an object"),
        ([1, 2], "not an object"),
        ({}, "not an SDK response"),
        ({"isSuccess": "yes"}, "not an SDK response"),
        ({"isSuccess": True}, "no connectorName, connectorVersion, connectorModes"),
        ({**_NAMED, "connectorModes": "SOURCE"}, "not a list"),
        ({**_NAMED, "connectorModes": ["SIDEWAYS"]}, "SIDEWAYS"),
        (
            {
                "isSuccess": True,
                "connectorName": "x",
                "connectorVersion": "1",
                "connectorModes": ["SOURCE"],
                "operatorsSupported": ["TELEPORT"],
            },
            "TELEPORT",
        ),
        (
            {
                "isSuccess": True,
                "connectorName": "x",
                "connectorVersion": "1",
                "connectorModes": ["SOURCE"],
                "connectorRuntimeSetting": [{"label": "no key"}],
            },
            "without a key",
        ),
        (
            {
                "isSuccess": True,
                "connectorName": "x",
                "connectorVersion": "1",
                "connectorModes": ["SOURCE"],
                "authenticationConfig": "basic",
            },
            "authenticationConfig",
        ),
    ],
)
def test_garbage_configuration_fails_naming_why(answer: Any, why: str) -> None:
    with pytest.raises(ConnectorError) as info:
        sdk.connector_configuration(answer)
    assert info.value.code == "ServerError"
    assert why in info.value.message


def test_unsuccessful_configuration_answer_carries_the_connector_error() -> None:
    answer = _minimal(
        is_success=False,
        error_details=responses.ErrorDetails(responses.ErrorCode.InvalidCredentials, "bad key"),
    )
    with pytest.raises(ConnectorError) as info:
        sdk.connector_configuration(_roundtrip(answer))
    assert (info.value.code, info.value.message) == ("InvalidCredentials", "bad key")


@pytest.mark.parametrize(
    ("sdk_code", "code"),
    [
        ("InvalidArgument", "InvalidArgument"),
        ("InvalidCredentials", "InvalidCredentials"),
        ("AccessDenied", "AccessDenied"),
        ("RequestTimeout", "ConnectorTimeout"),
        ("RateLimitExceeded", "ThrottlingError"),
        ("ServiceUnavailable", "ServerError"),
        ("ServerError", "ServerError"),
        ("UnknownError", "ServerError"),
        ("ResourceNotFoundError", "ResourceNotFound"),
        ("PartialWriteFailure", "PartialWriteFailure"),
        ("SomethingNew", "ServerError"),
    ],
)
def test_check_maps_every_sdk_error_code(sdk_code: str, code: str) -> None:
    wire: dict[str, Any] = {"isSuccess": False, "errorDetails": {"errorCode": sdk_code, "errorMessage": "why"}}
    if sdk_code in responses.ErrorCode.__members__:
        error = responses.ErrorDetails(responses.ErrorCode[sdk_code], "why", retry_after_seconds=7)
        wire = responses.QueryDataResponse(is_success=False, error_details=error).to_dict()
    with pytest.raises(ConnectorError) as info:
        sdk.check(wire, "QueryData")
    assert info.value.code == code
    assert info.value.message == "why"
    if sdk_code in responses.ErrorCode.__members__:
        assert info.value.retry_after == 7.0


def test_check_passes_success_and_names_runtime_setting_errors() -> None:
    ok = responses.QueryDataResponse(is_success=True, records=['{"a": 1}'], next_token="n").to_dict()
    assert sdk.check(ok, "QueryData") == ok
    bad = responses.ValidateConnectorRuntimeSettingsResponse(
        is_success=False,
        errors_by_input_field={"instanceUrl": "must be https"},
        error_details=responses.ErrorDetails(responses.ErrorCode.InvalidArgument, "invalid settings"),
    ).to_dict()
    with pytest.raises(ConnectorError) as info:
        sdk.check(bad, "ValidateConnectorRuntimeSettings")
    assert info.value.code == "InvalidArgument"
    assert "instanceUrl: must be https" in info.value.message
    with pytest.raises(ConnectorError, match="not an SDK response"):
        sdk.check({"records": []}, "QueryData")
    with pytest.raises(ConnectorError) as info:
        sdk.check({"isSuccess": False}, "WriteData")
    assert info.value.code == "ServerError" and "WriteData" in info.value.message


_DEFINITION = {
    "entity": {"entityIdentifier": "Account", "hasNestedEntities": False, "isWritable": True, "label": "Account"},
    "fields": [
        {
            "fieldName": "Id",
            "dataType": "String",
            "dataTypeLabel": "id",
            "label": "Id",
            "isPrimaryKey": True,
            "readProperties": {"isRetrievable": True, "isNullable": False, "isQueryable": True},
        }
    ],
}


def _ctx(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "runtime_settings": {"instanceUrl": "https://x"},
        "credentials_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s",
        "authentication_type": "OAuth2",
        "api_version": "v51.0",
    }
    args.update(overrides)
    return sdk.connector_context(**args)


def test_connector_context_reads_back_with_the_sdk() -> None:
    parsed = context.ConnectorContext.from_dict(_ctx(entity_definition=_DEFINITION))
    assert parsed.api_version == "v51.0"
    assert parsed.connector_runtime_settings == {"instanceUrl": "https://x"}
    assert parsed.credentials.secret_arn.endswith(":secret:s")
    assert parsed.credentials.authentication_type is auth.AuthenticationType.OAuth2
    assert parsed.entity_definition.entity.entity_identifier == "Account"
    assert parsed.entity_definition.fields[0].field_name == "Id"
    # No authentication type: no credentials, rather than the SDK's KeyError on a None type.
    assert context.ConnectorContext.from_dict(_ctx(authentication_type=None)).credentials is None


def test_requests_read_back_with_the_sdk() -> None:
    ctx = _ctx()
    q = requests.QueryDataRequest.from_dict(
        sdk.request(
            sdk.QUERY_DATA,
            entityIdentifier="Account",
            connectorContext=ctx,
            selectedFieldNames=["Id"],
            filterExpression="Id = 'x'",
            nextToken="t",
            maxResults=50,
        )
    )
    assert (q.entity_identifier, q.selected_field_names, q.filter_expression, q.next_token, q.max_results) == (
        "Account",
        ["Id"],
        "Id = 'x'",
        "t",
        50,
    )
    r = requests.RetrieveDataRequest.from_dict(
        sdk.request(sdk.RETRIEVE_DATA, entityIdentifier="Account", connectorContext=ctx, idFieldName="Id", ids=["1"])
    )
    assert (r.id_field_name, r.ids) == ("Id", ["1"])
    w = requests.WriteDataRequest.from_dict(
        sdk.request(
            sdk.WRITE_DATA,
            entityIdentifier="Account",
            connectorContext=ctx,
            operation="UPSERT",
            idFieldNames=["Id"],
            records=['{"Id": "1"}'],
            allOrNone=False,
        )
    )
    assert (w.operation, w.id_field_names, w.records, w.all_or_none) == (
        fields.WriteOperationType.UPSERT,
        ["Id"],
        ['{"Id": "1"}'],
        False,
    )
    le = requests.ListEntitiesRequest.from_dict(
        sdk.request(sdk.LIST_ENTITIES, connectorContext=ctx, entitiesPath="a/b", nextToken=None, maxResult=10)
    )
    assert (le.entities_path, le.next_token, le.max_result) == ("a/b", None, 10)
    de = requests.DescribeEntityRequest.from_dict(
        sdk.request(sdk.DESCRIBE_ENTITY, entityIdentifier="Account", connectorContext=ctx)
    )
    assert de.entity_identifier == "Account"
    vc = requests.ValidateCredentialsRequest.from_dict(
        sdk.request(
            sdk.VALIDATE_CREDENTIALS,
            credentials={"secretArn": "arn", "authenticationType": "CustomAuth"},
            connectorRuntimeSettings={"a": "b"},
        )
    )
    assert vc.credentials.authentication_type is auth.AuthenticationType.CustomAuth
    vs = requests.ValidateConnectorRuntimeSettingsRequest.from_dict(
        sdk.request(sdk.VALIDATE_CONNECTOR_RUNTIME_SETTINGS, scope="CONNECTOR_PROFILE", connectorRuntimeSettings={})
    )
    assert vs.scope is settings.ConnectorRuntimeSettingScope.CONNECTOR_PROFILE
    dc = requests.DescribeConnectorConfigurationRequest.from_dict(sdk.describe_configuration_request())
    assert dc.locale == "en-US"
    with pytest.raises(ValueError):
        sdk.request("DeleteEverythingRequest")
