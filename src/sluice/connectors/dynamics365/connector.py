"""The Microsoft Dynamics 365 data path on the shared REST layer (connectors layer).

* API (api.py): the environment's Web API, the Microsoft identity platform's tokens, Dataverse's
  error bodies and service protection limits;
* catalog (catalog.py): tables and columns from the table definitions;
* reads: the REST layer's `RestSource` over `GET /<entity set>?$select=...&$filter=...` with
  `Prefer: odata.maxpagesize` and `@odata.nextLink` paging (odata/paging.py); the flow's
  projection is `$select`, its comparisons and a scheduled run's window
  (`modifiedon gt <start> and modifiedon le <end>`) are `$filter` (odata/filters.py); with more than
  one thread the read is cut into `createdon` slices (catalog.py `SLICES`).

A flow names its table as `CustomConnectorSourceProperties.entityName`; an incremental flow that
names no `datetimeTypeFieldName` pulls by `modifiedon`, the change time of every Dataverse table.
The profile check (as AppFlow validates a connector's credentials) exchanges an authorization code
when the credentials carry one, then calls `GET /WhoAmI`; an access token Dataverse refuses is
renewed there once with the refresh token and the new tokens are stored, and a refused refresh
token refuses the profile with the identity platform's message (docs/connectors/microsoft-dynamics-365.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sluice.connectors.base import ProfileView
from sluice.connectors.dynamics365.api import API
from sluice.connectors.dynamics365.catalog import FIELD_TYPES, MODIFIED_ON, DynamicsCatalog
from sluice.connectors.managed.declaration import OPERATORS
from sluice.connectors.managed.rest_adapter import ManagedRestConnector
from sluice.connectors.rest.client import Request
from sluice.connectors.rest.metadata import RestMetadata, entity_field


class DynamicsMetadata(RestMetadata):
    """`RestMetadata` whose `fieldType` is the data type AWS names for the column (`String`, `Decimal`,
    `DateTime`; catalog.py `FIELD_TYPES`) rather than the Web API's EDM type."""

    def describe_entity(self, profile: ProfileView, entity_name: str) -> list[dict[str, Any]]:
        with self.connector.client(profile) as client:
            entity = self.connector.catalog.entity(client, entity_name)
            fields = entity.fields_for(client)
        answers = []
        for field in fields:
            answer = entity_field(field, entity, self.connector.operators)
            answer["supportedFieldTypeDetails"]["v1"]["fieldType"] = FIELD_TYPES.get(field.vendor_type, "String")
            answers.append(answer)
        return answers


@dataclass(frozen=True)
class DynamicsConnector(ManagedRestConnector):
    """A `ManagedRestConnector` whose field types are the ones AWS names (`DynamicsMetadata`)."""

    def metadata(self) -> DynamicsMetadata:
        return DynamicsMetadata(self)


def _modified_on(entity: str) -> str:
    return MODIFIED_ON


# `WhoAmI` is the Web API's cheapest authenticated call (the caller's user, business unit and
# organization): it answers to any valid token for the environment, whatever the user's privileges.
CONNECTOR = DynamicsConnector(API, DynamicsCatalog(), operators=frozenset(OPERATORS),
                              check=Request("GET", "/WhoAmI"), window_field=_modified_on)
