"""Infor Nexus (connectors layer): source only (no `InforNexusDestinationProperties`)."""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)

CONNECTOR_TYPE = "Infornexus"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Infor Nexus",
    description="Infor Nexus supply chain network",
    metadata={"InforNexus": {}},
    source=True,
    destination=False,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=ALL_FREQUENCIES,
    operators=("PROJECTION", "BETWEEN", "EQUAL_TO", *TASK_OPERATORS),
    # InforNexusConnectorProfileCredentials: accessKeyId, userId, secretAccessKey and datakey,
    # an HMAC scheme of its own rather than basic, API key or OAuth.
    authentication_config=authentication(custom=True),
)

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES)
