"""`csvdir`: an example native Sluice connector - CSV files in a local folder, as Arrow batches.

A profile names the folder (`profileProperties.path`); each `<name>.csv` in it is an entity. As a
source it streams a file's rows; as a destination it replaces `<name>.csv` atomically when the run
commits (nothing is visible before). Flows address it as
`connectorType: CustomConnector, connectorLabel: csvdir` - no RegisterConnector needed: the
entry point in this package's pyproject.toml is what installs it. docs/connectors.md walks
through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.connectors.base import ConnectorSpec, Destination, MetadataProvider, ProfileView, RunContext, Source
from sluice.connectors.configuration import ALL_FREQUENCIES, ON_DEMAND_AND_SCHEDULED, connector_configuration

LABEL = "csvdir"

CAPABILITIES = connector_configuration(
    connector_type="CustomConnector",
    name="CSV folder (example plug-in)",
    description="CSV files in a local folder; each file is an entity",
    metadata={},
    source=True,
    destination=True,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=ALL_FREQUENCIES,
    operators=("PROJECTION", "NO_OP"),
    write_operations=("INSERT",),
)


def _metadata() -> MetadataProvider:
    from sluice_csvdir.connector import CsvDirMetadata

    return CsvDirMetadata()


def _source(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Source:
    from sluice_csvdir.connector import CsvDirSource

    return CsvDirSource(profile, props, ctx)


def _destination(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Destination:
    from sluice_csvdir.connector import CsvDirDestination

    return CsvDirDestination(profile, props, ctx)


def _check(profile: ProfileView) -> Mapping[str, Any]:
    from sluice_csvdir.connector import folder

    folder(profile)  # the folder must exist: a profile that cannot work is refused at creation
    return profile.credentials


SPEC = ConnectorSpec(
    connector_type="CustomConnector",
    capabilities={**CAPABILITIES, "connectorLabel": LABEL},
    label=LABEL,
    load_metadata=_metadata,
    open_source=_source,
    open_destination=_destination,
    check_profile=_check,
)
