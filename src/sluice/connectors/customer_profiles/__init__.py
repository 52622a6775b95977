"""Amazon Connect Customer Profiles (connectors layer): destination only, no connector profile.

The flow names a Customer Profiles domain and object type
(`CustomerProfilesDestinationProperties`); AppFlow needs no profile for it. Records become profile
objects (`destination.py`), put with the flow account's AWS identity; CreateFlow checks that the
domain and object type exist (`check_destination`).
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import connector_configuration
from sluice.connectors.lazy import lazy

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

SPEC = ConnectorSpec(
    connector_type=CONNECTOR_TYPE,
    capabilities=CAPABILITIES,
    requires_profile=False,
    open_destination=lazy("sluice.connectors.customer_profiles.destination:open_destination"),
    cleanup_destination=lazy("sluice.connectors.customer_profiles.destination:cleanup_staging"),
    check_destination=lazy("sluice.connectors.customer_profiles.destination:check_destination"),
)
