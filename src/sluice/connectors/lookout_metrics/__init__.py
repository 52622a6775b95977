"""Amazon Lookout for Metrics (connectors layer): destination only, no connector profile.

`LookoutMetricsDestinationProperties` is empty and `ConnectorMetadata` has no member for it:
the anomaly detector, not the flow, says where the data goes.

AWS retired the service; `sluice.connectors.retired` says what Sluice does about it.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import connector_configuration
from sluice.connectors.retired import LOOKOUT_METRICS

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

# AWS ended the service (see `retired.py`): new flows are refused, stored ones run into Error.
SPEC = ConnectorSpec(
    connector_type=CONNECTOR_TYPE,
    capabilities=CAPABILITIES,
    requires_profile=False,
    check_properties=LOOKOUT_METRICS.check_properties,
    open_destination=LOOKOUT_METRICS.open_destination,
)
