"""Salesforce (connectors layer): source and destination, and the one built-in event source.

Event triggers follow the Salesforce example in the DescribeConnector reference
(`supportedTriggerTypes: Scheduled, OnDemand, Event`); the data transfer APIs and grant types are
the `SalesforceDataTransferApi` and `OAuth2GrantType` enums the reference documents for Salesforce.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import ALL_FREQUENCIES, TASK_OPERATORS, connector_configuration, oauth2
from sluice.connectors.lazy import lazy

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


SPEC = ConnectorSpec(
    connector_type=CONNECTOR_TYPE,
    capabilities=CAPABILITIES,
    load_metadata=lazy("sluice.connectors.salesforce.metadata:SalesforceMetadata"),
    open_source=lazy("sluice.connectors.salesforce.source:SalesforceSource"),
    open_destination=lazy("sluice.connectors.salesforce.destination:SalesforceDestination"),
    cleanup_destination=lazy("sluice.connectors.salesforce.destination:cleanup_staging"),
    check_profile=lazy("sluice.connectors.salesforce.auth:check_profile"),
    open_events=lazy("sluice.connectors.salesforce.streaming:ChangeEventStream"),
    entities_fixed=True,  # an sObject exists in the org's schema before any record does
    vendor_hosts=lazy("sluice.connectors.salesforce.settings:vendor_hosts"),
)
