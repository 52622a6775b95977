"""Amazon Honeycode (connectors layer): destination only, OAuth 2.0 profile.

`HoneycodeConnectorProfileCredentials` carries OAuth tokens, so unlike the other AWS-service
destinations Honeycode needs a connector profile.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import connector_configuration, oauth2

CONNECTOR_TYPE = "Honeycode"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Amazon Honeycode",
    description="Amazon Honeycode tables",
    metadata={"Honeycode": {}},
    source=False,
    destination=True,
    write_operations=("INSERT",),
    authentication_config=oauth2(),
)

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES)
