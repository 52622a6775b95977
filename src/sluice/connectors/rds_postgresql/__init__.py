"""Amazon RDS for PostgreSQL (AWS-managed connector; connectors layer): a destination table.

A CustomConnector label (`AmazonRDSPostgreSQL`, as cdk-appflow's construct sends it) whose profile
is the JDBC connector's with the driver fixed to `postgresql` (hostname, port - 5432 by default -,
database, username, password). Entities and fields come from the JDBC metadata; a run writes
INSERT, UPSERT (`idFieldNames` are the conflict key) or UPDATE into one table, all or nothing
(`destination.py`).
"""

from __future__ import annotations

from sluice.connectors.configuration import connector_configuration
from sluice.connectors.jdbc import authentication_config, jdbc_spec

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
        authentication_config=authentication_config(DRIVER),
    ),
    "connectorLabel": LABEL,
}

SPEC = jdbc_spec(LABEL, CAPABILITIES, DRIVER, source=False)
