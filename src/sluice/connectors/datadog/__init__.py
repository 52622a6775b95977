"""Datadog (connectors layer): source only (no `DatadogDestinationProperties`), on the shared REST layer.

Objects: `logs` (Logs search), `events` (Events v2 list) and `metrics` (timeseries point queries); see
connector.py and docs/connectors/datadog.md. The operators are botocore's `DatadogConnectorOperator`.
"""

from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)
from sluice.connectors.rest.spec import rest_spec

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

SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.datadog.connector")
