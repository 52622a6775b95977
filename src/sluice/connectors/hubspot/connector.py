"""The HubSpot connector (connectors layer): CRM objects, owners and association labels on the shared REST layer.

Profiles are AppFlow's CustomConnector OAUTH2 profiles (`credentials.oauth2`: `accessToken`,
`refreshToken`, `clientId`, `clientSecret`; `oAuth2Properties.tokenUrl`). CreateConnectorProfile
exchanges an `oAuthRequest` authorization code when one is given (`grant_type=authorization_code` at the
profile's tokenUrl), then checks the tokens as AppFlow validates a connector's credentials: one owner
(`GET /crm/v3/owners?limit=1`, scope `crm.objects.owners.read`). cdk-appflow's stacks send a
placeholder access token beside a real refresh token: HubSpot refuses the placeholder, so it is
renewed there once and the new tokens are stored; a refused refresh token refuses the profile with
HubSpot's message. Flows name the entity as `entityName` (catalog.py); an incremental flow naming no
`datetimeTypeFieldName` reads by the record's change time. Reads: search.py; writes: writer.py;
hosts and errors: api.py.
"""

from __future__ import annotations

from sluice.connectors.managed.rest_adapter import ManagedRestConnector
from sluice.connectors.rest.client import Request

from . import SPEC
from .api import API
from .catalog import OBJECTS, Catalog, modified_property
from .search import read_objects
from .writer import BatchWriter


def change_time(entity: str) -> str | None:
    """The property holding a CRM record's change time (None for owners and association labels)."""
    return modified_property(OBJECTS[entity][0]) if entity in OBJECTS else None


CONNECTOR = ManagedRestConnector(API, Catalog(read=read_objects),
                                 operators=frozenset(SPEC.capabilities["supportedOperators"]),
                                 check=Request("GET", "/crm/v3/owners", {"limit": 1}),
                                 writer=BatchWriter(), window_field=change_time)
