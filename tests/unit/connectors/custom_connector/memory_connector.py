"""An SDK-based custom connector holding its records in memory, run in-process (unit tests only).

`MemoryConnector` is written against AWS's Custom Connector SDK exactly as a real connector is
(`BaseLambdaConnectorHandler` + Metadata/Record/Configuration handlers): requests are read with
the SDK's `from_dict`, answers written with `to_dict`. Its "secret store" stands in for Secrets
Manager: `secrets[arn]` is what GetSecretValue would answer. `InProcessInvoker` is the small
stand-in for `invoke.invoker_for(...)`: it JSON-round-trips the event and the answer, as Lambda
would, and keeps every event it sent.
"""

from __future__ import annotations

import json
from typing import Any

from custom_connector_queryfilter.queryfilter.parse_tree_builder import parse
from custom_connector_sdk.connector import auth, configuration, context, fields, settings
from custom_connector_sdk.lambda_handler import requests, responses
from custom_connector_sdk.lambda_handler.handlers import ConfigurationHandler, MetadataHandler, RecordHandler
from custom_connector_sdk.lambda_handler.lambda_handler import BaseLambdaConnectorHandler

ARN = "arn:aws:lambda:us-east-1:123456789012:function:memory-connector"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:appflow!memory-profile-AbCdEf"
F = fields.FieldDataType


def field(name: str, data_type: fields.FieldDataType, **extra: Any) -> fields.FieldDefinition:
    return fields.FieldDefinition(
        field_name=name, data_type=data_type, label=name.title(), description=f"The {name}",
        read_properties=fields.ReadOperationProperty(is_retrievable=True, is_queryable=True,
                                                     is_timestamp_field_for_incremental_queries=name == "modified"),
        write_properties=fields.WriteOperationProperty(is_creatable=True, is_updatable=True, is_nullable=True),
        **extra,
    )


ACCOUNT_FIELDS = [
    field("id", F.String, is_primary_key=True),
    field("name", F.String),
    field("amount", F.Double),
    field("count", F.Integer),
    field("active", F.Boolean),
    field("modified", F.DateTime),
    field("day", F.Date),
    field("price", F.BigDecimal),
    field("tags", F.List),
]


def account(i: int) -> dict[str, Any]:
    return {"id": f"A{i:04d}", "name": f"Account {i}", "amount": i * 1.5, "count": i, "active": i % 2 == 0,
            "modified": f"2024-01-{1 + i % 28:02d}T10:00:00Z", "day": f"2024-02-{1 + i % 28:02d}",
            "price": f"{i}.25", "tags": ["t", str(i)]}


