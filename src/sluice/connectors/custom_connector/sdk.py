"""The AppFlow Custom Connector SDK's wire shapes, as plain dicts.

A custom connector's Lambda takes a request dict (`{"type": "QueryDataRequest", ...}`, what the
SDK's `requests.*.from_dict` read) and answers a response dict (what `responses.*.to_dict` write,
camelCase). Sluice never imports the SDK at run time - it is a test dependency only - so the key
names live here, checked against the SDK by `tests/unit/connectors/custom_connector/test_sdk.py`.

`connector_configuration` turns a connector's `DescribeConnectorConfigurationResponse` into the
AppFlow `ConnectorConfiguration` that `DescribeConnector` returns for the registration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from sluice.connectors.base import ConnectorError
from sluice.connectors.configuration import TASK_OPERATORS, destinations_for

CONNECTOR_TYPE = "CustomConnector"

# Request types (`event["type"]`), as `BaseLambdaConnectorHandler.lambda_handler` dispatches them.
VALIDATE_CONNECTOR_RUNTIME_SETTINGS = "ValidateConnectorRuntimeSettingsRequest"
VALIDATE_CREDENTIALS = "ValidateCredentialsRequest"
DESCRIBE_CONNECTOR_CONFIGURATION = "DescribeConnectorConfigurationRequest"
LIST_ENTITIES = "ListEntitiesRequest"
DESCRIBE_ENTITY = "DescribeEntityRequest"
RETRIEVE_DATA = "RetrieveDataRequest"
WRITE_DATA = "WriteDataRequest"
QUERY_DATA = "QueryDataRequest"
REQUEST_TYPES = frozenset(
    {
        VALIDATE_CONNECTOR_RUNTIME_SETTINGS,
        VALIDATE_CREDENTIALS,
        DESCRIBE_CONNECTOR_CONFIGURATION,
        LIST_ENTITIES,
        DESCRIBE_ENTITY,
        RETRIEVE_DATA,
        WRITE_DATA,
        QUERY_DATA,
    }
)

# The SDK's `ErrorCode` names -> the codes Sluice's `ConnectorError` uses (see
# `sluice.service.connector_errors`). Codes Sluice already speaks pass through unchanged.
_ERROR_CODES: Mapping[str, str] = {
    "InvalidArgument": "InvalidArgument",
    "InvalidCredentials": "InvalidCredentials",
    "AccessDenied": "AccessDenied",
    "RequestTimeout": "ConnectorTimeout",
    "RateLimitExceeded": "ThrottlingError",
    "ServiceUnavailable": "ServerError",
    "ClientError": "ClientError",
    "ServerError": "ServerError",
    "UnknownError": "ServerError",
    "PartialWriteFailure": "PartialWriteFailure",
    "ResourceNotFoundError": "ResourceNotFound",
    "ResourceNotFound": "ResourceNotFound",
    "ThrottlingError": "ThrottlingError",
    "ConnectorTimeout": "ConnectorTimeout",
    "Unauthorized": "InvalidCredentials",
    "ValidationError": "InvalidArgument",
}

# SDK enum names -> AppFlow model enum values.
_TRIGGER_TYPES: Mapping[str, str] = {"SCHEDULED": "Scheduled", "ONDEMAND": "OnDemand", "EVENT": "Event"}
_FREQUENCIES = ("BYMINUTE", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "ONCE")
_OPERATORS = (
    "PROJECTION",
    "LESS_THAN",
    "GREATER_THAN",
    "CONTAINS",
    "BETWEEN",
    "LESS_THAN_OR_EQUAL_TO",
    "GREATER_THAN_OR_EQUAL_TO",
    "EQUAL_TO",
    "NOT_EQUAL_TO",
    "ADDITION",
    "MULTIPLICATION",
    "DIVISION",
    "SUBTRACTION",
    "MASK_ALL",
    "MASK_FIRST_N",
    "MASK_LAST_N",
    "VALIDATE_NON_NULL",
    "VALIDATE_NON_ZERO",
    "VALIDATE_NON_NEGATIVE",
    "VALIDATE_NUMERIC",
    "NO_OP",
)
_WRITE_OPERATIONS = ("INSERT", "UPSERT", "UPDATE", "DELETE")
_GRANT_TYPES = ("CLIENT_CREDENTIALS", "AUTHORIZATION_CODE", "JWT_BEARER")


def check(response: Mapping[str, Any], operation: str) -> dict[str, Any]:
    """`response` as a dict if the connector says it succeeded; else its error as a ConnectorError."""
    if not isinstance(response, Mapping) or not isinstance(response.get("isSuccess"), bool):
        raise ConnectorError(
            "ServerError", f"the connector answered {operation} with something that is not an SDK response"
        )
    if response["isSuccess"]:
        return dict(response)
    details = response.get("errorDetails")
    details = details if isinstance(details, Mapping) else {}
    sdk_code = details.get("errorCode")
    code = _ERROR_CODES.get(sdk_code, "ServerError") if isinstance(sdk_code, str) else "ServerError"
    message = details.get("errorMessage")
    if not isinstance(message, str) or not message:
        message = f"{operation} failed ({sdk_code or 'no error details'})"
    # ValidateConnectorRuntimeSettings names the bad settings here rather than in errorDetails.
    by_field = response.get("errorsByInputField")
    if isinstance(by_field, Mapping) and by_field:
        message += " (" + "; ".join(f"{key}: {value}" for key, value in by_field.items()) + ")"
    retry = details.get("retryAfterSeconds")
    retry_after = float(retry) if isinstance(retry, int | float) and not isinstance(retry, bool) else None
    raise ConnectorError(code, message, retry_after=retry_after)


def request(type_name: str, **fields: Any) -> dict[str, Any]:
    """A request event: `{"type": type_name, **fields}`, dropping fields that are None.

    Field names are the SDK's camelCase keys (`entityIdentifier`, `connectorContext`, `maxResult`
    for ListEntities but `maxResults` for QueryData, `selectedFieldNames`, `filterExpression`,
    `nextToken`, `idFieldNames`, `records`, `allOrNone`, `operation`, `credentials`,
    `connectorRuntimeSettings`, `scope`, `locale`, `entitiesPath`, `idFieldName`, `ids`).
    """
    if type_name not in REQUEST_TYPES:
        raise ValueError(f"{type_name!r} is not a custom connector SDK request type")
    return {"type": type_name, **{key: value for key, value in fields.items() if value is not None}}


def connector_context(
    *,
    runtime_settings: Mapping[str, Any] | None,
    credentials_arn: str | None,
    authentication_type: str | None,
    api_version: str | None,
    entity_definition: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A `ConnectorContext` dict, as `ConnectorContext.from_dict` reads it.

    The SDK's `Credentials.from_dict` looks `authenticationType` up in its enum unconditionally, so
    credentials are left out entirely when there is no authentication type to give.
    """
    context: dict[str, Any] = {"connectorRuntimeSettings": dict(runtime_settings or {}), "apiVersion": api_version}
    if authentication_type:
        context["credentials"] = {"secretArn": credentials_arn, "authenticationType": authentication_type}
    if entity_definition is not None:
        context["entityDefinition"] = dict(entity_definition)
    return context


