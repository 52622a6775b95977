"""A SaaS connector on the shared REST layer: its API, catalog, profile check and writer.

A vendor folder builds one `RestConnector` (in its `connector.py`) and its `__init__` turns it
into the registry's `ConnectorSpec` with `spec.rest_spec` - lazily, so the registry imports no
httpx or pyarrow. The connector gives the service layer:

* `check_profile` - exchanges an OAuth authorization code when the credentials carry one
  (`oAuthRequest`), then sends the vendor's check request with the credentials; a refusal is
  `InvalidCredentials` with the vendor's message;
* `metadata()` - the `MetadataProvider` (metadata.py);
* `open_source` / `open_destination` - `RestSource` / `RestDestination`;
* `cleanup_destination` - drops a killed run's spool.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sluice.connectors.base import ConnectorError, ProfileView, RunContext, retry_reporter
from sluice.connectors.rest.api import RestApi
from sluice.connectors.rest.auth import Bearer
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.destination import RestDestination, Writer, cleanup_for
from sluice.connectors.rest.entities import Catalog
from sluice.connectors.rest.metadata import RestMetadata
from sluice.connectors.rest.source import RestSource


@dataclass(frozen=True)
class RestConnector:
    """Everything Sluice knows about one SaaS connector type (see the module docstring)."""

    api: RestApi
    catalog: Catalog
    # The connector's supported Filter operators (its catalog entry's `supportedOperators`).
    operators: frozenset[str] = frozenset()
    # The profile check: a request whose success proves the credentials, or code doing that.
    check: Request | Callable[[RestClient], None] | None = None
    writer: Writer | None = None
    # Credential keys kept out of what is stored (e.g. an authorization code once exchanged).
    transient_credentials: tuple[str, ...] = field(default=("oAuthRequest",))
    # Source batches hold at most this many rows. SaaS records are wide (a Zendesk ticket is ~1 KB
    # of Arrow over forty-odd columns): the engine's 65,536-row batches would hold ~60 MB each,
    # twice over while the next fills; smaller ones keep a run's memory flat whatever the size
    # (measured on the Zendesk benchmark: 435 MiB -> 313 MiB server peak at 500k tickets).
    batch_rows: int = 8192

    def client(self, profile: ProfileView, ctx: RunContext | None = None) -> RestClient:
        """A client for `profile` (close it, or use `with`); a run's `ctx` hears of each retry."""
        return RestClient(self.api, profile, on_retry=retry_reporter(ctx),
                          on_event=ctx.on_event if ctx is not None else None)

    def metadata(self) -> RestMetadata:
        """`ConnectorSpec.load_metadata`."""
        return RestMetadata(self)

    def open_source(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> RestSource:
        """`ConnectorSpec.open_source`."""
        return RestSource(self, profile, props, replace(ctx, batch_size=min(ctx.batch_size, self.batch_rows)))

    def open_destination(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> RestDestination:
        """`ConnectorSpec.open_destination`."""
        return RestDestination(self, profile, props, ctx)

    def cleanup_destination(self, props: Mapping[str, Any], data_dir: str, execution_id: str, aws: Any = None) -> None:
        """`ConnectorSpec.cleanup_destination`."""
        cleanup_for(self.api.connector_type, data_dir, execution_id)

    def check_profile(self, profile: ProfileView) -> Mapping[str, Any]:
        """`ConnectorSpec.check_profile`: the credentials to store, once the vendor accepted them."""
        credentials = dict(profile.credentials)
        auth = self.api.auth_for(profile)
        if isinstance(auth, Bearer):
            with RestClient(self.api, replace(profile, save_credentials=None)) as client:
                credentials = client.authorize(auth)
        for key in self.transient_credentials:
            credentials.pop(key, None)
        checked = replace(profile, credentials=credentials, save_credentials=None)
        with RestClient(self.api, checked) as client:
            try:
                if callable(self.check):
                    self.check(client)
                elif self.check is not None:
                    client.call(self.check)
            except ConnectorError as exc:
                if exc.code in ("InvalidCredentials", "AccessDenied"):
                    raise ConnectorError("InvalidCredentials", exc.message) from None
                raise
            return client.credentials