class MemoryConnector(MetadataHandler, RecordHandler, ConfigurationHandler):
    """The three SDK handler interfaces over in-memory entities."""

    def __init__(self, records: int = 25) -> None:
        self.entities: dict[str, list[dict[str, Any]]] = {"Account": [account(i) for i in range(records)]}
        self.secrets: dict[str, dict[str, str]] = {}
        self.valid_tokens = {"good-token"}
        self.refuse = lambda record: record.get("name") == "bad"  # WriteData refuses these records
        self.filters: list[str | None] = []
        self.written: list[dict[str, Any]] = []
        self.handler = BaseLambdaConnectorHandler(self, self, self)

    # -- auth -------------------------------------------------------------------------------

    def _secret(self, credentials: auth.Credentials | None) -> dict[str, str]:
        if credentials is None or credentials.secret_arn not in self.secrets:
            return {}
        return self.secrets[credentials.secret_arn]

    def _refused(self, ctx: context.ConnectorContext) -> responses.ErrorDetails | None:
        token = self._secret(ctx.credentials).get("accessToken")
        if ctx.credentials is not None and ctx.credentials.authentication_type == auth.AuthenticationType.OAuth2 \
                and token not in self.valid_tokens:
            return responses.ErrorDetails(responses.ErrorCode.InvalidCredentials, f"token {token} expired")
        return None

    # -- configuration ----------------------------------------------------------------------

    def validate_connector_runtime_settings(self, request: requests.ValidateConnectorRuntimeSettingsRequest):
        bad = {k: "must not be 'bad'" for k, v in (request.connector_runtime_settings or {}).items() if v == "bad"}
        return responses.ValidateConnectorRuntimeSettingsResponse(is_success=not bad, errors_by_input_field=bad or None)

    def validate_credentials(self, request: requests.ValidateCredentialsRequest):
        secret = self._secret(request.credentials)
        kind = request.credentials.authentication_type
        ok = (kind == auth.AuthenticationType.OAuth2 and secret.get("accessToken") in self.valid_tokens) or (
            kind == auth.AuthenticationType.ApiKey and secret.get("apiKey") == "key-1") or (
            kind == auth.AuthenticationType.BasicAuth and secret.get("password") == "pw")
        if ok:
            return responses.ValidateCredentialsResponse(is_success=True)
        details = responses.ErrorDetails(responses.ErrorCode.InvalidCredentials, "the vendor said: 401 Unauthorized")
        return responses.ValidateCredentialsResponse(is_success=False, error_details=details)

    def describe_connector_configuration(self, request: requests.DescribeConnectorConfigurationRequest):
        return responses.DescribeConnectorConfigurationResponse(
            connector_owner="tests", connector_name="memory", connector_version="1.0",
            connector_modes=[configuration.ConnectorModes.SOURCE, configuration.ConnectorModes.DESTINATION],
            supported_api_versions=["v1"], is_success=True,
            authentication_config=auth.AuthenticationConfig(is_api_key_auth_supported=True),
            connector_runtime_setting=[settings.ConnectorRuntimeSetting(
                "region", settings.ConnectorRuntimeSettingDataType.String, False, "Region", "Region",
                settings.ConnectorRuntimeSettingScope.CONNECTOR_PROFILE)],
        )

    # -- metadata ---------------------------------------------------------------------------

    def list_entities(self, request: requests.ListEntitiesRequest):
        if (error := self._refused(request.connector_context)) is not None:
            return responses.ListEntitiesResponse(is_success=False, error_details=error)
        names = [*sorted(self.entities), "Folder"]
        start = int(request.next_token or 0)
        page = names[start:start + request.max_result]
        token = str(start + len(page)) if start + len(page) < len(names) else None
        entities = [context.Entity(n, n == "Folder", True, label=f"{n} label") for n in page]
        return responses.ListEntitiesResponse(is_success=True, entities=entities, next_token=token)

    def describe_entity(self, request: requests.DescribeEntityRequest):
        if (error := self._refused(request.connector_context)) is not None:
            return responses.DescribeEntityResponse(is_success=False, error_details=error)
        if request.entity_identifier not in self.entities:
            details = responses.ErrorDetails(responses.ErrorCode.InvalidArgument, "no such entity")
            return responses.DescribeEntityResponse(is_success=False, error_details=details)
        definition = context.EntityDefinition(context.Entity(request.entity_identifier, False, True), ACCOUNT_FIELDS)
        return responses.DescribeEntityResponse(is_success=True, entity_definition=definition)

    # -- records ----------------------------------------------------------------------------

    def _project(self, record: dict[str, Any], names: list[str] | None) -> str:
        return json.dumps({k: v for k, v in record.items() if names is None or k in names})

    def query_data(self, request: requests.QueryDataRequest):
        if (error := self._refused(request.connector_context)) is not None:
            return responses.QueryDataResponse(is_success=False, error_details=error)
        assert request.connector_context.entity_definition is not None  # AppFlow always sends it
        if request.filter_expression:
            parse(request.filter_expression)  # raises on anything the grammar does not read
        self.filters.append(request.filter_expression)
        rows = self.entities[request.entity_identifier]
        start = int(request.next_token) if (request.next_token or "").isdigit() else 0
        page = rows[start:start + request.max_results]
        token = str(start + len(page)) if start + len(page) < len(rows) else None
        return responses.QueryDataResponse(is_success=True, next_token=token,
                                           records=[self._project(r, request.selected_field_names) for r in page])

    def retrieve_data(self, request: requests.RetrieveDataRequest):
        rows = [r for r in self.entities[request.entity_identifier] if str(r[request.id_field_name]) in request.ids]
        return responses.RetrieveDataResponse(is_success=True,
                                              records=[self._project(r, request.selected_field_names) for r in rows])

    def write_data(self, request: requests.WriteDataRequest):
        if (error := self._refused(request.connector_context)) is not None:
            return responses.WriteDataResponse(is_success=False, error_details=error)
        results = []
        for text in request.records:
            record = json.loads(text)
            if self.refuse(record):
                results.append(responses.WriteRecordResult(False, None, "name must not be 'bad'"))
                continue
            self.written.append({"operation": request.operation.name, "ids": request.id_field_names, **record})
            results.append(responses.WriteRecordResult(True, f"R{len(self.written)}"))
        failed = any(not r.is_success for r in results)
        details = responses.ErrorDetails(responses.ErrorCode.PartialWriteFailure, "some records failed") \
            if failed else None
        return responses.WriteDataResponse(is_success=not failed, error_details=details,
                                           write_record_results=results)


class InProcessInvoker:
    """`invoke.Invoker` over an in-process SDK handler (events and answers JSON-round-tripped)."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.events: list[dict[str, Any]] = []

    def invoke(self, event: Any, timeout: float | None = None) -> dict[str, Any]:
        sent = json.loads(json.dumps(event))
        self.events.append(sent)
        return json.loads(json.dumps(self.handler.lambda_handler(sent, None), default=str))

    def of_type(self, type_name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == type_name]


def make_profile(connector: MemoryConnector, credentials: dict[str, Any] | None = None,
                 properties: dict[str, Any] | None = None, configuration: dict[str, Any] | None = None,
                 saved: list[dict[str, Any]] | None = None) -> Any:
    """A ProfileView of `connector` whose credentials secret (SECRET_ARN) the connector can read.

    `save_credentials` updates the connector's secret, as Sluice's Secrets endpoint would answer
    with the stored credentials, and records each save in `saved`.
    """
    from sluice.connectors.base import ProfileView
    from sluice.connectors.custom_connector.secrets import secret_payload

    credentials = credentials or {"authenticationType": "APIKEY", "apiKey": {"apiKey": "key-1"}}
    connector.secrets[SECRET_ARN] = secret_payload(credentials)

    def save(new: Any) -> None:
        connector.secrets[SECRET_ARN] = secret_payload(new)
        if saved is not None:
            saved.append(dict(new))

    config = {"supportedApiVersions": ["v9", "v10"], "supportedWriteOperations": ["INSERT", "UPSERT", "UPDATE"],
              **(configuration or {})}
    return ProfileView(
        name="memory-profile", connector_type="CustomConnector", connector_label="memory",
        properties=properties or {"profileProperties": {"region": "eu"}}, credentials=credentials,
        save_credentials=save, credentials_arn=SECRET_ARN,
        registration={"connectorLabel": "memory", "lambdaArn": ARN, "connectorVersion": "1.0",
                      "configuration": config},
    )
