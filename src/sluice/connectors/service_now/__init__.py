"""ServiceNow (connectors layer): source only (no `ServiceNowDestinationProperties`).

Any table the profile's user can read, through the Table API; the connector itself is in
connector.py (loaded on first use, so the registry imports no httpx or pyarrow).
"""

from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)
from sluice.connectors.rest.spec import rest_spec

CONNECTOR_TYPE = "Servicenow"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="ServiceNow",
    description="ServiceNow IT service management tables",
    metadata={"ServiceNow": {}},
    source=True,
    destination=False,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=ALL_FREQUENCIES,
    operators=(
        "PROJECTION",
        "CONTAINS",
        "LESS_THAN",
        "GREATER_THAN",
        "BETWEEN",
        "LESS_THAN_OR_EQUAL_TO",
        "GREATER_THAN_OR_EQUAL_TO",
        "EQUAL_TO",
        "NOT_EQUAL_TO",
        *TASK_OPERATORS,
    ),
    # ServiceNowConnectorProfileCredentials: username and password, or oAuth2Credentials.
    authentication_config=authentication(basic=True, oauth2=True),
)

# The catalog is the instance's own table list: a flow naming a table it lacks can never run.
SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.service_now.connector", entities_fixed=True)
