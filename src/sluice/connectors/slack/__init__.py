"""Slack (connectors layer): source only (no `SlackDestinationProperties`).

Conversations, their messages (threads included) and users, read through Slack's Web API on the
shared REST layer (connector.py; imported on first use).
"""

from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    connector_configuration,
    oauth2,
)
from sluice.connectors.rest.spec import rest_spec

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

SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.slack.connector")
