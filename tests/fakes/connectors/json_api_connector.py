"""A custom connector for the fake tickets API (tests/fakes/json_api), written with AppFlow's SDK.

API_KEY authentication (the secret's `apiKey`, read from Secrets Manager via
`connectorContext.credentials.secretArn`), the API's base URL from the profile runtime setting
`baseUrl`. One entity, `tickets`. QueryData returns one API page per call (the API's page token is
the `nextToken`); the only filters are `updated_at > / >= <date-time>` (sent as `updated_since`).
WriteData (INSERT) posts each record and reports a result per record.
Handler: `tests.fakes.connectors.json_api_connector:lambda_handler`.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import boto3
import custom_connector_sdk.lambda_handler.requests as requests
import custom_connector_sdk.lambda_handler.responses as responses
from botocore.exceptions import BotoCoreError, ClientError
from custom_connector_sdk.connector import auth, settings
from custom_connector_sdk.connector.configuration import ConnectorModes, ConnectorOperator, TriggerType
from custom_connector_sdk.connector.context import Entity, EntityDefinition
from custom_connector_sdk.connector.fields import (
    FieldDataType,
    FieldDefinition,
    ReadOperationProperty,
    WriteOperationProperty,
    WriteOperationType,
)
from custom_connector_sdk.lambda_handler.handlers import ConfigurationHandler, MetadataHandler, RecordHandler
from custom_connector_sdk.lambda_handler.lambda_handler import BaseLambdaConnectorHandler
from custom_connector_sdk.lambda_handler.responses import ErrorCode, ErrorDetails, WriteRecordResult

BASE_URL_KEY = "baseUrl"
ENTITY = "tickets"
PAGE_LIMIT = 100
HTTP_TIMEOUT = 30
FILTER = re.compile(r"^\s*updated_at\s*(>=|>)\s*['\"]?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)['\"]?\s*$")
FIELDS = [  # name, type, nullable, creatable
    ("id", FieldDataType.Integer, False, False),
    ("subject", FieldDataType.String, False, True),
    ("description", FieldDataType.String, True, True),
    ("status", FieldDataType.String, False, True),
    ("priority", FieldDataType.Integer, False, True),
    ("requester", FieldDataType.String, True, True),
    ("created_at", FieldDataType.DateTime, False, False),
    ("updated_at", FieldDataType.DateTime, False, False),
]


class ApiFailure(Exception):
    """A failed API call, already mapped to an SDK error code."""

    def __init__(self, code: ErrorCode, message: str, status: int = 0, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.details = ErrorDetails(code, message, retry_after)


def status_code(status: int) -> ErrorCode:
    """SDK error code for an HTTP status from the API."""
    return {400: ErrorCode.InvalidArgument, 401: ErrorCode.InvalidCredentials, 403: ErrorCode.AccessDenied,
            404: ErrorCode.InvalidArgument, 408: ErrorCode.RequestTimeout, 422: ErrorCode.InvalidArgument,
            429: ErrorCode.RateLimitExceeded, 503: ErrorCode.ServiceUnavailable}.get(
        status, ErrorCode.ServerError if status >= 500 else ErrorCode.ClientError)


def api_key(credentials: auth.Credentials | None) -> str:
    """The `apiKey` from the credentials secret."""
    if credentials is None or not credentials.secret_arn:
        raise ApiFailure(ErrorCode.InvalidCredentials, "No credentials secret ARN in the request")
    try:
        secret = boto3.client("secretsmanager").get_secret_value(SecretId=credentials.secret_arn)
        value = json.loads(secret.get("SecretString") or "{}")
    except ClientError as exc:
        code = ErrorCode.ResourceNotFoundError if exc.response["Error"]["Code"] == "ResourceNotFoundException" \
            else ErrorCode.AccessDenied
        raise ApiFailure(code, f"Cannot read secret: {exc}") from exc
    except (BotoCoreError, ValueError) as exc:
        raise ApiFailure(ErrorCode.ServerError, f"Cannot read secret: {exc}") from exc
    key = value.get(auth.API_KEY) if isinstance(value, dict) else None
    if not key:
        raise ApiFailure(ErrorCode.InvalidCredentials, "The secret has no apiKey")
    return str(key)


class Client:
    """The tickets API at `baseUrl`, authenticated with the profile's API key."""

    def __init__(self, runtime_settings: dict[str, Any] | None, credentials: auth.Credentials | None) -> None:
        base = (runtime_settings or {}).get(BASE_URL_KEY)
        if not base:
            raise ApiFailure(ErrorCode.InvalidArgument, f"{BASE_URL_KEY} is required")
        self.base = str(base).rstrip("/")
        self.key = api_key(credentials)

    def call(self, method: str, path: str, query: dict[str, Any] | None = None, body: Any = None) -> Any:
        """The decoded JSON answer; ApiFailure for any HTTP error or transport failure."""
        url = self.base + path + ("?" + urllib.parse.urlencode({k: v for k, v in (query or {}).items() if v})
                                  if query else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {self.key}", "Accept": "application/json", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as answer:
                return json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("message") or exc.reason
            except (ValueError, AttributeError):
                message = exc.reason
            retry = exc.headers.get("Retry-After")
            raise ApiFailure(status_code(exc.code), f"HTTP {exc.code}: {message}", exc.code,
                             int(retry) if retry and retry.isdigit() else None) from exc
        except TimeoutError as exc:
            raise ApiFailure(ErrorCode.RequestTimeout, f"{method} {url} timed out") from exc
        except urllib.error.URLError as exc:
            raise ApiFailure(ErrorCode.ServiceUnavailable, f"{method} {url} failed: {exc.reason}") from exc


def entity() -> Entity:
    """The one entity."""
    return Entity(entity_identifier=ENTITY, has_nested_entities=False, is_writable=True, label="Tickets",
                  description="Support tickets")


def entity_definition() -> EntityDefinition:
    """The tickets fields."""
    fields = [FieldDefinition(
        field_name=name, data_type=data_type, label=name.replace("_", " ").title(), is_primary_key=name == "id",
        read_properties=ReadOperationProperty(is_retrievable=True, is_nullable=nullable, is_queryable=name ==
                                              "updated_at", is_timestamp_field_for_incremental_queries=name ==
                                              "updated_at"),
        write_properties=WriteOperationProperty(is_creatable=creatable, is_updatable=False, is_nullable=nullable,
                                                is_defaulted_on_create=not creatable or nullable,
                                                supported_write_operations=[]),
        filter_operators=[ConnectorOperator.GREATER_THAN, ConnectorOperator.GREATER_THAN_OR_EQUAL_TO]
        if name == "updated_at" else [],
    ) for name, data_type, nullable, creatable in FIELDS]
    return EntityDefinition(entity=entity(), fields=fields)


def describe_configuration() -> responses.DescribeConnectorConfigurationResponse:
    """DescribeConnectorConfiguration: API key auth, `baseUrl`, source and destination (INSERT)."""
    base_url = settings.ConnectorRuntimeSetting(
        key=BASE_URL_KEY, data_type=settings.ConnectorRuntimeSettingDataType.String, required=True,
        label="Base URL", description="Root URL of the tickets API, e.g. http://127.0.0.1:9002",
        scope=settings.ConnectorRuntimeSettingScope.CONNECTOR_PROFILE)
    return responses.DescribeConnectorConfigurationResponse(
        is_success=True, connector_owner="SluiceTests", connector_name="JsonApiTickets", connector_version="1.0",
        connector_modes=[ConnectorModes.SOURCE, ConnectorModes.DESTINATION],
        authentication_config=auth.AuthenticationConfig(is_api_key_auth_supported=True),
        connector_runtime_setting=[base_url], supported_api_versions=["v1"],
        operators_supported=[ConnectorOperator.PROJECTION, ConnectorOperator.GREATER_THAN,
                             ConnectorOperator.GREATER_THAN_OR_EQUAL_TO],
        supported_write_operations=[WriteOperationType.INSERT],
        supported_trigger_types=[TriggerType.ONDEMAND, TriggerType.SCHEDULED])


def _record(ticket: dict[str, Any], names: list[str] | None) -> str:
    return json.dumps({k: ticket.get(k) for k in names} if names else ticket)


class TicketsConfiguration(ConfigurationHandler):
    """Configuration requests."""

    def validate_connector_runtime_settings(self, request: requests.ValidateConnectorRuntimeSettingsRequest) -> \
            responses.ValidateConnectorRuntimeSettingsResponse:
        """`baseUrl` must be an http(s) URL."""
        base = (request.connector_runtime_settings or {}).get(BASE_URL_KEY)
        parsed = urllib.parse.urlsplit(str(base or ""))
        if parsed.scheme in ("http", "https") and parsed.netloc:
            return responses.ValidateConnectorRuntimeSettingsResponse(is_success=True)
        return responses.ValidateConnectorRuntimeSettingsResponse(
            is_success=False, errors_by_input_field={BASE_URL_KEY: "must be an http(s) URL"},
            error_details=ErrorDetails(ErrorCode.InvalidArgument, f"{BASE_URL_KEY} must be an http(s) URL"))

    def validate_credentials(self, request: requests.ValidateCredentialsRequest) -> \
            responses.ValidateCredentialsResponse:
        """One authenticated call (a one-ticket page)."""
        try:
            Client(request.connector_runtime_settings, request.credentials).call("GET", "/v1/tickets", {"limit": 1})
        except ApiFailure as failure:
            return responses.ValidateCredentialsResponse(is_success=False, error_details=failure.details)
        return responses.ValidateCredentialsResponse(is_success=True)

    def describe_connector_configuration(self, request: requests.DescribeConnectorConfigurationRequest) -> \
            responses.DescribeConnectorConfigurationResponse:
        """The static configuration."""
        return describe_configuration()


class TicketsMetadata(MetadataHandler):
    """Metadata requests (static: the API has one resource)."""

    def list_entities(self, request: requests.ListEntitiesRequest) -> responses.ListEntitiesResponse:
        """`tickets` at the root, nothing below it."""
        return responses.ListEntitiesResponse(is_success=True, entities=[] if request.entities_path else [entity()])

    def describe_entity(self, request: requests.DescribeEntityRequest) -> responses.DescribeEntityResponse:
        """The tickets fields, or InvalidArgument for another entity."""
        if request.entity_identifier != ENTITY:
            return responses.DescribeEntityResponse(is_success=False, error_details=ErrorDetails(
                ErrorCode.InvalidArgument, f"Unknown entity {request.entity_identifier}"))
        return responses.DescribeEntityResponse(is_success=True, entity_definition=entity_definition())


class TicketsRecords(RecordHandler):
    """Record requests."""

    def query_data(self, request: requests.QueryDataRequest) -> responses.QueryDataResponse:
        """One API page per call; `nextToken` is the API's page token."""
        since, strict = None, False
        if request.filter_expression:
            match = FILTER.match(request.filter_expression)
            if not match:
                return responses.QueryDataResponse(is_success=False, error_details=ErrorDetails(
                    ErrorCode.InvalidArgument, f"Unsupported filter: {request.filter_expression}"))
            strict, since = match.group(1) == ">", match.group(2).split(".")[0].rstrip("Z") + "Z"
        try:
            client = Client(request.connector_context.connector_runtime_settings,
                            request.connector_context.credentials)
            page = client.call("GET", "/v1/tickets", {"limit": min(PAGE_LIMIT, max(1, request.max_results or 1)),
                                                      "page_token": request.next_token, "updated_since": since})
        except ApiFailure as failure:
            return responses.QueryDataResponse(is_success=False, error_details=failure.details)
        tickets = [t for t in page["tickets"] if not (strict and t["updated_at"] == since)]
        return responses.QueryDataResponse(is_success=True, next_token=page.get("next_page_token"),
                                           records=[_record(t, request.selected_field_names) for t in tickets])

    def retrieve_data(self, request: requests.RetrieveDataRequest) -> responses.RetrieveDataResponse:
        """GET each id; ids the API does not know are left out."""
        records = []
        try:
            client = Client(request.connector_context.connector_runtime_settings,
                            request.connector_context.credentials)
            for ticket_id in request.ids or []:
                try:
                    ticket = client.call("GET", f"/v1/tickets/{urllib.parse.quote(str(ticket_id))}")
                except ApiFailure as failure:
                    if failure.status == 404:
                        continue
                    raise
                records.append(_record(ticket, request.selected_field_names))
        except ApiFailure as failure:
            return responses.RetrieveDataResponse(is_success=False, error_details=failure.details)
        return responses.RetrieveDataResponse(is_success=True, records=records)

    def write_data(self, request: requests.WriteDataRequest) -> responses.WriteDataResponse:
        """POST each record; a 422 fails that record only, a 401 the whole request."""
        if request.operation not in (None, WriteOperationType.INSERT):
            return responses.WriteDataResponse(is_success=False, error_details=ErrorDetails(
                ErrorCode.InvalidArgument, f"{request.operation.name} is not supported; only INSERT"))
        results = []
        try:
            client = Client(request.connector_context.connector_runtime_settings,
                            request.connector_context.credentials)
            for raw in request.records or []:
                try:
                    created = client.call("POST", "/v1/tickets", body=json.loads(raw))
                    results.append(WriteRecordResult(is_success=True, record_id=str(created["id"])))
                except ApiFailure as failure:
                    if failure.status == 401:
                        raise
                    results.append(WriteRecordResult(is_success=False, record_id=None, error_message=str(failure)))
                except ValueError as exc:
                    results.append(WriteRecordResult(is_success=False, record_id=None,
                                                     error_message=f"Record is not JSON: {exc}"))
        except ApiFailure as failure:
            return responses.WriteDataResponse(is_success=False, error_details=failure.details)
        failed = sum(not r.is_success for r in results)
        details = ErrorDetails(ErrorCode.PartialWriteFailure, f"{failed} of {len(results)} records failed") \
            if failed else None
        return responses.WriteDataResponse(is_success=not failed, error_details=details, write_record_results=results)


HANDLER = BaseLambdaConnectorHandler(TicketsMetadata(), TicketsRecords(), TicketsConfiguration())


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return HANDLER.lambda_handler(event, context)
