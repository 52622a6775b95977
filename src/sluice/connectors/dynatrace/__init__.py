"""Dynatrace (connectors layer): source only (no `DynatraceDestinationProperties`)."""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)

CONNECTOR_TYPE = "Dynatrace"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Dynatrace",
    description="Dynatrace application performance monitoring",
    metadata={"Dynatrace": {}},
    source=True,
    destination=False,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=ALL_FREQUENCIES,
    operators=("PROJECTION", "BETWEEN", "EQUAL_TO", *TASK_OPERATORS),
    # DynatraceConnectorProfileCredentials: apiToken.
    authentication_config=authentication(api_key=True),
)

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES)
