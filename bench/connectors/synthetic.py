"""A custom connector written with AWS's SDK that serves N synthetic records (bench only).

One entity, `events` (id, name, amount, updated_at); QueryData answers pages of `maxResults`
records with an offset `nextToken`. Records are generated, not stored, so the benchmark measures
the connector protocol and Sluice's pipeline, not a database. `BENCH_RECORDS` sets N.
"""

from __future__ import annotations

import json
import os
from typing import Any

import custom_connector_sdk.connector.auth as auth
import custom_connector_sdk.connector.configuration as config
import custom_connector_sdk.connector.context as context
import custom_connector_sdk.connector.fields as fields
import custom_connector_sdk.lambda_handler.requests as requests
import custom_connector_sdk.lambda_handler.responses as responses
from custom_connector_sdk.lambda_handler.handlers import ConfigurationHandler, MetadataHandler, RecordHandler
from custom_connector_sdk.lambda_handler.lambda_handler import BaseLambdaConnectorHandler

TOTAL = int(os.environ.get("BENCH_RECORDS", "100000"))
ENTITY = context.Entity(entity_identifier="events", has_nested_entities=False, is_writable=False, label="Events")
FIELDS = [("id", fields.FieldDataType.Long), ("name", fields.FieldDataType.String),
          ("amount", fields.FieldDataType.Double), ("updated_at", fields.FieldDataType.DateTime)]


def page(start: int, size: int) -> list[str]:
    """Records start..start+size as the JSON strings QueryData returns."""
    return [json.dumps({"id": n, "name": f"event-{n}", "amount": (n % 1000) / 10,
                        "updated_at": f"2024-01-{1 + n % 28:02d}T10:00:00Z"})
            for n in range(start, min(start + size, TOTAL))]


class _Configuration(ConfigurationHandler):
    def validate_connector_runtime_settings(self, request: Any) -> Any:
        return responses.ValidateConnectorRuntimeSettingsResponse(is_success=True)

    def validate_credentials(self, request: Any) -> Any:
        return responses.ValidateCredentialsResponse(is_success=True)

    def describe_connector_configuration(self, request: Any) -> Any:
        return responses.DescribeConnectorConfigurationResponse(
            is_success=True, connector_owner="Sluice bench", connector_name="synthetic", connector_version="1.0",
            connector_modes=[config.ConnectorModes.SOURCE],
            authentication_config=auth.AuthenticationConfig(is_api_key_auth_supported=True),
            supported_api_versions=["v1"])


class _Metadata(MetadataHandler):
    def list_entities(self, request: Any) -> Any:
        return responses.ListEntitiesResponse(is_success=True, entities=[ENTITY])

    def describe_entity(self, request: Any) -> Any:
        definitions = [fields.FieldDefinition(field_name=name, data_type=kind, data_type_label=kind.name, label=name,
                                              is_primary_key=name == "id",
                                              read_properties=fields.ReadOperationProperty(is_retrievable=True))
                       for name, kind in FIELDS]
        return responses.DescribeEntityResponse(
            is_success=True, entity_definition=context.EntityDefinition(entity=ENTITY, fields=definitions))


class _Records(RecordHandler):
    def retrieve_data(self, request: Any) -> Any:
        return responses.RetrieveDataResponse(is_success=True, records=[])

    def write_data(self, request: Any) -> Any:
        return responses.WriteDataResponse(is_success=True, write_record_results=[])

    def query_data(self, request: requests.QueryDataRequest) -> Any:
        start = int(request.next_token or 0)
        size = request.max_results or 1000
        end = start + size
        return responses.QueryDataResponse(is_success=True, records=page(start, size),
                                           next_token=str(end) if end < TOTAL else None)


_HANDLER = BaseLambdaConnectorHandler(_Metadata(), _Records(), _Configuration())


def lambda_handler(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return _HANDLER.lambda_handler(event, lambda_context)
