"""Amazon EventBridge (connectors layer): destination only, no connector profile.

The destination is a partner event source (`EventBridgeDestinationProperties.object`); AppFlow
needs no profile for it (`ResetConnectorMetadataCache` reference). Each record becomes one event
(`destination.py`), put with the flow account's AWS identity.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import connector_configuration
from sluice.connectors.lazy import lazy

CONNECTOR_TYPE = "EventBridge"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Amazon EventBridge",
    description="Amazon EventBridge partner event sources",
    metadata={"EventBridge": {}},
    source=False,
    destination=True,
    write_operations=("INSERT",),
)

SPEC = ConnectorSpec(
    connector_type=CONNECTOR_TYPE,
    capabilities=CAPABILITIES,
    requires_profile=False,
    open_destination=lazy("sluice.connectors.event_bridge.destination:open_destination"),
    cleanup_destination=lazy("sluice.connectors.event_bridge.destination:cleanup_staging"),
)
