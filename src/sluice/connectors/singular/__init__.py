"""Singular (connectors layer): source only; marketing reports aggregated by day.

The connector itself (connector.py, fields.py, reports.py, on the shared REST layer) is imported on
first use; docs/connectors/singular.md describes it.
"""

from sluice.connectors.configuration import (
    DAILY_AND_SLOWER,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)
from sluice.connectors.rest.spec import rest_spec

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

SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.singular.connector")
