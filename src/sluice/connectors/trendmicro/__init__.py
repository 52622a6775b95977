"""Trend Micro (connectors layer): source only (no `TrendmicroDestinationProperties`), on the shared REST layer.

The Deep Security / Cloud One Workload Security API's searchable objects (computers, policies, intrusion
prevention rules, software changes, administrators), read by its ID-paged search; see connector.py and
docs/connectors/trendmicro.md. AppFlow's user guide says scheduled Trend Micro flows run at most once an
hour (https://docs.aws.amazon.com/appflow/latest/userguide/trend-micro.html), hence HOURLY and slower.
"""

from sluice.connectors.configuration import (
    HOURLY_AND_SLOWER,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)
from sluice.connectors.rest.spec import rest_spec

CONNECTOR_TYPE = "Trendmicro"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Trend Micro",
    description="Trend Micro workload security events",
    metadata={"Trendmicro": {}},
    source=True,
    destination=False,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=HOURLY_AND_SLOWER,
    operators=("PROJECTION", "EQUAL_TO", *TASK_OPERATORS),
    # TrendmicroConnectorProfileCredentials: apiSecretKey.
    authentication_config=authentication(api_key=True),
)

SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.trendmicro.connector")
