"""Configuration handler: the connector's self-description, credential and runtime-setting checks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import custom_connector_sdk.lambda_handler.requests as requests
import custom_connector_sdk.lambda_handler.responses as responses
from custom_connector_sdk.connector import auth, settings
from custom_connector_sdk.connector.configuration import (
    ConnectorModes,
    ConnectorOperator,
    TriggerFrequency,
    TriggerType,
)
from custom_connector_sdk.connector.fields import WriteOperationType
from custom_connector_sdk.lambda_handler.handlers import ConfigurationHandler
from custom_connector_sdk.lambda_handler.responses import ErrorCode, ErrorDetails
from database import (
    API_TOKEN_KEY,
    DATABASE_PATH_KEY,
    FOLDER_VARIABLE,
    ConnectorFailure,
    check_token,
    confined_path,
    connect,
    read_secret,
    token_from_secret,
)

CONNECTOR_OWNER = "Sluice"
CONNECTOR_NAME = "SluiceSqliteExample"
CONNECTOR_VERSION = "1.0"
API_VERSION = "v1"
CUSTOM_AUTH_TYPE = "ApiToken"
# The row filters query.py translates, plus projection (field selection).
OPERATORS = [
    ConnectorOperator.PROJECTION,
    ConnectorOperator.LESS_THAN,
    ConnectorOperator.GREATER_THAN,
    ConnectorOperator.BETWEEN,
    ConnectorOperator.LESS_THAN_OR_EQUAL_TO,
    ConnectorOperator.GREATER_THAN_OR_EQUAL_TO,
    ConnectorOperator.EQUAL_TO,
    ConnectorOperator.NOT_EQUAL_TO,
    ConnectorOperator.CONTAINS,
]
WRITE_OPERATIONS = [WriteOperationType.INSERT, WriteOperationType.UPDATE, WriteOperationType.UPSERT,
                    WriteOperationType.DELETE]


def describe() -> responses.DescribeConnectorConfigurationResponse:
    """The DescribeConnectorConfiguration answer."""
    database_setting = settings.ConnectorRuntimeSetting(
        key=DATABASE_PATH_KEY,
        data_type=settings.ConnectorRuntimeSettingDataType.String,
        required=False,
        label="Database path",
        description=f"Name of the SQLite database file in the connector's databases folder (${FOLDER_VARIABLE}); "
                    "built from the shipped shop.sql when it does not exist. Default: the shipped shop database.",
        scope=settings.ConnectorRuntimeSettingScope.CONNECTOR_PROFILE,
    )
    token_parameter = auth.AuthParameter(key=API_TOKEN_KEY, required=True, label="API token",
                                         description="Token the shop database accepts", sensitive_field=True)
    authentication = auth.AuthenticationConfig(
        is_basic_auth_supported=False, is_api_key_auth_supported=False, is_oauth_2_supported=False,
        is_custom_auth_supported=True,
        custom_auth_config=[auth.CustomAuthConfig(authentication_type=CUSTOM_AUTH_TYPE,
                                                  auth_parameters=[token_parameter])],
    )
    return responses.DescribeConnectorConfigurationResponse(
        is_success=True,
        connector_owner=CONNECTOR_OWNER,
        connector_name=CONNECTOR_NAME,
        connector_version=CONNECTOR_VERSION,
        connector_modes=[ConnectorModes.SOURCE, ConnectorModes.DESTINATION],
        authentication_config=authentication,
        connector_runtime_setting=[database_setting],
        supported_api_versions=[API_VERSION],
        operators_supported=OPERATORS,
        trigger_frequencies_supported=list(TriggerFrequency),
        supported_trigger_types=[TriggerType.SCHEDULED, TriggerType.ONDEMAND],
        supported_write_operations=WRITE_OPERATIONS,
    )


def database_path_error(value: object) -> str | None:
    """Why `databasePath` is unusable, or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return "databasePath must be a string"
    try:
        path = confined_path(value)
    except ValueError as exc:
        return str(exc)
    if path.is_dir():
        return f"{value} is a directory"
    if not path.exists():
        return None if path.parent.is_dir() else f"Folder {Path(value).parent} does not exist"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return f"{value} is not a SQLite database: {exc}"
    return None


class SqliteConfigurationHandler(ConfigurationHandler):
    """DescribeConnectorConfiguration, ValidateCredentials and ValidateConnectorRuntimeSettings."""

    def validate_connector_runtime_settings(self, request: requests.ValidateConnectorRuntimeSettingsRequest) -> \
            responses.ValidateConnectorRuntimeSettingsResponse:
        """Check `databasePath` (the only setting; profile scope)."""
        errors = {}
        runtime_settings = request.connector_runtime_settings or {}
        error = database_path_error(runtime_settings.get(DATABASE_PATH_KEY))
        if error:
            errors[DATABASE_PATH_KEY] = error
        if errors:
            details = ErrorDetails(ErrorCode.InvalidArgument, "; ".join(errors.values()))
            return responses.ValidateConnectorRuntimeSettingsResponse(is_success=False, errors_by_input_field=errors,
                                                                      error_details=details)
        return responses.ValidateConnectorRuntimeSettingsResponse(is_success=True)

    def validate_credentials(self, request: requests.ValidateCredentialsRequest) -> \
            responses.ValidateCredentialsResponse:
        """Read the token from the secret and check it against the database."""
        try:
            secret = read_secret(request.credentials.secret_arn if request.credentials else None)
            conn = connect(request.connector_runtime_settings)
            try:
                check_token(token_from_secret(secret), conn)
            finally:
                conn.close()
        except ConnectorFailure as failure:
            return responses.ValidateCredentialsResponse(is_success=False, error_details=failure.details)
        return responses.ValidateCredentialsResponse(is_success=True)

    def describe_connector_configuration(self, request: requests.DescribeConnectorConfigurationRequest) -> \
            responses.DescribeConnectorConfigurationResponse:
        """The connector's configuration (the same for every locale)."""
        return describe()