def describe_configuration_request() -> dict[str, Any]:
    """The request a registration sends to learn what the connector is."""
    return {"type": DESCRIBE_CONNECTOR_CONFIGURATION, "locale": "en-US"}


def connector_configuration(response: Mapping[str, Any]) -> dict[str, Any]:
    """AppFlow's `ConnectorConfiguration` for a `DescribeConnectorConfigurationResponse` dict.

    Raises ConnectorError("ServerError", ...) naming what is missing when the answer is not a
    connector configuration, and the connector's own error when it answered `isSuccess: false`.
    Registration facts (label, ARN, provisioning, registeredAt/By) are the caller's to add.
    """
    if not isinstance(response, Mapping):
        _garbage(f"a {type(response).__name__}, not an object")
    check(response, "DescribeConnectorConfiguration")
    missing = [key for key in ("connectorName", "connectorVersion", "connectorModes") if not response.get(key)]
    if missing:
        _garbage("no " + ", ".join(missing))
    modes = _names(response, "connectorModes", ("SOURCE", "DESTINATION"))
    if not modes:
        _garbage("connectorModes names neither SOURCE nor DESTINATION")
    source, destination = "SOURCE" in modes, "DESTINATION" in modes
    frequencies = _names(response, ("triggerFrequenciesSupported", "triggerFrequencies"), _FREQUENCIES, _FREQUENCIES)
    triggers = [
        _TRIGGER_TYPES[name]
        for name in _names(response, "supportedTriggerTypes", tuple(_TRIGGER_TYPES), ("SCHEDULED", "ONDEMAND"))
    ]
    config: dict[str, Any] = {
        "canUseAsSource": source,
        "canUseAsDestination": destination,
        "supportedDestinationConnectors": destinations_for(CONNECTOR_TYPE) if source else [],
        "supportedSchedulingFrequencies": frequencies if source and "Scheduled" in triggers else [],
        "isPrivateLinkEnabled": False,
        "isPrivateLinkEndpointUrlRequired": False,
        "supportedTriggerTypes": triggers if source else [],
        "connectorMetadata": {},
        "connectorType": CONNECTOR_TYPE,
        "connectorDescription": _text(response.get("connectorDescription"))
        or f"{_text(response['connectorName'])} (custom connector)",
        "connectorOwner": _text(response.get("connectorOwner")) or None,
        "connectorName": _text(response["connectorName"]),
        "connectorVersion": _text(response["connectorVersion"]),
        "connectorModes": [mode for mode in ("SOURCE", "DESTINATION") if mode in modes],
        "authenticationConfig": _authentication(response.get("authenticationConfig")),
        "connectorRuntimeSettings": [
            _runtime_setting(setting)
            for setting in _list(response, ("connectorRuntimeSettings", "connectorRuntimeSetting"))
        ],
        "supportedApiVersions": [_text(v) for v in _list(response, "supportedApiVersions") if v is not None],
        # The connector states the filter operators it evaluates; the task operators (arithmetic,
        # masking, validation, NO_OP) run in Sluice's engine, so every source has them, as in AppFlow.
        "supportedOperators": _with_task_operators(
            _names(response, "operatorsSupported", _OPERATORS, _OPERATORS)) if source else [],
        "supportedWriteOperations": (
            _names(response, "supportedWriteOperations", _WRITE_OPERATIONS, _WRITE_OPERATIONS) or ["INSERT"]
            if destination
            else []
        ),
        "connectorProvisioningType": "LAMBDA",
        "logoURL": _text(response.get("logoURL")) or None,
        "supportedDataTransferTypes": ["RECORD"],
    }
    return {key: value for key, value in config.items() if value is not None}


