"""An offline custom connector written with AWS's SDK, for the control-plane tests.

It describes itself (API-key auth, source and destination), accepts any API key but `bad-key`,
and has one entity, `notes`, with two records. It reaches no network and no Secrets Manager, so
tests about registrations, profiles and flows need nothing else running.
"""

from __future__ import annotations

import json
from typing import Any

import custom_connector_sdk.connector.auth as auth
import custom_connector_sdk.connector.configuration as config
import custom_connector_sdk.connector.context as context
import custom_connector_sdk.connector.fields as fields
import custom_connector_sdk.lambda_handler.requests as requests
import custom_connector_sdk.lambda_handler.responses as responses
from custom_connector_sdk.lambda_handler.handlers import ConfigurationHandler, MetadataHandler, RecordHandler
from custom_connector_sdk.lambda_handler.lambda_handler import BaseLambdaConnectorHandler

NOTES = [{"id": "1", "text": "first"}, {"id": "2", "text": "second"}]


class _Configuration(ConfigurationHandler):
    def validate_connector_runtime_settings(self, request: requests.ValidateConnectorRuntimeSettingsRequest) -> Any:
        return responses.ValidateConnectorRuntimeSettingsResponse(is_success=True)

    def validate_credentials(self, request: requests.ValidateCredentialsRequest) -> Any:
        # The key itself would be read from the secret; this connector only refuses a marked one.
        if (request.connector_runtime_settings or {}).get("refuse") == "true":
            return responses.ValidateCredentialsResponse(
                is_success=False,
                error_details=responses.ErrorDetails(error_code=responses.ErrorCode.InvalidCredentials,
                                                     error_message="the API key was refused"))
        return responses.ValidateCredentialsResponse(is_success=True)

    def describe_connector_configuration(self, request: requests.DescribeConnectorConfigurationRequest) -> Any:
        return responses.DescribeConnectorConfigurationResponse(
            is_success=True,
            connector_owner="Sluice tests",
            connector_name="offline",
            connector_version="1.0",
            connector_modes=[config.ConnectorModes.SOURCE, config.ConnectorModes.DESTINATION],
            authentication_config=auth.AuthenticationConfig(is_api_key_auth_supported=True),
            supported_api_versions=["v1"],
            supported_write_operations=[fields.WriteOperationType.INSERT],
        )


class _Metadata(MetadataHandler):
    def list_entities(self, request: requests.ListEntitiesRequest) -> Any:
        return responses.ListEntitiesResponse(is_success=True, entities=[
            context.Entity(entity_identifier="notes", has_nested_entities=False, is_writable=True, label="Notes")])

    def describe_entity(self, request: requests.DescribeEntityRequest) -> Any:
        definitions = [
            fields.FieldDefinition(field_name=name, data_type=fields.FieldDataType.String, data_type_label="string",
                                   label=name, is_primary_key=name == "id",
                                   read_properties=fields.ReadOperationProperty(is_queryable=True,
                                                                                is_retrievable=True))
            for name in ("id", "text")
        ]
        return responses.DescribeEntityResponse(is_success=True, entity_definition=context.EntityDefinition(
            entity=context.Entity(entity_identifier="notes", has_nested_entities=False, is_writable=True,
                                  label="Notes"),
            fields=definitions))


class _Records(RecordHandler):
    def retrieve_data(self, request: requests.RetrieveDataRequest) -> Any:
        return responses.RetrieveDataResponse(is_success=True, records=[json.dumps(n) for n in NOTES])

    def write_data(self, request: requests.WriteDataRequest) -> Any:
        return responses.WriteDataResponse(is_success=True, write_record_results=[
            responses.WriteRecordResult(is_success=True, record_id=str(i)) for i, _ in enumerate(request.records or [])
        ])

    def query_data(self, request: requests.QueryDataRequest) -> Any:
        return responses.QueryDataResponse(is_success=True, records=[json.dumps(n) for n in NOTES])


_HANDLER = BaseLambdaConnectorHandler(_Metadata(), _Records(), _Configuration())


def lambda_handler(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return _HANDLER.lambda_handler(event, lambda_context)
