"""The SAP OData connector on the shared REST layer (connectors layer, SAP OData).

* API (api.py): the profile's `applicationHostUrl` + `portNumber`, `sap-client` /
  `sap-language`, basic or OAuth bearer auth, SAP's error bodies;
* catalog (catalog.py, edmx.py): the entity sets of the profile's service, from `$metadata`;
* source (source.py): `$select` / `$filter` push-down, `$skip`/`$top` pages read
  `maxParallelism` at a time, server-driven paging, ODP delta links for incremental runs;
* destination (destination.py, writer.py, changesets.py): INSERT / UPDATE / UPSERT through the
  CSRF handshake in `$batch` change sets, success responses and refused records to S3.

The profile check reads the service's `$metadata` (what every later call needs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sluice.connectors.base import ProfileView, RunContext
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.sapodata import CAPABILITIES
from sluice.connectors.sapodata.api import API, logon_params, service_path
from sluice.connectors.sapodata.catalog import SapCatalog
from sluice.connectors.sapodata.destination import SapDestination
from sluice.connectors.sapodata.source import SapSource
from sluice.connectors.sapodata.writer import SapWriter


def check_service(client: RestClient) -> None:
    """The profile check: the service's `$metadata` answers with these credentials."""
    client.call(Request("GET", f"{service_path(client.profile)}/$metadata", dict(logon_params(client.profile)),
                        headers={"Accept": "application/xml"}))


@dataclass(frozen=True)
class SapConnector(RestConnector):
    """A `RestConnector` whose source and destination are SAP's (objectPath, ODP, `$batch`)."""

    def open_source(self, profile: ProfileView, props: Mapping[str, Any],  # type: ignore[override]
                    ctx: RunContext) -> SapSource:
        return SapSource(self, profile, props, replace(ctx, batch_size=min(ctx.batch_size, self.batch_rows)))

    def open_destination(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> SapDestination:
        return SapDestination(self, profile, props, ctx)


CONNECTOR = SapConnector(API, SapCatalog(), operators=frozenset(CAPABILITIES["supportedOperators"]),
                         check=check_service, writer=SapWriter())
