"""Amazon S3 (connectors layer): source and destination, no connector profile.

AppFlow reaches S3 with its own IAM access (there is no `S3` member in
`ConnectorProfileProperties`, and `ResetConnectorMetadataCache` lists S3 among the connectors
that need no profile name). Entity metadata lives in `sluice.connectors.s3.metadata`, imported
only when first used so that importing the registry does not import boto3.
"""

from sluice.connectors.base import ConnectorSpec, MetadataProvider
from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    connector_configuration,
)

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


def _load_metadata() -> MetadataProvider:
    from sluice.connectors.s3.metadata import S3Metadata

    return S3Metadata()


SPEC = ConnectorSpec(
    connector_type=CONNECTOR_TYPE,
    capabilities=CAPABILITIES,
    requires_profile=False,
    load_metadata=_load_metadata,
)
