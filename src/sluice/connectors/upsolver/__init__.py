"""Upsolver (connectors layer): destination only, an Upsolver-owned S3 bucket, no profile.

AppFlow writes Upsolver data as it writes S3 data, into a bucket whose name starts with
`upsolver-appflow` (`UpsolverDestinationProperties`), where Upsolver picks it up. Sluice does the
same with the S3 destination's writer (`sluice.connectors.s3.destination`): same layout
(`<bucketPrefix>/<flowName>/<prefixConfig folders>/<files>`), file types, aggregation, staging and
atomic publication, with the account's S3 identity; `checks.py` adds Upsolver's bucket rule.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import connector_configuration
from sluice.connectors.lazy import lazy

CONNECTOR_TYPE = "Upsolver"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Upsolver",
    description="Upsolver data lake ingestion through an Upsolver S3 bucket",
    metadata={"Upsolver": {}},
    source=False,
    destination=True,
    write_operations=("INSERT",),
)

SPEC = ConnectorSpec(
    connector_type=CONNECTOR_TYPE,
    capabilities=CAPABILITIES,
    requires_profile=False,
    open_destination=lazy("sluice.connectors.s3.destination:S3Destination"),
    cleanup_destination=lazy("sluice.connectors.s3.destination:cleanup_staging"),
    rollback_destination=lazy("sluice.connectors.s3.publish:rollback_publication"),
    check_properties=lazy("sluice.connectors.upsolver.checks:check_properties"),
)
