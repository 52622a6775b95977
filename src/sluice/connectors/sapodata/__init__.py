"""SAP OData (connectors layer): source and destination, basic or OAuth 2.0, PrivateLink.

`SAPODataConnectorProfileProperties.privateLinkServiceName` is how a private SAP system is
reached, hence `isPrivateLinkEndpointUrlRequired`. This module stays light (the registry imports
it): the connector is in `connector.py` (see its docstring for the modules), imported on first use.
"""

from dataclasses import replace

from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)
from sluice.connectors.rest.spec import rest_spec

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

# SAP systems are the customer's own hosts: no vendor host list (any public host; private ones
# only with SLUICE_ALLOW_PRIVATE_ENDPOINTS).
SPEC = replace(rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.sapodata.connector", destination=True),
               vendor_hosts=None)
