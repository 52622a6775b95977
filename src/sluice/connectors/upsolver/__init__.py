"""Upsolver (connectors layer): destination only, an Upsolver-owned S3 bucket, no profile."""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import connector_configuration

CONNECTOR_TYPE = "Upsolver"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Upsolver",
    description="Upsolver data lake ingestion through an Upsolver S3 bucket",
    metadata={"Upsolver": {}},
    source=False,
    destination=True,
    write_operations=("INSERT",),
)

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES, requires_profile=False)
