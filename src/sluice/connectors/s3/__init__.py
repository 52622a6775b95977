"""Amazon S3 (connectors layer): source and destination, no connector profile.

AppFlow reaches S3 with its own IAM access (there is no `S3` member in
`ConnectorProfileProperties`, and `ResetConnectorMetadataCache` lists S3 among the connectors
that need no profile name). Entity metadata lives in `metadata.py`, the reader in `source.py`,
the writer in `destination.py`, and the object store behind all three in `storage.py` (the
embedded local store or real S3, see docs/s3.md). Each is imported only when first used, so
importing the registry imports neither boto3 nor pyarrow.
"""

from collections.abc import Mapping
from typing import Any

from sluice.connectors.base import (
    ConnectorSpec,
    Destination,
    MetadataProvider,
    ProfileView,
    RunContext,
    Source,
)
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


def _open_source(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Source:
    from sluice.connectors.s3.source import S3Source

    return S3Source(profile, props, ctx)


def _open_destination(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Destination:
    from sluice.connectors.s3.destination import S3Destination

    return S3Destination(profile, props, ctx)


def _cleanup_destination(props: Mapping[str, Any], data_dir: str, execution_id: str) -> None:
    from sluice.connectors.s3.destination import cleanup_staging

    cleanup_staging(props, data_dir, execution_id)


def _rollback_destination(manifest: Mapping[str, Any], data_dir: str) -> None:
    from sluice.connectors.s3.publish import rollback_publication

    rollback_publication(manifest, data_dir)


SPEC = ConnectorSpec(
    connector_type=CONNECTOR_TYPE,
    capabilities=CAPABILITIES,
    requires_profile=False,
    load_metadata=_load_metadata,
    open_source=_open_source,
    open_destination=_open_destination,
    cleanup_destination=_cleanup_destination,
    rollback_destination=_rollback_destination,
)
