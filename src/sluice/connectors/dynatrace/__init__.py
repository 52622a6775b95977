"""Dynatrace (connectors layer): source only (no `DynatraceDestinationProperties`).

The connector itself (connector.py, on the shared REST layer) is imported on first use.
"""

from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)
from sluice.connectors.rest.spec import rest_spec

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

SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.dynatrace.connector")