def _garbage(what: str) -> NoReturn:
    raise ConnectorError(
        "ServerError", f"the connector answered something that is not a connector configuration: {what}"
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _list(source: Mapping[str, Any], keys: str | tuple[str, ...]) -> list[Any]:
    """The first of `keys` present, as a list (None -> []); garbage when it is not a list."""
    for key in (keys,) if isinstance(keys, str) else keys:
        if key in source and source[key] is not None:
            value = source[key]
            if not isinstance(value, list):
                _garbage(f"{key} is a {type(value).__name__}, not a list")
            return value
    return []


def _names(
    source: Mapping[str, Any], keys: str | tuple[str, ...], allowed: Iterable[str], default: Iterable[str] = ()
) -> list[str]:
    """An enum list, validated; `default` when absent (the SDK's defaults are "all of them")."""
    values = _list(source, keys)
    if not values:
        present = any(k in source and source[k] is not None for k in ((keys,) if isinstance(keys, str) else keys))
        return [] if present else list(default)
    allowed_set = set(allowed)
    names = [_text(v).upper() if _text(v).upper() in allowed_set else _text(v) for v in values]
    unknown = [name for name in names if name not in allowed_set]
    if unknown:
        key = keys if isinstance(keys, str) else keys[0]
        _garbage(f"{key} has unknown values {unknown}")
    return list(dict.fromkeys(names))


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _authentication(auth: Any) -> dict[str, Any]:
    if auth is None:
        # The SDK always writes one; a hand-written handler may not: then it declares no scheme.
        return {
            "isBasicAuthSupported": False,
            "isApiKeyAuthSupported": False,
            "isOAuth2Supported": False,
            "isCustomAuthSupported": False,
        }
    if not isinstance(auth, Mapping):
        _garbage("authenticationConfig is not an object")
    config: dict[str, Any] = {
        "isBasicAuthSupported": _flag(auth.get("isBasicAuthSupported")),
        "isApiKeyAuthSupported": _flag(auth.get("isApiKeyAuthSupported")),
        "isOAuth2Supported": _flag(auth.get("isOAuth2Supported")),
        "isCustomAuthSupported": _flag(auth.get("isCustomAuthSupported")),
    }
    defaults = auth.get("oAuth2Defaults")
    if isinstance(defaults, Mapping):
        config["oAuth2Defaults"] = _oauth2_defaults(defaults)
    custom = _list(auth, ("customAuthConfig", "customAuthConfigs"))
    if custom:
        config["customAuthConfigs"] = [_custom_auth(item) for item in custom]
    return config


def _oauth2_defaults(defaults: Mapping[str, Any]) -> dict[str, Any]:
    grants = _names(defaults, ("oAuth2GrantTypesSupported", "oauth2GrantTypesSupported"), _GRANT_TYPES)
    out: dict[str, Any] = {
        "oauthScopes": [_text(s) for s in _list(defaults, ("oAuthScopes", "oauthScopes"))],
        "tokenUrls": [_text(u) for u in _list(defaults, ("tokenURL", "tokenUrls", "tokenUrl"))],
        "authCodeUrls": [_text(u) for u in _list(defaults, ("authURL", "authCodeUrls", "authUrl"))],
        "oauth2GrantTypesSupported": grants,
    }
    custom = _list(defaults, ("oAuth2CustomProperties", "oauth2CustomProperties"))
    if custom:
        out["oauth2CustomProperties"] = [_oauth2_custom_property(item) for item in custom]
    return out


def _parameter(item: Any, what: str) -> dict[str, Any]:
    """An `AuthParameter`-like dict: the SDK's `required`/`sensitiveField` -> the model's `is...`."""
    if not isinstance(item, Mapping) or not item.get("key"):
        _garbage(f"{what} without a key")
    param: dict[str, Any] = {
        "key": _text(item["key"]),
        "isRequired": _flag(item.get("required", item.get("isRequired"))),
        "label": _text(item.get("label")) or _text(item["key"]),
        "description": _text(item.get("description")),
        "isSensitiveField": _flag(item.get("sensitiveField", item.get("isSensitiveField"))),
    }
    values = _list(item, "connectorSuppliedValues")
    if values:
        param["connectorSuppliedValues"] = [_text(v) for v in values]
    return param


def _oauth2_custom_property(item: Any) -> dict[str, Any]:
    param = _parameter(item, "an oAuth2CustomProperties entry")
    kind = _text(item.get("type")).rsplit(".", 1)[-1].upper()  # tolerate "OAuth2CustomPropType.TOKEN_URL"
    if kind in ("TOKEN_URL", "AUTH_URL"):
        param["type"] = kind
    return param


def _custom_auth(item: Any) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        _garbage("a customAuthConfig entry is not an object")
    name = item.get("authenticationType", item.get("customAuthenticationType"))
    if not name:
        _garbage("a customAuthConfig entry without authenticationType")
    return {
        "customAuthenticationType": _text(name),
        "authParameters": [_parameter(p, "an authParameters entry") for p in _list(item, "authParameters")],
    }


def _runtime_setting(item: Any) -> dict[str, Any]:
    if not isinstance(item, Mapping) or not item.get("key"):
        _garbage("a connectorRuntimeSetting without a key")
    setting: dict[str, Any] = {
        "key": _text(item["key"]),
        "dataType": _text(item.get("dataType")) or "String",
        "isRequired": _flag(item.get("required", item.get("isRequired"))),
        "label": _text(item.get("label")) or _text(item["key"]),
        "description": _text(item.get("description")),
        "scope": _text(item.get("scope")) or "CONNECTOR_PROFILE",
    }
    options = _list(item, "connectorSuppliedValueOptions")
    if options:
        setting["connectorSuppliedValueOptions"] = [_text(v) for v in options]
    return setting


def _with_task_operators(operators: list[str]) -> list[str]:
    """A connector's filter operators followed by the engine's task operators."""
    return operators + [op for op in TASK_OPERATORS if op not in operators]
