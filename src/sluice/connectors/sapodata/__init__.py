"""SAP OData (connectors layer): source and destination, basic or OAuth 2.0, PrivateLink.

`SAPODataConnectorProfileProperties.privateLinkServiceName` is how a private SAP system is
reached, hence `isPrivateLinkEndpointUrlRequired`.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)

CONNECTOR_TYPE = "SAPOData"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="SAP OData",
    description="SAP systems through OData services",
    metadata={"SAPOData": {}},
    source=True,
    destination=True,
    triggers=ON_DEMAND_AND_SCHEDULED,
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
    write_operations=("INSERT", "UPSERT", "UPDATE"),
    authentication_config=authentication(basic=True, oauth2=True),
    private_link=True,
    private_link_url_required=True,
)

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES)
