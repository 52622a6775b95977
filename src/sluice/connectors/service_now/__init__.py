"""ServiceNow (connectors layer): source only (no `ServiceNowDestinationProperties`)."""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)

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

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES)
