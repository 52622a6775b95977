"""The HubSpot connector (connectors layer): CRM objects, owners and association labels on the shared REST layer.

Profiles are AppFlow's CustomConnector OAUTH2 profiles (`credentials.oauth2`: `accessToken`,
`refreshToken`, `clientId`, `clientSecret`; `oAuth2Properties.tokenUrl`). CreateConnectorProfile
exchanges an `oAuthRequest` authorization code when one is given (`grant_type=authorization_code` at the
profile's tokenUrl) and otherwise stores the tokens
as sent, without calling HubSpot (cdk-appflow's stacks send a placeholder access token beside a
real refresh token): the first metadata call or run renews a token HubSpot refuses. Flows name
the entity as `entityName` (catalog.py); reads: search.py; writes: writer.py; hosts and errors: api.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sluice.connectors.base import ProfileView, RunContext
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.destination import RestDestination
from sluice.connectors.rest.source import RestSource

from . import SPEC
from .api import API
from .catalog import OBJECTS, Catalog, modified_property
from .search import read_objects
from .writer import BatchWriter


def _named(props: Mapping[str, Any]) -> dict[str, Any]:
    """CustomConnector properties name the entity `entityName`; the REST layer reads `object`."""
    return {**props, "object": props.get("entityName") or props.get("object")}


@dataclass(frozen=True)
class HubSpotConnector(RestConnector):
    """The REST connector, reading CustomConnector source and destination properties."""

    def open_source(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> RestSource:
        named = _named(props)
        entity = str(named.get("object") or "")
        if ctx.window_end is not None and not ctx.window_field and entity in OBJECTS:
            # An incremental flow that names no datetimeTypeFieldName reads by the record's change time.
            ctx = replace(ctx, window_field=modified_property(OBJECTS[entity][0]))
        return super().open_source(profile, named, ctx)

    def open_destination(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> RestDestination:
        return super().open_destination(profile, _named(props), ctx)


CONNECTOR = HubSpotConnector(API, Catalog(read=read_objects),
                             operators=frozenset(SPEC.capabilities["supportedOperators"]), check=None,
                             writer=BatchWriter())
