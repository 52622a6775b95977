"""Amazon Honeycode (connectors layer): destination only, OAuth 2.0 profile.

`HoneycodeConnectorProfileCredentials` carries OAuth tokens, so unlike the other AWS-service
destinations Honeycode needs a connector profile.

AWS retired the service; `sluice.connectors.retired` says what Sluice does about it.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import connector_configuration, oauth2
from sluice.connectors.retired import HONEYCODE

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

# AWS ended the service (see `retired.py`): new flows are refused, stored ones run into Error.
SPEC = ConnectorSpec(
    connector_type=CONNECTOR_TYPE,
    capabilities=CAPABILITIES,
    check_properties=HONEYCODE.check_properties,
    open_destination=HONEYCODE.open_destination,
)
