"""Trend Micro (connectors layer): source only (no `TrendmicroDestinationProperties`)."""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)

CONNECTOR_TYPE = "Trendmicro"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Trend Micro",
    description="Trend Micro workload security events",
    metadata={"Trendmicro": {}},
    source=True,
    destination=False,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=ALL_FREQUENCIES,
    operators=("PROJECTION", "EQUAL_TO", *TASK_OPERATORS),
    # TrendmicroConnectorProfileCredentials: apiSecretKey.
    authentication_config=authentication(api_key=True),
)

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES)
