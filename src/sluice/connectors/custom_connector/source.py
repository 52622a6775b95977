"""A custom connector as a flow source (connectors layer): QueryData pages -> Arrow record batches.

`CustomConnectorSource(profile, props, ctx)` reads `CustomConnectorSourceProperties`
{entityName, customProperties, dataTransferApi}:

* the entity is described first (`DescribeEntityRequest`, every run, never cached): its SDK
  field types give the Arrow schema (`types.py`) and its definition goes back to the connector
  as `connectorContext.entityDefinition`, as AppFlow sends it;
* the fields read (`selectedFieldNames`) are the Filter PROJECTION's `sourceFields` plus the
  fields other tasks and the incremental window read, or every retrievable field when a Map_all
  task exists or no task names a field. A projected field the entity lacks fails the run;
* `QueryDataRequest` {entityIdentifier, selectedFieldNames, filterExpression (`filters.py`),
  maxResults, nextToken} is sent page after page until the connector gives no `nextToken`;
  the runtime settings are the profile's `profileProperties` plus the flow's `customProperties`;
* a flow whose only comparison is EQUAL_TO on a String primary key (and no incremental window)
  asks `RetrieveDataRequest` {idFieldName, ids} instead: one call, the records by id. A connector
  that refuses RetrieveData (InvalidArgument, ClientError, ServerError) is queried instead.

Records (JSON strings) become batches of `ctx.batch_size` rows. The engine still applies every
task and the window, so what the connector filters only saves transfer. `dataTransferApi` is
accepted and ignored: the SDK has one record API.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa

from sluice.connectors.base import ConnectorError, ProfileView, ReadStats, RunContext
from sluice.connectors.batching import Rechunker
from sluice.connectors.custom_connector import filters, sdk, types
from sluice.connectors.custom_connector.limits import call_timeout
from sluice.connectors.custom_connector.metadata import describe
from sluice.connectors.custom_connector.profile import Session, configuration
from sluice.connectors.pushdown import operands, task_fields

log = logging.getLogger(__name__)

PAGE_SIZE = 1000  # QueryDataRequest.maxResults: the SDK's DEFAULT_MAX_RESULT
PAGE_TIMEOUT = 900.0  # Lambda's own limit: a page that takes longer will never come
# RetrieveData answers after which QueryData is tried instead (anything but credentials or throttling).
FALLBACK_CODES = frozenset({"InvalidArgument", "ClientError", "ServerError"})




def select_fields(entity_name: str, fields: Mapping[str, Mapping[str, Any]], ctx: RunContext) -> list[str]:
    """The `selectedFieldNames` of a run (see the module docstring)."""
    projected, others, map_all = task_fields(ctx.tasks)
    if map_all or not (projected or others):
        columns = [name for name, f in fields.items()
                   if (f.get("readProperties") or {}).get("isRetrievable") is not False]
    else:
        missing = [name for name in projected if name not in fields]
        if missing:
            raise ConnectorError(
                "InvalidArgument",
                f"the entity {entity_name} has no field {', '.join(repr(m) for m in missing)} (the flow's "
                "PROJECTION names it); update the flow's tasks or the entity",
            )
        columns = projected or [n for n in others if n in fields]
        # Fields other tasks read that the projection forgot: cheap to read, and the tasks need them.
        columns += [n for n in others if n not in columns and n in fields]
    if ctx.window_end is not None and ctx.window_field and ctx.window_field not in columns:
        if ctx.window_field not in fields:
            raise ConnectorError("InvalidArgument",
                                 f"the incremental pull field {ctx.window_field!r} is not a field of {entity_name}")
        columns.append(ctx.window_field)
    return columns


def retrieve_ids(fields: Mapping[str, Mapping[str, Any]], ctx: RunContext) -> tuple[str, list[str]] | None:
    """(primary key, ids) when the flow's only comparison is EQUAL_TO on a String primary key."""
    if ctx.window_end is not None:
        return None
    comparisons = [t for t in ctx.tasks if t.get("taskType") == "Filter"
                   and [v for v in (t.get("connectorOperator") or {}).values() if v is not None] != ["PROJECTION"]]
    if len(comparisons) != 1:
        return None
    task = comparisons[0]
    operators = [v for v in (task.get("connectorOperator") or {}).values() if v is not None]
    sources = task.get("sourceFields") or []
    props = task.get("taskProperties") or {}
    if operators != ["EQUAL_TO"] or len(sources) != 1 or props.get("DATA_TYPE") not in (None, "String", "string"):
        return None
    field = fields.get(str(sources[0])) or {}
    if not field.get("isPrimaryKey") or field.get("dataType") != "String":
        return None
    ids = operands("EQUAL_TO", props)
    return (str(sources[0]), ids) if ids else None




