"""The Veeva connector: the Vault's host, session auth, the catalog and the source (connectors layer, Veeva).

Declared on the shared REST layer (connectors/rest/): session.py signs in and reads Vault's error
envelope, catalog.py lists objects and reads their fields, vql.py builds the queries, documents.py moves
documents and their files. Calls go to the profile's `instanceUrl` (`https://<vault>.veevavault.com`;
`SLUICE_ENDPOINT_URL_VEEVA` when the profile has none). The profile check signs in with
`VeevaConnectorProfileCredentials` (username, password) and lists the Vault's objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

import httpx

from sluice.connectors.base import ProfileView, RunContext, retry_reporter
from sluice.connectors.rest.api import RestApi
from sluice.connectors.rest.client import Answer, Request, RestClient
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.entities import Entity, Page, Query
from sluice.connectors.rest.pages import read_pages
from sluice.connectors.rest.source import RestSource
from sluice.connectors.veeva import CAPABILITIES, CONNECTOR_TYPE
from sluice.connectors.veeva.catalog import DOCUMENTS, VaultCatalog
from sluice.connectors.veeva.documents import DocumentOptions, read_documents
from sluice.connectors.veeva.session import (
    API_VERSION,
    VaultSession,
    classify,
    envelope,
    expired,
    throttled,
    vault_error,
)
from sluice.connectors.veeva.vql import NextPage, query_request, select, where

API = RestApi(CONNECTOR_TYPE, "Veeva Vault", hosts=("veevavault.com",), auth=VaultSession(), errors=vault_error,
              envelope=envelope, classify=classify, throttled=throttled, expired=expired)


# Below this share of the Vault's burst limit left, the run's log says so (once per client).
BURST_WARNING = 0.1


class VaultClient(RestClient):
    """`RestClient` that reads Vault's rate-limit headers: when `X-VaultAPI-BurstLimitRemaining` falls below
    a tenth of `X-VaultAPI-BurstLimit`, the run's log says so once (Vault then slows its answers down for
    the rest of its 5-minute window, and other integrations of the Vault share the limit)."""

    warned = False

    def call(self, request: Request, *, expect: tuple[int, ...] = (200, 201, 202, 204),
             into: BinaryIO | None = None) -> Answer:
        answer = super().call(request, expect=expect, into=into)
        self._watch(answer.response.headers)
        return answer

    def _watch(self, headers: httpx.Headers) -> None:
        try:
            limit = int(headers.get("X-VaultAPI-BurstLimit", ""))
            left = int(headers.get("X-VaultAPI-BurstLimitRemaining", ""))
        except ValueError:
            return
        if not self.warned and limit > 0 and left < limit * BURST_WARNING:
            self.warned = True
            self.report("warning", f"Veeva Vault's burst limit is nearly used up: {left} of {limit} calls left in "
                        "this 5-minute window; Vault slows its answers down until the window ends", "warning")


class VeevaSource(RestSource):
    """`RestSource` reading through VQL; `documents` also hands its files to the destination."""

    def __init__(self, connector: RestConnector, profile: ProfileView, props: Mapping[str, Any],
                 ctx: RunContext) -> None:
        super().__init__(connector, profile, props, ctx)
        self.documents = DocumentOptions.of(props)

    def _pages(self, client: Any, entity: Entity, query: Query) -> Iterator[Page]:
        fields = entity.fields_for(client)  # read once per run (catalog.py)
        if entity.name == DOCUMENTS:
            yield from read_documents(client, query, fields, self.documents, self.ctx, self._files_read)
            return
        vql = select(list(query.columns) or [f.name for f in fields], entity.name, where(query, fields))
        yield from read_pages(client, query_request(API_VERSION, vql), NextPage(), "data", entity.name)

    def _files_read(self, count: int) -> None:
        with self._stats_lock:
            self.stats.files_read += count


@dataclass(frozen=True)
class VeevaConnector(RestConnector):
    """`RestConnector` whose clients watch Vault's burst limit and whose source is a `VeevaSource`."""

    def client(self, profile: ProfileView, ctx: RunContext | None = None) -> RestClient:
        return VaultClient(self.api, profile, on_retry=retry_reporter(ctx),
                           on_event=ctx.on_event if ctx is not None else None)

    def open_source(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> RestSource:
        source = super().open_source(profile, props, ctx)
        return VeevaSource(self, profile, props, source.ctx)


CONNECTOR = VeevaConnector(API, VaultCatalog(), operators=frozenset(CAPABILITIES["supportedOperators"]),
                           check=Request("GET", f"/api/{API_VERSION}/metadata/vobjects"))
