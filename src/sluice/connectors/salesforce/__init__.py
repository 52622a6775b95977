"""Salesforce (connectors layer): source and destination, and the one built-in event source.

Event triggers follow the Salesforce example in the DescribeConnector reference
(`supportedTriggerTypes: Scheduled, OnDemand, Event`); the data transfer APIs and grant types are
the `SalesforceDataTransferApi` and `OAuth2GrantType` enums the reference documents for Salesforce.
"""

from collections.abc import Mapping
from typing import Any

from sluice.connectors.aws_identity import AwsIdentity
from sluice.connectors.base import (
    ConnectorSpec,
    Destination,
    EventContext,
    EventStream,
    MetadataProvider,
    ProfileView,
    RunContext,
    Source,
)
from sluice.connectors.configuration import ALL_FREQUENCIES, TASK_OPERATORS, connector_configuration, oauth2

CONNECTOR_TYPE = "Salesforce"

_SCOPES = ["api", "refresh_token", "id"]
_GRANT_TYPES = ["AUTHORIZATION_CODE", "CLIENT_CREDENTIALS", "JWT_BEARER"]

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Salesforce",
    description="Salesforce CRM objects, change events and platform events",
    metadata={
        "Salesforce": {
            "oAuthScopes": _SCOPES,
            "dataTransferApis": ["AUTOMATIC", "BULKV2", "REST_SYNC"],
            "oauth2GrantTypesSupported": _GRANT_TYPES,
        }
    },
    source=True,
    destination=True,
    triggers=("Scheduled", "OnDemand", "Event"),
    frequencies=ALL_FREQUENCIES,
    operators=(
        "PROJECTION",
        "LESS_THAN",
        "CONTAINS",
        "GREATER_THAN",
        "BETWEEN",
        "LESS_THAN_OR_EQUAL_TO",
        "GREATER_THAN_OR_EQUAL_TO",
        "EQUAL_TO",
        "NOT_EQUAL_TO",
        *TASK_OPERATORS,
    ),
    write_operations=("INSERT", "UPSERT", "UPDATE", "DELETE"),
    authentication_config=oauth2(
        scopes=_SCOPES,
        grant_types=_GRANT_TYPES,
        token_urls=(
            "https://login.salesforce.com/services/oauth2/token",
            "https://test.salesforce.com/services/oauth2/token",
        ),
        auth_code_urls=(
            "https://login.salesforce.com/services/oauth2/authorize",
            "https://test.salesforce.com/services/oauth2/authorize",
        ),
    ),
    # SalesforceConnectorProfileProperties.usePrivateLinkForMetadataAndAuthorization
    private_link=True,
    transfer_apis=(
        {"Name": "AUTOMATIC", "Type": "AUTOMATIC"},
        {"Name": "BULKV2", "Type": "ASYNC"},
        {"Name": "REST_SYNC", "Type": "SYNC"},
    ),
)



def _load_metadata() -> MetadataProvider:
    from sluice.connectors.salesforce.metadata import SalesforceMetadata

    return SalesforceMetadata()


def _open_source(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Source:
    from sluice.connectors.salesforce.source import SalesforceSource

    return SalesforceSource(profile, props, ctx)


def _open_destination(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Destination:
    from sluice.connectors.salesforce.destination import SalesforceDestination

    return SalesforceDestination(profile, props, ctx)


def _cleanup_destination(
    props: Mapping[str, Any], data_dir: str, execution_id: str, aws: AwsIdentity | None = None
) -> None:
    from sluice.connectors.salesforce.destination import cleanup_staging

    cleanup_staging(props, data_dir, execution_id, aws)


def _check_profile(profile: ProfileView) -> Mapping[str, Any]:
    from sluice.connectors.salesforce.auth import check_profile

    return check_profile(profile)


def _vendor_hosts() -> tuple[str, ...]:
    from sluice.connectors.salesforce.settings import vendor_hosts

    return vendor_hosts()


def _open_events(profile: ProfileView, props: Mapping[str, Any], ctx: EventContext) -> EventStream:
    from sluice.connectors.salesforce.streaming import ChangeEventStream

    return ChangeEventStream(profile, props, ctx)


SPEC = ConnectorSpec(
    connector_type=CONNECTOR_TYPE,
    capabilities=CAPABILITIES,
    load_metadata=_load_metadata,
    open_source=_open_source,
    open_destination=_open_destination,
    cleanup_destination=_cleanup_destination,
    check_profile=_check_profile,
    open_events=_open_events,
    entities_fixed=True,  # an sObject exists in the org's schema before any record does
    vendor_hosts=_vendor_hosts,
)
