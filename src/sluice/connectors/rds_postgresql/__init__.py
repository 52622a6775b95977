"""Amazon RDS for PostgreSQL (AWS-managed connector; connectors layer): a destination table.

A CustomConnector label (`AmazonRDSPostgreSQL`, as cdk-appflow's construct sends it) whose profile
is the JDBC connector's with the driver fixed to `postgresql` (hostname, port - 5432 by default -,
database, username, password). Entities and fields come from the JDBC metadata; a run writes
INSERT, UPSERT (`idFieldNames` are the conflict key) or UPDATE into one table, all or nothing
(`destination.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.connectors.base import ConnectorSpec, Destination, MetadataProvider, ProfileView, RunContext
from sluice.connectors.configuration import connector_configuration
from sluice.connectors.jdbc import custom_auth

LABEL = "AmazonRDSPostgreSQL"
DRIVER = "postgresql"

CAPABILITIES = {
    **connector_configuration(
        connector_type="CustomConnector",
        name="Amazon RDS for PostgreSQL",
        description="Tables of Amazon RDS for PostgreSQL (and any PostgreSQL) databases",
        metadata={},
        source=False,
        destination=True,
        write_operations=("INSERT", "UPSERT", "UPDATE"),
        authentication_config={"isBasicAuthSupported": True, "isApiKeyAuthSupported": False,
                               "isOAuth2Supported": False, "isCustomAuthSupported": True,
                               "customAuthConfigs": [custom_auth(DRIVER)]},
    ),
    "connectorLabel": LABEL,
}


def _metadata() -> MetadataProvider:
    from sluice.connectors.jdbc.metadata import JdbcMetadata

    return JdbcMetadata(DRIVER)


def _destination(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Destination:
    from sluice.connectors.jdbc.destination import open_destination

    return open_destination(profile, props, ctx, DRIVER)


def _check(profile: ProfileView) -> Mapping[str, Any]:
    from sluice.connectors.jdbc.metadata import checker

    result: Mapping[str, Any] = checker(DRIVER)(profile)
    return result


SPEC = ConnectorSpec(
    connector_type="CustomConnector",
    capabilities=CAPABILITIES,
    label=LABEL,
    load_metadata=_metadata,
    open_destination=_destination,
    check_profile=_check,
    entities_fixed=True,
)
