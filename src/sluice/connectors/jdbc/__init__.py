"""JDBC (AWS-managed connector; connectors layer): tables of PostgreSQL and MySQL/MariaDB databases.

AppFlow's managed JDBC connector is a CustomConnector label (cdk-appflow's JDBC construct sends
`connectorLabel: JDBCsmall`, "JDBC small data scale"): the profile carries driver (`postgresql` or
`mysql`), hostname, port, database, username and password (`settings.py`); entities are the
database's schemas, then `schema.table` (`metadata.py`); a run reads one table with the flow's
projection, filters and incremental window pushed into one SELECT (`sql.py`, `source.py`). As a
destination it is the same writer as Amazon RDS for PostgreSQL (`sluice.connectors.rds_postgresql`),
for PostgreSQL profiles. Nothing heavy is imported until first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.connectors.base import ConnectorSpec, Destination, MetadataProvider, ProfileView, RunContext, Source
from sluice.connectors.configuration import ALL_FREQUENCIES, ON_DEMAND_AND_SCHEDULED, connector_configuration

LABEL = "JDBCsmall"
DRIVERS = ("postgresql", "mysql")
# The whole `Operators` enum, as for any CustomConnector type: the engine applies every task, and
# `sql.py` pushes down what the database can evaluate.
OPERATORS = (
    "PROJECTION", "LESS_THAN", "GREATER_THAN", "CONTAINS", "BETWEEN", "LESS_THAN_OR_EQUAL_TO",
    "GREATER_THAN_OR_EQUAL_TO", "EQUAL_TO", "NOT_EQUAL_TO", "ADDITION", "MULTIPLICATION", "DIVISION",
    "SUBTRACTION", "MASK_ALL", "MASK_FIRST_N", "MASK_LAST_N", "VALIDATE_NON_NULL", "VALIDATE_NON_ZERO",
    "VALIDATE_NON_NEGATIVE", "VALIDATE_NUMERIC", "NO_OP",
)


def custom_auth(fixed_driver: str | None = None) -> dict[str, Any]:
    """The `CustomAuthConfig` of the connection (`credentialsMap` keys as the CDK constructs send them)."""

    def param(key: str, label: str, *, sensitive: bool = False, required: bool = True,
              choices: tuple[str, ...] = ()) -> dict[str, Any]:
        shaped: dict[str, Any] = {"key": key, "isRequired": required, "label": label, "description": label,
                                  "isSensitiveField": sensitive}
        if choices:
            shaped["connectorSuppliedValues"] = list(choices)
        return shaped

    return {"customAuthenticationType": "CUSTOM", "authParameters": [
        param("username", "User name"),
        param("password", "Password", sensitive=True),
        param("driver", "Driver", choices=(fixed_driver,) if fixed_driver else DRIVERS),
        param("hostname", "Host name"),
        param("port", "Port"),
        param("database", "Database"),
    ]}


def authentication_config(fixed_driver: str | None = None) -> dict[str, Any]:
    """The `AuthenticationConfig` of a JDBC-backed label: basic and custom auth (`custom_auth`)."""
    return {"isBasicAuthSupported": True, "isApiKeyAuthSupported": False, "isOAuth2Supported": False,
            "isCustomAuthSupported": True, "customAuthConfigs": [custom_auth(fixed_driver)]}


def jdbc_spec(label: str, capabilities: Mapping[str, Any], fixed_driver: str | None = None, *,
              source: bool = True) -> ConnectorSpec:
    """The `ConnectorSpec` of a JDBC-backed label: metadata, writes and the credentials check for
    `fixed_driver` (any of `DRIVERS` when None), reads too when `source`; nothing heavy is imported
    until first use."""

    def load_metadata() -> MetadataProvider:
        from sluice.connectors.jdbc.metadata import JdbcMetadata

        return JdbcMetadata(fixed_driver)

    def open_source(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Source:
        from sluice.connectors.jdbc.source import JdbcSource

        return JdbcSource(profile, props, ctx)

    def open_destination(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> Destination:
        from sluice.connectors.jdbc.destination import open_destination

        return open_destination(profile, props, ctx, fixed_driver)

    def check_profile(profile: ProfileView) -> Mapping[str, Any]:
        from sluice.connectors.jdbc.metadata import checker

        result: Mapping[str, Any] = checker(fixed_driver)(profile)
        return result

    return ConnectorSpec(
        connector_type="CustomConnector",
        capabilities=capabilities,
        label=label,
        load_metadata=load_metadata,
        open_source=open_source if source else None,
        open_destination=open_destination,
        check_profile=check_profile,
        entities_fixed=True,
    )


CAPABILITIES = {
    **connector_configuration(
        connector_type="CustomConnector",
        name="JDBC",
        description="Tables of PostgreSQL and MySQL/MariaDB databases, over JDBC-style connections",
        metadata={},
        source=True,
        destination=True,
        triggers=ON_DEMAND_AND_SCHEDULED,
        frequencies=ALL_FREQUENCIES,
        operators=OPERATORS,
        write_operations=("INSERT", "UPSERT", "UPDATE"),
        authentication_config=authentication_config(),
    ),
    "connectorLabel": LABEL,
}

SPEC = jdbc_spec(LABEL, CAPABILITIES)
