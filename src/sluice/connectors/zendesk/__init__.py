"""Zendesk (connectors layer): source and destination (`ZendeskDestinationProperties`)."""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    connector_configuration,
    oauth2,
)

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

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES)
