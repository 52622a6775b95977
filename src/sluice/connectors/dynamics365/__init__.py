"""Microsoft Dynamics 365 (AWS-managed connector `MicrosoftDynamics365`; connectors layer), source.

AppFlow's managed Dynamics 365 connector reads the tables of a Dynamics 365 / Dataverse
environment through the Dataverse Web API (OData v4). The profile (cdk-appflow's
`MicrosoftDynamics365ConnectorProfile`) is OAUTH2 against the Microsoft identity platform, with
`profileProperties.instanceUrl` the environment's URL (`https://contoso.crm.dynamics.com`); a flow
names a table by its entity set (`entityName: accounts`). The label's `ConnectorConfiguration`
is the managed catalog's declaration (`sluice.connectors.managed.catalog`); this package is its
data path (`managed/data_paths.py`): api.py (URLs, token, errors), catalog.py (tables and
columns from the table definitions), connector.py (reads). Nothing heavy is imported here.
"""

from __future__ import annotations

from sluice.connectors.managed.declaration import CONNECTOR_TYPE, OPERATORS
from sluice.connectors.rest.spec import rest_spec

LABEL = "MicrosoftDynamics365"

# Only what `rest_spec` reads: `managed.spec` puts the catalog's declaration in its place.
_ROLES = {"canUseAsSource": True, "canUseAsDestination": False, "supportedOperators": list(OPERATORS)}

SPEC = rest_spec(CONNECTOR_TYPE, _ROLES, "sluice.connectors.dynamics365.connector")
