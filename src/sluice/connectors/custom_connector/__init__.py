"""Custom connectors (connectors layer): the catalog entry behind every registered connector.

A registered connector (`RegisterConnector`) answers `DescribeConnector` with its own
configuration, built from its Lambda's self-description; this entry is what `DescribeConnectors`
says about the type as a whole: either role, every `Operators` value (the model's
`ConnectorOperator.CustomConnector` member is the whole enum), every write operation and every
authentication scheme the custom-connector SDK offers.
"""

from sluice.connectors.base import ConnectorSpec
from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)

CONNECTOR_TYPE = "CustomConnector"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Custom connector",
    description="Connectors registered with the Amazon AppFlow Custom Connector SDK",
    # ConnectorMetadata has no CustomConnector member.
    metadata={},
    source=True,
    destination=True,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=ALL_FREQUENCIES,
    operators=(
        "PROJECTION",
        "LESS_THAN",
        "GREATER_THAN",
        "CONTAINS",
        "BETWEEN",
        "LESS_THAN_OR_EQUAL_TO",
        "GREATER_THAN_OR_EQUAL_TO",
        "EQUAL_TO",
        "NOT_EQUAL_TO",
        *TASK_OPERATORS,
    ),
    write_operations=("INSERT", "UPSERT", "UPDATE", "DELETE"),
    authentication_config=authentication(basic=True, api_key=True, oauth2=True, custom=True),
    transfer_types=("RECORD", "FILE"),
)

SPEC = ConnectorSpec(connector_type=CONNECTOR_TYPE, capabilities=CAPABILITIES)
