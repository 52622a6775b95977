"""Slack (connectors layer): source only (no `SlackDestinationProperties`)."""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    connector_configuration,
    oauth2,
)

CONNECTOR_TYPE = "Slack"

# Read access to conversations and users, the objects AppFlow reads from Slack.
_SCOPES = [
    "channels:history",
    "channels:read",
    "groups:history",
    "groups:read",
    "im:history",
    "im:read",
    "mpim:history",
    "mpim:read",
    "users:read",
]

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Slack",
    description="Slack conversations and users",
    metadata={"Slack": {"oAuthScopes": _SCOPES}},
    source=True,
    destination=False,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=ALL_FREQUENCIES,
    operators=(
        "PROJECTION",
        "LESS_THAN",
        "GREATER_THAN",
        "BETWEEN",
        "LESS_THAN_OR_EQUAL_TO",
        "GREATER_THAN_OR_EQUAL_TO",
        "EQUAL_TO",
        *TASK_OPERATORS,
    ),
    authentication_config=oauth2(scopes=_SCOPES),
)

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES)
