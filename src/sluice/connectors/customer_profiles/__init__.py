"""Amazon Connect Customer Profiles (connectors layer): destination only, no connector profile.

The flow names a Customer Profiles domain and object type
(`CustomerProfilesDestinationProperties`); AppFlow needs no profile for it.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import connector_configuration

CONNECTOR_TYPE = "CustomerProfiles"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Amazon Connect Customer Profiles",
    description="Amazon Connect Customer Profiles domains",
    metadata={"CustomerProfiles": {}},
    source=False,
    destination=True,
    write_operations=("INSERT",),
)

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES, requires_profile=False)
