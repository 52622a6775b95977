"""Datadog (connectors layer): source only (no `DatadogDestinationProperties`)."""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)

CONNECTOR_TYPE = "Datadog"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Datadog",
    description="Datadog monitoring logs and events",
    metadata={"Datadog": {}},
    source=True,
    destination=False,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=ALL_FREQUENCIES,
    operators=("PROJECTION", "BETWEEN", "EQUAL_TO", *TASK_OPERATORS),
    # DatadogConnectorProfileCredentials: apiKey and applicationKey.
    authentication_config=authentication(api_key=True),
)

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES)
