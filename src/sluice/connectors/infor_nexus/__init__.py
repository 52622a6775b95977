"""Infor Nexus (connectors layer): source only (no `InforNexusDestinationProperties`), on the shared REST layer.

Objects are read with the REST API's OQL queries, every request signed with the profile's HMAC keys;
see connector.py, signing.py and docs/connectors/infor-nexus.md. AppFlow's user guide allows
scheduled Infor Nexus flows as often as once a minute
(https://docs.aws.amazon.com/appflow/latest/userguide/infor-nexus.html).
"""

from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)
from sluice.connectors.rest.spec import rest_spec

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

SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.infor_nexus.connector")
