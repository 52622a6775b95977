"""Snowflake (connectors layer): destination only, loaded through an external S3 stage.

`SnowflakeConnectorProfileProperties.privateLinkServiceName` is how a private Snowflake account
is reached, hence `isPrivateLinkEndpointUrlRequired`. `SnowflakeMetadata.supportedRegions`
lists the AWS Regions where AppFlow offers the connector.

`connection.py` reaches the account (host, login, names), `stage.py` finds the profile's external
stage and checks a profile, `metadata.py` lists tables from INFORMATION_SCHEMA, `types.py` maps
column types, `destination.py` loads a run with COPY INTO (docs/connectors/snowflake.md).
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import authentication, connector_configuration
from sluice.connectors.lazy import lazy

CONNECTOR_TYPE = "Snowflake"

_REGIONS = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "af-south-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
]

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Snowflake",
    description="Snowflake data warehouse",
    metadata={"Snowflake": {"supportedRegions": _REGIONS}},
    source=False,
    destination=True,
    write_operations=("INSERT",),
    # SnowflakeConnectorProfileCredentials: username with a password or a private key.
    authentication_config=authentication(basic=True),
    private_link=True,
    private_link_url_required=True,
)

SPEC = ConnectorSpec(
    connector_type=CONNECTOR_TYPE,
    capabilities=CAPABILITIES,
    load_metadata=lazy("sluice.connectors.snowflake.metadata:SnowflakeMetadata"),
    open_destination=lazy("sluice.connectors.snowflake.destination:open_destination"),
    cleanup_destination=lazy("sluice.connectors.warehouse:cleanup_staged"),
    rollback_destination=lazy("sluice.connectors.snowflake.destination:rollback_load"),
    check_profile=lazy("sluice.connectors.snowflake.stage:check_profile"),
    vendor_hosts=lazy("sluice.connectors.snowflake.connection:vendor_hosts"),
)
