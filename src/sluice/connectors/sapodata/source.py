"""An SAP OData entity set as a flow source (connectors layer, SAP OData).

`SapSource(connector, profile, props, ctx)` reads `SAPODataSourceProperties.objectPath`:

1. the entity set and its fields come from the service's `$metadata` (catalog.py); the columns
   are the flow's projection (rest/source.py `choose_columns`), sent as `$select`;
2. the Filter tasks SAP can evaluate, and a scheduled run's window on its
   `datetimeTypeFieldName`, become `$filter` (odata/filters.py, shared with Dynamics 365);
3. full reads page by `$skip` / `$top` with `$top = paginationConfig.maxPageSize` (default
   1000) in key order (`$orderby` of the key properties, so pages neither overlap nor skip); the
   first page asks the total (`$inlinecount=allpages` in V2, `$count=true` in V4), then
   `parallelismConfig.maxParallelism` pages (default 1, at most 10) are read at once. A page SAP
   cuts short with a server-driven link (`__next` / `@odata.nextLink`, `$skiptoken`) is followed
   to its end. Records are handed on in key order whatever the parallelism, so a run with
   maxParallelism 4 writes exactly the rows, in the same order, of a run with 1;
4. incremental (scheduled) runs of a change-tracking (ODP) entity set read deltas instead: the
   first asks for the initial load with `Prefer: odata.track-changes` (and
   `odata.maxpagesize`), follows `__next` to the end and keeps the `__delta` link; each later
   run follows the link the last successful run kept (delta.py) and gets only the changes since,
   each record carrying SAP's `ODQ_CHANGEMODE` (C/U/D) and `ODQ_ENTITYCNTR`. Deletions are
   records with ODQ_CHANGEMODE `D`. ODP reads are one server-side cursor: maxParallelism does
   not apply to them.

Values: values.py (`/Date(...)/` instants, decimals kept exact as text, complex types as structs).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sluice.connectors.base import ConnectorError, ProfileView, ReadStats, RunContext, report
from sluice.connectors.batching import Rechunker
from sluice.connectors.odata import filters
from sluice.connectors.odata.payload import body_parts
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.records import RecordConverter
from sluice.connectors.rest.source import choose_columns, conditions_of
from sluice.connectors.sapodata import values
from sluice.connectors.sapodata.api import base_url, logon_params, resolve_link
from sluice.connectors.sapodata.catalog import SapCatalog, SapEntity
from sluice.connectors.sapodata.delta import delta_links

if TYPE_CHECKING:
    from sluice.connectors.rest.connector import RestConnector

DEFAULT_PAGE_SIZE = 1000
MAX_PARALLELISM = 10


def _int(config: Any, key: str, default: int, upper: int) -> int:
    value = config.get(key) if isinstance(config, Mapping) else None
    try:
        number = int(value) if value is not None else default
    except (TypeError, ValueError):
        number = default
    return max(1, min(upper, number))


class Page:
    """One page of records (after its server-driven continuation), the total SAP counted, the bytes."""

    __slots__ = ("delta", "records", "size", "total")

    def __init__(self, records: list[Any], total: int | None, size: int, delta: str | None = None) -> None:
        self.records, self.total, self.size, self.delta = records, total, size, delta


class SapSource:
    """`base.Source` over one entity set of an SAP OData service."""

    def __init__(self, connector: RestConnector, profile: ProfileView, props: Mapping[str, Any],
                 ctx: RunContext) -> None:
        self.connector = connector
        self.profile = profile
        self.ctx = ctx
        self.object_path = str(props.get("objectPath") or "").strip()
        if not self.object_path:
            raise ConnectorError("InvalidArgument", "SAPODataSourceProperties need an objectPath")
        self.parallelism = _int(props.get("parallelismConfig"), "maxParallelism", 1, MAX_PARALLELISM)
        self.page_size = _int(props.get("paginationConfig"), "maxPageSize", DEFAULT_PAGE_SIZE, 10_000)
        self.stats = ReadStats()

    # -- reading ------------------------------------------------------------------------------

    def read(self) -> Iterator[pa.RecordBatch]:
        """Yield the entity set's records as batches of at most `ctx.batch_size` rows."""
        with self.connector.client(self.profile, self.ctx) as client:
            catalog = self.connector.catalog
            assert isinstance(catalog, SapCatalog)
            entity = catalog.entity(client, self.object_path)
            info, v4 = entity.info, entity.service.v4
            columns = choose_columns(entity, list(info.fields), self.ctx, False)
            fields, dates = values.read_fields(columns, v4)
            converter = RecordConverter(fields)
            nested = not v4 and values.has_nested_dates(columns)
            rechunker = Rechunker(self.ctx.batch_size)
            for page in self._pages(client, entity, [c.name for c in columns]):
                if self.ctx.should_stop():
                    return
                self.stats.pages_read += 1
                self.stats.bytes_read += page.size
                self.stats.max_page_size = max(self.stats.max_page_size, len(page.records))
                if not page.records:
                    continue
                records = [values.nested_dates(r, columns) for r in page.records] if nested else page.records
                batch = values.convert_dates(converter.batch(records), dates)
                self.stats.records_read += batch.num_rows
                yield from rechunker.add(batch)
            yield from rechunker.flush()

    def _pages(self, client: RestClient, entity: SapEntity, select: list[str]) -> Iterator[Page]:
        info, v4 = entity.info, entity.service.v4
        params: dict[str, Any] = {**logon_params(self.profile)}
        if not v4:
            params["$format"] = "json"
        if select:
            params["$select"] = ",".join(select)
        by_name = {f.name: f for f in info.fields}
        delta = info.change_tracking and self.ctx.window_end is not None
        window: list[str] = []
        if self.ctx.window_end is not None and self.ctx.window_field and not delta:
            field = by_name.get(self.ctx.window_field)
            if field is not None:
                window = filters.window(field, self.ctx.window_start, self.ctx.window_end, v4)
        expression = filters.build(conditions_of(self.ctx.tasks), by_name, v4, window)
        if expression:
            params["$filter"] = expression
        what = (f"reading SAP OData {entity.name} (OData {entity.service.version}"
                f"{', filter ' + expression if expression else ''})")
        if delta:
            yield from self._delta(client, entity, params, what)
            return
        report(self.ctx, "source_opened", f"{what}, pages of {self.page_size}, {self.parallelism} at a time")
        yield from self._paged(client, entity, params)

    def _follow(self, client: RestClient, request: Request, v4: bool) -> Iterator[Page]:
        """The answer to `request`, then each answer SAP's server-driven links lead to."""
        current: Request | None = request
        while current is not None:
            answer = client.call(current)
            found, count, next_link, delta_link = body_parts(answer.body, v4, "SAP")
            yield Page(found, count, len(answer.response.content), delta_link)
            if not next_link or self.ctx.should_stop():
                return
            current = Request("GET", resolve_link(str(next_link), client.url(current.path), self.profile),
                              headers=dict(current.headers))

    def _fetch(self, client: RestClient, request: Request, v4: bool) -> Page:
        """One `$top` page, whole (SAP may cut it into server-driven pieces)."""
        pieces = list(self._follow(client, request, v4))
        if len(pieces) == 1:
            return pieces[0]
        records = [r for piece in pieces for r in piece.records]
        return Page(records, pieces[0].total, sum(p.size for p in pieces))

    def _paged(self, client: RestClient, entity: SapEntity, params: dict[str, Any]) -> Iterator[Page]:
        info, v4 = entity.info, entity.service.v4
        size = self.page_size
        base = dict(params)
        if info.keys and info.sortable_keys:
            base["$orderby"] = ",".join(info.keys)

        def request(index: int, count: bool = False) -> Request:
            query = {**base, "$skip": index * size, "$top": size}
            if count:
                query["$inlinecount" if not v4 else "$count"] = "allpages" if not v4 else "true"
            return Request("GET", entity.path, query)

        page = self._fetch(client, request(0, count=True), v4)
        yield page
        planned = math.ceil(page.total / size) if page.total is not None else 1
        index = 1
        if planned > 1:
            with ThreadPoolExecutor(max_workers=self.parallelism, thread_name_prefix="sap-page") as pool:
                window: deque[Future[Page]] = deque()
                ahead = self.parallelism + 1  # every worker busy, and one page more queued
                while index < planned or window:
                    while index < planned and len(window) < ahead:
                        window.append(pool.submit(self._fetch, client, request(index), v4))
                        index += 1
                    page = window.popleft().result()
                    if self.ctx.should_stop():
                        for pending in window:
                            pending.cancel()
                        return
                    yield page
        # Past the counted pages (records added meanwhile, or no count): one page at a time to a short one.
        while len(page.records) >= size and not self.ctx.should_stop():
            page = self._fetch(client, request(index), v4)
            index += 1
            yield page

    def _delta(self, client: RestClient, entity: SapEntity, params: dict[str, Any], what: str) -> Iterator[Page]:
        v4 = entity.service.v4
        links = delta_links(self.ctx, base_url(self.profile), entity.name)
        stored = links.get(self.ctx.window_start)
        link = None if stored is None else str(stored)
        if link is not None:
            report(self.ctx, "source_opened", f"{what}: the changes since the last successful run (ODP delta link)")
            request = Request("GET", resolve_link(link, client.url(entity.path), self.profile,
                                                  {"$format": "json"} if not v4 else None))
        else:
            if links.any():
                report(self.ctx, "warning", "no ODP delta link is stored for this window's start (the run that "
                       "ended there was not kept); reading the entity set's initial load again", "warning")
            report(self.ctx, "source_opened", f"{what}: initial load with change tracking (ODP), packages of "
                   f"{self.page_size}")
            request = Request("GET", entity.path, params, headers={
                "Prefer": f"odata.track-changes, odata.maxpagesize={self.page_size}"})
        new_link = None
        for page in self._follow(client, request, v4):
            new_link = page.delta or new_link
            yield page
        if self.ctx.should_stop():
            return
        if not new_link:
            raise ConnectorError("ServerError", f"SAP answered no delta link (__delta) for {entity.name}, so the next "
                                 "run could not read only the changes; is the entity set delta-enabled (ODP)?")
        assert self.ctx.window_end is not None
        links.put(self.ctx.window_end, str(new_link), self.ctx.window_start)
