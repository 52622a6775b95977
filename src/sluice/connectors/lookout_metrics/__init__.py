"""Amazon Lookout for Metrics (connectors layer): destination only, no connector profile.

`LookoutMetricsDestinationProperties` is empty and `ConnectorMetadata` has no member for it:
the anomaly detector, not the flow, says where the data goes.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import connector_configuration

CONNECTOR_TYPE = "LookoutMetrics"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Amazon Lookout for Metrics",
    description="Amazon Lookout for Metrics anomaly detectors",
    metadata={},
    source=False,
    destination=True,
    write_operations=("INSERT",),
)

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES, requires_profile=False)
