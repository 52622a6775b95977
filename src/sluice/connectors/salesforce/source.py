"""Salesforce as a flow source (connectors layer): an sObject's records -> Arrow record batches.

`SalesforceSource(profile, props, ctx)` reads `SalesforceSourceProperties.object`:

* the object is described at the start of every run (never cached), and the fields read are the
  Filter PROJECTION's `sourceFields` (plus the fields other tasks read and the incremental window
  field), or every field of the object when `enableDynamicFieldUpdate` is true, a Map_all task
  exists, or no task names fields. A projected field the object lacks fails the run, naming it;
* the SOQL pushes the projection, the incremental window and the Filter comparisons Salesforce
  can evaluate down (`soql.py`); the engine still applies every task;
* `dataTransferApi`: REST_SYNC pages through `query` (`queryAll` with `includeDeletedRecords`),
  2,000 records a page; BULKV2 runs a Bulk API 2.0 query job (`bulk_query.py`); AUTOMATIC counts
  the records first (`SELECT COUNT()` with the same WHERE) and uses Bulk from 1,000,000 records
  (`SLUICE_SALESFORCE_BULK_THRESHOLD`), REST below, as AppFlow documents.

An incremental REST read whose window holds more than one page is read as time slices on several
threads when the run has them (`splits` / `read_split`, slices.py).

Both paths give the same schema and values (`types.py`). Bulk API 2.0 cannot transfer compound
fields (address, location): they are not queried and their columns are null on that path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from sluice.connectors.base import ConnectorError, ProfileView, ReadStats, RunContext, retry_reporter
from sluice.connectors.batching import Rechunker
from sluice.connectors.pushdown import task_fields
from sluice.connectors.salesforce import settings, soql, types
from sluice.connectors.salesforce.bulk_query import BulkQuery, parse_page
from sluice.connectors.salesforce.client import SalesforceApiError, SalesforceClient
from sluice.connectors.salesforce.metadata import describe
from sluice.connectors.salesforce.slices import WindowSlice, plan_slices
from sluice.settings import current

log = logging.getLogger(__name__)

APIS = ("AUTOMATIC", "BULKV2", "REST_SYNC")


@dataclass(frozen=True, slots=True)
class ReadPlan:
    """What a run reads: columns (as the flow names them), their fields, the SOQL and its WHERE."""

    object_name: str
    columns: list[str]
    fields: list[Mapping[str, Any]]
    schema: pa.Schema
    where: str

    def query(self, *, bulk: bool) -> str:
        """The SELECT for REST, or for Bulk (compound fields left out)."""
        names = dict.fromkeys(str(f["name"]) for f in self.fields if not (bulk and types.is_compound(f)))
        select = f"SELECT {', '.join(names)} FROM {self.object_name}"
        return f"{select} WHERE {self.where}" if self.where else select




def plan_read(
    object_name: str, described: Mapping[str, Any], props: Mapping[str, Any], ctx: RunContext
) -> ReadPlan:
    """Choose the columns and build the SOQL for a run from a fresh describe."""
    fields = [f for f in described["fields"] if isinstance(f, Mapping) and f.get("name")]
    exact = {str(f["name"]): f for f in fields}
    folded = {name.lower(): f for name, f in exact.items()}

    def lookup(name: str) -> Mapping[str, Any] | None:
        return exact.get(name) or folded.get(name.lower())

    projected, others, map_all = task_fields(ctx.tasks)
    if props.get("enableDynamicFieldUpdate") or map_all or not (projected or others):
        columns = list(exact)
    else:
        missing = [name for name in projected if lookup(name) is None]
        if missing:
            raise ConnectorError(
                "InvalidArgument",
                f"the Salesforce object {object_name} has no field {', '.join(repr(m) for m in missing)} "
                "(the flow's PROJECTION names it); update the flow's tasks or the object",
            )
        columns = projected or [n for n in others if lookup(n) is not None]
        # Fields other tasks read that the projection forgot: reading them costs little and
        # lets the engine's tasks find them.
        columns += [n for n in others if n not in columns and lookup(n) is not None]
    if ctx.window_end is not None and ctx.window_field and ctx.window_field not in columns:
        if lookup(ctx.window_field) is None:
            raise ConnectorError(
                "InvalidArgument",
                f"the incremental pull field {ctx.window_field!r} is not a field of {object_name}",
            )
        columns.append(ctx.window_field)
    chosen = [lookup(c) or {"name": c} for c in columns]
    # Filters are looked up by the names the tasks use, whatever their case.
    by_task_name = dict(exact)
    for task in ctx.tasks:
        for name in task.get("sourceFields") or []:
            found = lookup(str(name))
            if found is not None:
                by_task_name.setdefault(str(name), found)
    window_name = None
    if ctx.window_field:
        found = lookup(ctx.window_field)
        window_name = str(found["name"]) if found is not None else ctx.window_field
    where = soql.where_clause(ctx.tasks, window_name, ctx.window_start, ctx.window_end, by_task_name)
    schema = pa.schema([pa.field(c, types.arrow_type(f)) for c, f in zip(columns, chosen, strict=True)])
    return ReadPlan(str(described.get("name") or object_name), columns, chosen, schema, where)




class SalesforceSource:
    """`base.Source` over one Salesforce object."""

    def __init__(
        self,
        profile: ProfileView,
        props: Mapping[str, Any],
        ctx: RunContext,
        *,
        client: SalesforceClient | None = None,
    ) -> None:
        self.object_name = str(props.get("object") or "")
        if not self.object_name:
            raise ConnectorError("InvalidArgument", "SalesforceSourceProperties.object is required")
        api = str(props.get("dataTransferApi") or "AUTOMATIC")
        if api not in APIS:
            raise ConnectorError("InvalidArgument", f"dataTransferApi {api!r} is not one of {', '.join(APIS)}")
        self.api = api
        self.include_deleted = bool(props.get("includeDeletedRecords"))
        self.profile = profile
        self.props = props
        self.ctx = ctx
        self._client = client
        self.stats = ReadStats()
        self.chosen_api: str | None = None
        self.plan: ReadPlan | None = None
        self._described: Mapping[str, Any] | None = None  # the describe split planning read
        self._lock = threading.Lock()

    def splits(self) -> list[WindowSlice] | None:
        """Time slices of an incremental REST read (slices.py), or None: the read is one stream."""
        ctx = self.ctx
        if current().parallelism <= 1 or ctx.window_start is None or ctx.window_end is None or not ctx.window_field:
            return None
        client = self._client or SalesforceClient(self.profile, on_retry=retry_reporter(ctx))
        try:
            self._described = described = describe(client, self.object_name)
            self.plan = plan = plan_read(self.object_name, described, self.props, ctx)
            window = next((f for f in plan.fields if str(f.get("name", "")).lower() == ctx.window_field.lower()), None)
            if window is None or str(window.get("type")) != "datetime" or self.api == "BULKV2":
                return None
            records = self._count(client, plan)
            self.chosen_api = api = self.api if self.api != "AUTOMATIC" else (
                "BULKV2" if records is None or records >= settings.bulk_threshold() else "REST_SYNC")
            if api != "REST_SYNC" or records is None:
                return None
            return plan_slices(ctx.window_start, ctx.window_end, records)
        finally:
            if self._client is None:
                client.close()

    def read_split(self, piece: WindowSlice) -> Iterator[pa.RecordBatch]:
        """One slice's records (its own query and client), as batches of at most `ctx.batch_size` rows."""
        assert self._described is not None, "splits() plans the read first"
        ctx = replace(self.ctx, window_start=piece.start, window_end=piece.end)
        plan = plan_read(self.object_name, self._described, self.props, ctx)
        client = self._client or SalesforceClient(self.profile, on_retry=retry_reporter(self.ctx))
        try:
            yield from self._counted(self._rest(client, plan))
        finally:
            if self._client is None:
                client.close()

    def read(self) -> Iterator[pa.RecordBatch]:
        """Yield the object's records as batches of at most `ctx.batch_size` rows."""
        client = self._client or SalesforceClient(self.profile, on_retry=retry_reporter(self.ctx))
        try:
            self.plan = plan = self.plan or plan_read(self.object_name, describe(client, self.object_name),
                                                      self.props, self.ctx)
            self.chosen_api = api = self.chosen_api or self._choose(client, plan)
            log.info("run %s: reading %s through %s", self.ctx.execution_id, plan.object_name,
                     "Bulk API 2.0" if api == "BULKV2" else "REST")
            pages = self._bulk(client, plan) if api == "BULKV2" else self._rest(client, plan)
            yield from self._counted(pages)
        finally:
            if self._client is None:
                client.close()

    def _counted(self, pages: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """`pages` regrouped into batches of at most `ctx.batch_size` rows and counted in `stats`
        (under the lock: slices are read on several threads); ends early when the run is stopped."""
        chunks = Rechunker(self.ctx.batch_size)
        for batch in pages:
            with self._lock:
                self.stats.records_read += batch.num_rows
            yield from chunks.add(batch)
            if self.ctx.should_stop():
                return
        yield from chunks.flush()

    # -- choosing the API -------------------------------------------------------------------

    def _choose(self, client: SalesforceClient, plan: ReadPlan) -> str:
        if self.api != "AUTOMATIC":
            return self.api
        count = self._count(client, plan)
        return "BULKV2" if count is None or count >= settings.bulk_threshold() else "REST_SYNC"

    def _count(self, client: SalesforceClient, plan: ReadPlan) -> int | None:
        """The records the read's WHERE matches (`SELECT COUNT()`); None when Salesforce cannot count them in
        time (a Bulk-sized read)."""
        try:
            body = client.request(
                "GET", client.data_path("queryAll" if self.include_deleted else "query"),
                params={"q": soql.count_query(plan.object_name, plan.where)},
            ).json()
        except SalesforceApiError as exc:
            if exc.sf_code == "QUERY_TIMEOUT":
                return None
            raise
        return int(body.get("totalSize") or 0)

    # -- REST -------------------------------------------------------------------------------

    def _rest(self, client: SalesforceClient, plan: ReadPlan) -> Iterator[pa.RecordBatch]:
        canonical = pa.schema([pa.field(str(f["name"]), t) for f, t in zip(plan.fields, plan.schema.types,
                                                                             strict=True)])
        url: str | None = client.data_path("queryAll" if self.include_deleted else "query")
        params: dict[str, Any] | None = {"q": plan.query(bulk=False)}
        while url:
            response = client.request("GET", url, params=params)
            try:
                body = response.json()
            except ValueError:
                raise ConnectorError("ServerError", "Salesforce answered a query page with no JSON") from None
            records = body.get("records") or []
            with self._lock:  # slices are read on several threads
                self.stats.pages_read += 1
                self.stats.bytes_read += len(response.content)
                self.stats.max_page_size = max(self.stats.max_page_size, len(records))
            try:
                batch = types.records_to_batch(records, canonical)
            except ValueError as exc:
                message = f"a record of {plan.object_name} could not be read: {exc}"
                raise ConnectorError("ServerError", message) from None
            yield batch.rename_columns(plan.columns)
            url = None if body.get("done", True) else body.get("nextRecordsUrl")
            params = None
            if url and self.ctx.should_stop():
                return

    # -- Bulk API 2.0 -----------------------------------------------------------------------

    def _bulk(self, client: SalesforceClient, plan: ReadPlan) -> Iterator[pa.RecordBatch]:
        # One CSV column per Salesforce field (a flow may name a field twice, in different case).
        csv_fields = {str(f["name"]): t for f, t in zip(plan.fields, plan.schema.types, strict=True)
                      if not types.is_compound(f)}
        if not csv_fields:
            raise ConnectorError(
                "InvalidArgument",
                "Bulk API 2.0 cannot transfer compound fields, and the flow reads nothing else from "
                f"{plan.object_name}",
            )
        csv_schema = pa.schema(list(csv_fields.items()))
        job = BulkQuery(client, plan.query(bulk=True), include_deleted=self.include_deleted,
                        should_stop=self.ctx.should_stop)
        job.create()
        if not job.wait():
            return
        # The finished job is left to Salesforce, which removes query jobs after seven days.
        for page in job.pages():
            rows = 0
            for batch in parse_page(page, csv_schema):
                rows += batch.num_rows
                yield _complete(batch, plan)
            self.stats.pages_read = job.pages_read
            self.stats.bytes_read = job.bytes_read
            self.stats.max_page_size = max(self.stats.max_page_size, rows)
            if self.ctx.should_stop():
                return


def _complete(batch: pa.RecordBatch, plan: ReadPlan) -> pa.RecordBatch:
    """A Bulk batch with every planned column, in order and named as the flow names them."""
    by_name = {name: batch.column(i) for i, name in enumerate(batch.schema.names)}
    arrays = []
    for field, target in zip(plan.fields, plan.schema, strict=True):
        column = by_name.get(str(field["name"]))
        arrays.append(column if column is not None else pa.nulls(batch.num_rows, target.type))
    return pa.RecordBatch.from_arrays(arrays, schema=plan.schema)
