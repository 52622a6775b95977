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
The profile check exchanges an authorization code when the credentials carry one; it does not
call the environment (see docs/connectors/microsoft-dynamics-365.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sluice.connectors.base import ProfileView, RunContext
from sluice.connectors.dynamics365.api import API
from sluice.connectors.dynamics365.catalog import FIELD_TYPES, MODIFIED_ON, DynamicsCatalog
from sluice.connectors.managed.declaration import OPERATORS
from sluice.connectors.rest.auth import Bearer
from sluice.connectors.rest.client import RestClient
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.metadata import RestMetadata, entity_field
from sluice.connectors.rest.source import RestSource


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
class DynamicsConnector(RestConnector):
    """A `RestConnector` reading `entityName` (CustomConnector source properties)."""

    def metadata(self) -> DynamicsMetadata:
        return DynamicsMetadata(self)

    def open_source(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> RestSource:
        table = str(props.get("entityName") or props.get("object") or "")
        if ctx.window_end is not None and not ctx.window_field:
            ctx = replace(ctx, window_field=MODIFIED_ON)
        return super().open_source(profile, {"object": table}, ctx)

    def check_profile(self, profile: ProfileView) -> Mapping[str, Any]:
        """The credentials to store: an `oauth2.oAuthRequest` code exchanged for tokens, else as given."""
        auth = self.api.auth_for(profile)
        credentials = dict(profile.credentials)
        if isinstance(auth, Bearer):
            with RestClient(self.api, replace(profile, save_credentials=None)) as client:
                credentials = client.authorize(auth)
        return credentials


CONNECTOR = DynamicsConnector(API, DynamicsCatalog(), operators=frozenset(OPERATORS))
