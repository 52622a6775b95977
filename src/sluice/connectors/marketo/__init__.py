"""Marketo (connectors layer): source and destination (`MarketoDestinationProperties`).

Scheduling stops at hourly, as in the Marketo example of the DescribeConnectors reference. The data
path (connector.py) is built on the shared REST layer and imported only when first used.
"""

from sluice.connectors.configuration import (
    HOURLY_AND_SLOWER,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    connector_configuration,
    oauth2,
)
from sluice.connectors.rest.spec import rest_spec

CONNECTOR_TYPE = "Marketo"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Marketo",
    description="Adobe Marketo Engage marketing automation",
    metadata={"Marketo": {}},
    source=True,
    destination=True,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=HOURLY_AND_SLOWER,
    operators=("PROJECTION", "LESS_THAN", "GREATER_THAN", "BETWEEN", *TASK_OPERATORS),
    # MarketoDestinationProperties has no writeOperationType: records are inserted.
    write_operations=("INSERT",),
    # Marketo's REST API issues tokens for a client id and secret.
    authentication_config=oauth2(grant_types=("CLIENT_CREDENTIALS",)),
)

SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.marketo.connector", destination=True)
