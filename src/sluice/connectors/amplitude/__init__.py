"""Amplitude (connectors layer): source only; event exports by date range.

`AmplitudeConnectorOperator` has BETWEEN alone: Amplitude exports a time window, nothing else.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import (
    DAILY_AND_SLOWER,
    ON_DEMAND_AND_SCHEDULED,
    authentication,
    connector_configuration,
)

CONNECTOR_TYPE = "Amplitude"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Amplitude",
    description="Amplitude product analytics events",
    metadata={"Amplitude": {}},
    source=True,
    destination=False,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=DAILY_AND_SLOWER,
    operators=("BETWEEN",),
    # AmplitudeConnectorProfileCredentials: apiKey and secretKey.
    authentication_config=authentication(api_key=True),
)

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES)