class CustomConnectorSource:
    """`base.Source` over one entity of a registered custom connector."""

    def __init__(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext, *, invoker: Any = None,
                 page_size: int = PAGE_SIZE) -> None:
        self.entity_name = str(props.get("entityName") or "")
        if not self.entity_name:
            raise ConnectorError("InvalidArgument", "CustomConnectorSourceProperties.entityName is required")
        custom = props.get("customProperties") or {}
        self.session = Session(profile, settings=custom if isinstance(custom, Mapping) else {},
                               data_dir=ctx.data_dir, invoker=invoker)
        self.ctx = ctx
        self.page_size = page_size
        self.stats = ReadStats()
        self.columns: list[str] = []
        self.filter_expression: str | None = None
        self.used_request: str | None = None

    def read(self) -> Iterator[pa.RecordBatch]:
        """Yield the entity's records as batches of at most `ctx.batch_size` rows."""
        definition = describe(self.session, self.entity_name)
        fields = {str(f["fieldName"]): f for f in definition["fields"]}
        self.columns = select_fields(self.entity_name, fields, self.ctx)
        schema = types.arrow_schema(definition["fields"], self.columns)
        chunks = Rechunker(self.ctx.batch_size)
        for records in self._pages(definition, fields):
            batch = self._batch(records, schema)
            self.stats.records_read += batch.num_rows
            yield from chunks.add(batch)
            if self.ctx.should_stop():
                return
        yield from chunks.flush()

    def _query(self, definition: Mapping[str, Any], fields: Mapping[str, Mapping[str, Any]]) -> Iterator[list[Any]]:
        self.used_request = sdk.QUERY_DATA
        supported = configuration(self.session.profile).get("supportedOperators") or None
        self.filter_expression = filters.filter_expression(
            self.ctx.tasks, fields, self.ctx.window_field, self.ctx.window_start, self.ctx.window_end,
            supported_operators=supported,
        )
        log.info("run %s: querying %s (filter: %s)", self.ctx.execution_id, self.entity_name,
                 self.filter_expression or "none")
        token: str | None = None
        seen: set[str] = set()
        while True:
            answer = self._call(sdk.QUERY_DATA, "QueryData", definition, selectedFieldNames=self.columns,
                                filterExpression=self.filter_expression, maxResults=self.page_size, nextToken=token)
            yield self._records(answer)
            token = answer.get("nextToken") or None
            if token is None:
                return
            token = str(token)
            if token in seen:
                raise ConnectorError("ServerError", f"the connector answered page {self.stats.pages_read} of "
                                     f"{self.entity_name} with a nextToken it had already given: the read would "
                                     "never end")
            seen.add(token)
            if self.ctx.should_stop():
                return

    def _pages(self, definition: Mapping[str, Any], fields: Mapping[str, Mapping[str, Any]]) -> Iterator[list[Any]]:
        """RetrieveData when the flow asks for records by primary key, else QueryData pages."""
        by_id = retrieve_ids(fields, self.ctx)
        if by_id is not None:
            key, ids = by_id
            log.info("run %s: retrieving %d %s record(s) by %s", self.ctx.execution_id, len(ids), self.entity_name,
                     key)
            try:
                answer = self._call(sdk.RETRIEVE_DATA, "RetrieveData", definition,
                                    selectedFieldNames=self.columns, idFieldName=key, ids=ids)
            except ConnectorError as exc:
                if exc.code not in FALLBACK_CODES:
                    raise
                # Connectors may leave RetrieveData unimplemented; QueryData reads the same records.
                log.info("run %s: RetrieveData failed (%s); querying instead", self.ctx.execution_id, exc.message)
            else:
                self.used_request = sdk.RETRIEVE_DATA
                yield self._records(answer)
                return
        yield from self._query(definition, fields)

    def _call(self, type_name: str, operation: str, definition: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
        page = self.stats.pages_read + 1
        try:
            return self.session.call(type_name, operation, timeout=call_timeout(PAGE_TIMEOUT),
                                     entity_definition=definition, entityIdentifier=self.entity_name, **fields)
        except ConnectorError as exc:
            raise ConnectorError(exc.code, f"{operation} page {page} of {self.entity_name} failed: {exc.message}",
                                 exc.retry_after) from exc

    def _records(self, answer: Mapping[str, Any]) -> list[Any]:
        records = answer.get("records") or []
        if not isinstance(records, list):
            raise ConnectorError("ServerError", f"the connector answered a page of {self.entity_name} whose records "
                                 "are not a list")
        self.stats.pages_read += 1
        self.stats.bytes_read += sum(len(r.encode()) if isinstance(r, str) else 0 for r in records)
        self.stats.max_page_size = max(self.stats.max_page_size, len(records))
        return records

    def _batch(self, records: list[Any], schema: pa.Schema) -> pa.RecordBatch:
        try:
            return types.records_to_batch(records, schema)
        except ValueError as exc:
            raise ConnectorError("ServerError", f"page {self.stats.pages_read} of {self.entity_name}: {exc}") from None


def open_source(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> CustomConnectorSource:
    """`ConnectorSpec.open_source` for custom connectors."""
    return CustomConnectorSource(profile, props, ctx)
