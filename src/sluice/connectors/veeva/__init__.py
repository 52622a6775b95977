"""Veeva (connectors layer): source only; records and, for documents, files.

`VeevaSourceProperties` (documentType, includeSourceFiles, includeRenditions, includeAllVersions) lets
a flow move Vault document files, hence FILE next to RECORD in `supportedDataTransferTypes`. The
connector itself (connector.py, catalog.py, vql.py, documents.py, on the shared REST layer) is imported
on first use; docs/connectors/veeva.md describes it.
"""

from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    authentication,
    connector_configuration,
)
from sluice.connectors.rest.spec import rest_spec

CONNECTOR_TYPE = "Veeva"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Veeva",
    description="Veeva Vault objects and documents",
    metadata={"Veeva": {}},
    source=True,
    destination=False,
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
    # VeevaConnectorProfileCredentials: username and password.
    authentication_config=authentication(basic=True),
    transfer_types=("RECORD", "FILE"),
)

SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.veeva.connector")
