"""Singular (connectors layer): source only; marketing reports aggregated by day."""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import (
    DAILY_AND_SLOWER,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)

CONNECTOR_TYPE = "Singular"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Singular",
    description="Singular marketing analytics reports",
    metadata={"Singular": {}},
    source=True,
    destination=False,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=DAILY_AND_SLOWER,
    operators=("PROJECTION", "EQUAL_TO", *TASK_OPERATORS),
    # SingularConnectorProfileCredentials: apiKey.
    authentication_config=authentication(api_key=True),
)

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES)
