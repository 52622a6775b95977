"""Shared vocabulary for the per-type `CAPABILITIES` declarations (connectors layer).

Each `sluice/connectors/<name>/__init__.py` builds its AppFlow `ConnectorConfiguration` with
`connector_configuration(...)`, so every catalog entry has the same keys in the same order and
no entry can misspell a member. The facts themselves (which roles, operators, destinations)
stay in each package; `sluice.connectors.registry` explains where they come from.

Imports nothing heavy: the registry imports every connector package at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# `ScheduleFrequencyType`, in the model's order.
ALL_FREQUENCIES: tuple[str, ...] = ("BYMINUTE", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "ONCE")
# Sources that AppFlow schedules at most hourly (Marketo, per the DescribeConnectors example).
HOURLY_AND_SLOWER: tuple[str, ...] = ALL_FREQUENCIES[1:]
# Sources whose reporting APIs aggregate by day.
DAILY_AND_SLOWER: tuple[str, ...] = ALL_FREQUENCIES[2:]

ON_DEMAND_AND_SCHEDULED: tuple[str, ...] = ("Scheduled", "OnDemand")

# The task operators (arithmetic, masking, validation, no-op) that every `<Type>ConnectorOperator`
# enum except Amplitude's and Google Analytics' ends with, in the model's order.
TASK_OPERATORS: tuple[str, ...] = (
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

# Destinations that accept records from any source: the members of
# `DestinationConnectorProperties` that are general-purpose stores or SaaS write-backs.
GENERAL_DESTINATIONS: tuple[str, ...] = (
    "S3",
    "Redshift",
    "Snowflake",
    "Salesforce",
    "Upsolver",
    "Zendesk",
    "Marketo",
    "SAPOData",
    "CustomConnector",
)

# Destinations that only some sources feed (see `destinations_for`).
_RESTRICTED_DESTINATIONS: Mapping[str, frozenset[str]] = {
    # Amazon EventBridge receives Salesforce events (event-triggered flows) as partner events.
    # S3 is Sluice's addition (AppFlow documents Salesforce only): it replays files as events.
    "EventBridge": frozenset({"Salesforce", "S3"}),
    # Amazon Lookout for Metrics' AppFlow data sources.
    "LookoutMetrics": frozenset(
        {
            "Amplitude",
            "Dynatrace",
            "Googleanalytics",
            "Marketo",
            "Salesforce",
            "Servicenow",
            "Singular",
            "Zendesk",
        }
    ),
    # Amazon Connect Customer Profiles `SourceFlowConfig.ConnectorType` valid values.
    "CustomerProfiles": frozenset({"Salesforce", "Marketo", "Zendesk", "Servicenow", "S3"}),
    # Amazon Honeycode imports from the CRM/helpdesk sources.
    "Honeycode": frozenset({"Salesforce", "Zendesk"}),
}


def destinations_for(source_type: str) -> list[str]:
    """The `supportedDestinationConnectors` of a source type."""
    restricted = [dest for dest, sources in _RESTRICTED_DESTINATIONS.items() if source_type in sources]
    return [*GENERAL_DESTINATIONS, *restricted]


def oauth2(
    scopes: Iterable[str] = (),
    grant_types: Iterable[str] = ("AUTHORIZATION_CODE",),
    token_urls: Iterable[str] = (),
    auth_code_urls: Iterable[str] = (),
) -> dict[str, Any]:
    """An `AuthenticationConfig` for a connector that authenticates with OAuth 2.0."""
    defaults: dict[str, Any] = {"oauth2GrantTypesSupported": list(grant_types)}
    if scopes:
        defaults["oauthScopes"] = list(scopes)
    if token_urls:
        defaults["tokenUrls"] = list(token_urls)
    if auth_code_urls:
        defaults["authCodeUrls"] = list(auth_code_urls)
    return {
        "isBasicAuthSupported": False,
        "isApiKeyAuthSupported": False,
        "isOAuth2Supported": True,
        "isCustomAuthSupported": False,
        "oAuth2Defaults": defaults,
    }


def authentication(
    *, basic: bool = False, api_key: bool = False, oauth2: bool = False, custom: bool = False
) -> dict[str, Any]:
    """An `AuthenticationConfig` naming the supported schemes (no OAuth defaults)."""
    return {
        "isBasicAuthSupported": basic,
        "isApiKeyAuthSupported": api_key,
        "isOAuth2Supported": oauth2,
        "isCustomAuthSupported": custom,
    }


def connector_configuration(
    *,
    connector_type: str,
    name: str,
    description: str,
    metadata: Mapping[str, Any],
    source: bool,
    destination: bool,
    triggers: Iterable[str] = (),
    frequencies: Iterable[str] = (),
    operators: Iterable[str] = (),
    write_operations: Iterable[str] = (),
    authentication_config: Mapping[str, Any] | None = None,
    private_link: bool = False,
    private_link_url_required: bool = False,
    transfer_types: Iterable[str] = ("RECORD",),
    transfer_apis: Iterable[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """One `ConnectorConfiguration` dict, keys in the model's member order.

    A destination-only type gets empty trigger, frequency and destination lists: in AppFlow the
    source decides how a flow runs. Members with nothing to say are left out, which is how the
    serializer would write `None` anyway.
    """
    modes = [mode for mode, on in (("SOURCE", source), ("DESTINATION", destination)) if on]
    config: dict[str, Any] = {
        "canUseAsSource": source,
        "canUseAsDestination": destination,
        "supportedDestinationConnectors": destinations_for(connector_type) if source else [],
        "supportedSchedulingFrequencies": list(frequencies) if source else [],
        "isPrivateLinkEnabled": private_link,
        "isPrivateLinkEndpointUrlRequired": private_link_url_required,
        "supportedTriggerTypes": list(triggers) if source else [],
        "connectorMetadata": dict(metadata),
        "connectorType": connector_type,
        "connectorDescription": description,
        "connectorOwner": "AWS",
        "connectorName": name,
        "connectorModes": modes,
    }
    if authentication_config is not None:
        config["authenticationConfig"] = dict(authentication_config)
    if source:
        config["supportedOperators"] = list(operators)
    if destination:
        config["supportedWriteOperations"] = list(write_operations) or ["INSERT"]
    config["supportedDataTransferTypes"] = list(transfer_types)
    apis = [dict(api) for api in transfer_apis]
    if apis:
        config["supportedDataTransferApis"] = apis
    return config
