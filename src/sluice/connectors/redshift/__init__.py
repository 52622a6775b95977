"""Amazon Redshift (connectors layer): destination only, loaded through an S3 stage.

`RedshiftConnectorProfileProperties` (bucketName, roleArn, databaseUrl or Data API settings)
makes a profile mandatory. `settings.py` reads the profile, `sql.py` talks SQL (the Redshift
Data API or `redshift_connector`), `metadata.py` lists schemas/tables/columns and checks the
profile, `destination.py` stages Parquet and loads it with one COPY transaction. Each is
imported only when first used.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import authentication, connector_configuration
from sluice.connectors.lazy import lazy

CONNECTOR_TYPE = "Redshift"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Amazon Redshift",
    description="Amazon Redshift provisioned clusters and Redshift Serverless",
    metadata={"Redshift": {}},
    source=False,
    destination=True,
    write_operations=("INSERT",),
    # RedshiftConnectorProfileCredentials: username and password.
    authentication_config=authentication(basic=True),
)

SPEC = ConnectorSpec(
    connector_type=CONNECTOR_TYPE,
    capabilities=CAPABILITIES,
    load_metadata=lazy("sluice.connectors.redshift.metadata:RedshiftMetadata"),
    open_destination=lazy("sluice.connectors.redshift.destination:open_destination"),
    cleanup_destination=lazy("sluice.connectors.warehouse:cleanup_staged"),
    rollback_destination=lazy("sluice.connectors.redshift.destination:rollback_load"),
    check_profile=lazy("sluice.connectors.redshift.metadata:check_profile"),
    check_properties=lazy("sluice.connectors.redshift.checks:check_properties"),
)
