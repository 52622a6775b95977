"""Zendesk (connectors layer): source and destination (`ZendeskDestinationProperties`) on the shared REST layer.

This module stays light (the registry imports it): the connector itself is in `connector.py`,
imported on first use.
"""

from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    connector_configuration,
    oauth2,
)
from sluice.connectors.rest.spec import rest_spec

CONNECTOR_TYPE = "Zendesk"

_SCOPES = ["read", "write"]

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Zendesk",
    description="Zendesk customer service tickets, users and organizations",
    metadata={"Zendesk": {"oAuthScopes": _SCOPES}},
    source=True,
    destination=True,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=ALL_FREQUENCIES,
    operators=("PROJECTION", "GREATER_THAN", *TASK_OPERATORS),
    write_operations=("INSERT", "UPSERT", "UPDATE"),
    authentication_config=oauth2(scopes=_SCOPES),
)

SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.zendesk.connector", destination=True)
