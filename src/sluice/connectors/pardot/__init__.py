"""Salesforce Pardot (connectors layer): source only (no `PardotDestinationProperties`).

Account Engagement (formerly Pardot) API v5 objects, read with Salesforce OAuth tokens; the connector
itself (connector.py, objects.py, on the shared REST layer) is imported on first use;
docs/connectors/pardot.md describes it.
"""

from sluice.connectors.configuration import (
    ALL_FREQUENCIES,
    ON_DEMAND_AND_SCHEDULED,
    TASK_OPERATORS,
    connector_configuration,
    oauth2,
)
from sluice.connectors.rest.spec import rest_spec

CONNECTOR_TYPE = "Pardot"

CAPABILITIES = connector_configuration(
    connector_type=CONNECTOR_TYPE,
    name="Salesforce Pardot",
    description="Salesforce Marketing Cloud Account Engagement, formerly Pardot",
    metadata={"Pardot": {}},
    source=True,
    destination=False,
    triggers=ON_DEMAND_AND_SCHEDULED,
    frequencies=ALL_FREQUENCIES,
    operators=("PROJECTION", "EQUAL_TO", *TASK_OPERATORS),
    # Pardot signs in through Salesforce (PardotConnectorProfileCredentials mirrors Salesforce's).
    authentication_config=oauth2(
        scopes=("pardot_api", "refresh_token"),
        token_urls=(
            "https://login.salesforce.com/services/oauth2/token",
            "https://test.salesforce.com/services/oauth2/token",
        ),
        auth_code_urls=(
            "https://login.salesforce.com/services/oauth2/authorize",
            "https://test.salesforce.com/services/oauth2/authorize",
        ),
    ),
)

SPEC = rest_spec(CONNECTOR_TYPE, CAPABILITIES, "sluice.connectors.pardot.connector")
