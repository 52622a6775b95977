"""Amazon Redshift (connectors layer): destination only, loaded through an S3 stage.

`RedshiftConnectorProfileProperties` (bucketName, roleArn, databaseUrl or Data API settings)
makes a profile mandatory.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import authentication, connector_configuration

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

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES)
