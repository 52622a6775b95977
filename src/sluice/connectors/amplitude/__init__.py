"""Amplitude (connectors layer): source only; the `events` object, read through the Export API.

`AmplitudeConnectorOperator` has BETWEEN alone: Amplitude exports a time window, nothing else. The
connector itself (connector.py, export.py, on the shared REST layer) is imported on first use;
docs/connectors/amplitude.md describes it.
"""

from sluice.connectors.configuration import (
    DAILY_AND_SLOWER,
    ON_DEMAND_AND_SCHEDULED,
    authentication,
    connector_configuration,
)
from sluice.connectors.rest.spec import rest_spec

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

SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.amplitude.connector")
