"""Amazon S3 (connectors layer): source and destination, no connector profile.

AppFlow reaches S3 with its own IAM access (there is no `S3` member in
`ConnectorProfileProperties`, and `ResetConnectorMetadataCache` lists S3 among the connectors
that need no profile name). Entity metadata lives in `metadata.py`, the reader in `source.py`,
the writer in `destination.py`, and the object store behind all three in `storage.py` (the
embedded local store or real S3, see docs/s3.md). Each is imported only when first used, so
importing the registry imports neither boto3 nor pyarrow.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    connector_configuration,
)
from sluice.connectors.lazy import lazy

CONNECTOR_TYPE = "S3"

OPERATORS: tuple[str, ...] = (
    "PROJECTION",
    "LESS_THAN",
    "GREATER_THAN",
    "BETWEEN",
    "LESS_THAN_OR_EQUAL_TO",
    "GREATER_THAN_OR_EQUAL_TO",
    "EQUAL_TO",
    "NOT_EQUAL_TO",
    *TASK_OPERATORS,
)

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Amazon S3",
    description="Amazon S3 buckets, CSV, JSON and Parquet files",
    metadata={"S3": {}},
    source=True,
    destination=True,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=ALL_FREQUENCIES,
    operators=OPERATORS,
    # S3DestinationProperties has no writeOperationType: each run writes new objects.
    write_operations=("INSERT",),
)


SPEC = ConnectorSpec(
    connector_type=CONNECTOR_TYPE,
    capabilities=CAPABILITIES,
    requires_profile=False,
    load_metadata=lazy("sluice.connectors.s3.metadata:S3Metadata"),
    open_source=lazy("sluice.connectors.s3.source:S3Source"),
    open_destination=lazy("sluice.connectors.s3.destination:S3Destination"),
    cleanup_destination=lazy("sluice.connectors.s3.destination:cleanup_staging"),
    check_properties=lazy("sluice.connectors.s3.checks:check_properties"),
    rollback_destination=lazy("sluice.connectors.s3.publish:rollback_publication"),
    remote_reading=lazy("sluice.connectors.s3.remote:remote_reading"),
)
