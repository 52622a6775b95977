"""A REST entity as a flow source (connectors layer, shared REST layer).

`RestSource(connector, profile, props, ctx)` reads `<Type>SourceProperties.object`:

1. the entity and its fields come from the catalog (fields may be read from the vendor);
2. the columns are the Filter PROJECTION's fields (plus fields other tasks read and the
   incremental field), or every field for Map_all / no named fields; a projected field the
   entity lacks fails the run, naming it;
3. the Filter comparisons and the incremental window become a `Query`; the entity's `plan` turns
   what the vendor can evaluate into request parameters (push-down);
4. pages are read (`Entity.paginator`, one request ahead; or `Entity.read` for odd vendors), each page's records
   become one Arrow batch (`records.py`), records outside the incremental window
   (window_start, window_end] are dropped (vendors' time filters are often inclusive or coarse,
   and a record must land exactly once), and batches are re-cut to `ctx.batch_size` rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from sluice.connectors.base import ConnectorError, ProfileView, ReadStats, RunContext
from sluice.connectors.batching import Rechunker
from sluice.connectors.pushdown import operands, task_fields
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Condition, Entity, Field, Page, Query
from sluice.connectors.rest.pages import read_pages
from sluice.connectors.rest.records import RecordConverter

if TYPE_CHECKING:
    from sluice.connectors.rest.connector import RestConnector

log = logging.getLogger(__name__)


def conditions_of(tasks: Any) -> tuple[Condition, ...]:
    """The Filter tasks' comparisons (everything but PROJECTION), with usable operands."""
    found = []
    for task in tasks:
        if task.get("taskType") != "Filter":
            continue
        operators = [v for v in (task.get("connectorOperator") or {}).values() if v is not None]
        names = [str(n) for n in task.get("sourceFields") or [] if n]
        if len(operators) != 1 or operators[0] == "PROJECTION" or len(names) != 1:
            continue
        values = operands(operators[0], task.get("taskProperties") or {})
        if values is not None:
            found.append(Condition(names[0], operators[0], tuple(values)))
    return tuple(found)


def choose_columns(entity: Entity, fields: list[Field], ctx: RunContext, dynamic: bool) -> list[Field]:
    """The fields a run reads (see the module docstring, step 2)."""
    by_name = {f.name: f for f in fields}
    folded = {f.name.lower(): f for f in fields}

    def lookup(name: str) -> Field | None:
        return by_name.get(name) or folded.get(name.lower())

    projected, others, map_all = task_fields(ctx.tasks)
    if dynamic or map_all or not (projected or others):
        chosen = list(fields)
    else:
        missing = [n for n in projected if lookup(n) is None]
        if missing:
            raise ConnectorError("InvalidArgument", f"the object {entity.name} has no field "
                                 f"{', '.join(repr(m) for m in missing)} (the flow's PROJECTION names it); "
                                 "update the flow's tasks")
        names = projected or [n for n in others if lookup(n) is not None]
        names += [n for n in others if n not in names and lookup(n) is not None]
        chosen = [lookup(n) for n in dict.fromkeys(names)]  # type: ignore[misc]
    if ctx.window_end is not None and ctx.window_field:
        window = lookup(ctx.window_field)
        if window is None:
            raise ConnectorError("InvalidArgument", f"the incremental pull field {ctx.window_field!r} is not a "
                                 f"field of {entity.name}")
        if window not in chosen:
            chosen.append(window)
    return [f for f in chosen if f is not None]


class RestSource:
    """`base.Source` over one entity of a REST connector."""

    def __init__(self, connector: RestConnector, profile: ProfileView, props: Mapping[str, Any],
                 ctx: RunContext) -> None:
        self.connector = connector
        self.profile = profile
        self.ctx = ctx
        self.object_name = str(props.get("object") or "").strip()
        if not self.object_name:
            raise ConnectorError("InvalidArgument", f"{connector.api.vendor} source properties need an object")
        self.dynamic = bool(props.get("enableDynamicFieldUpdate"))
        self.stats = ReadStats()

    def read(self) -> Iterator[pa.RecordBatch]:
        """Yield the entity's records as batches of at most `ctx.batch_size` rows."""
        with self.connector.client(self.profile, self.ctx) as client:
            entity = self.connector.catalog.entity(client, self.object_name)
            if not entity.readable:
                raise ConnectorError("InvalidArgument", f"the {self.connector.api.vendor} object {entity.name!r} is "
                                     "a folder: read one of its objects instead (ListConnectorEntities with "
                                     f"entitiesPath {entity.name!r} lists them)")
            fields = entity.fields_for(client)
            columns = choose_columns(entity, fields, self.ctx, self.dynamic)
            window = self._window_field(fields)
            query = Query(
                entity=entity.name,
                columns=tuple(f.name for f in columns),
                conditions=conditions_of(self.ctx.tasks),
                window_field=window.name if window is not None else None,
                window_start=self.ctx.window_start,
                window_end=self.ctx.window_end,
            )
            converter = RecordConverter(columns)
            rechunker = Rechunker(self.ctx.batch_size)
            for page in self._pages(client, entity, query):
                if self.ctx.should_stop():
                    return
                self.stats.pages_read += 1
                self.stats.bytes_read += page.size
                self.stats.max_page_size = max(self.stats.max_page_size, len(page.records))
                if not page.records:
                    continue
                records = page.records if entity.record is None else [entity.record(r) for r in page.records]
                batch = converter.batch(records)
                if window is not None:
                    batch = self._inside_window(batch, window.name)
                self.stats.records_read += batch.num_rows
                yield from rechunker.add(batch)
            yield from rechunker.flush()

    def _window_field(self, fields: list[Field]) -> Field | None:
        name = self.ctx.window_field
        if self.ctx.window_end is None or not name:
            return None
        for field in fields:
            if field.name == name or field.name.lower() == name.lower():
                return field
        return None

    def _inside_window(self, batch: pa.RecordBatch, name: str) -> pa.RecordBatch:
        column = batch.column(name)
        if not pa.types.is_timestamp(column.type):
            return batch
        keep = None
        if self.ctx.window_start is not None:
            start = pa.scalar(round(self.ctx.window_start * 1_000_000), pa.int64()).cast(column.type)
            keep = pc.greater(column, start)
        if self.ctx.window_end is not None:
            end = pa.scalar(round(self.ctx.window_end * 1_000_000), pa.int64()).cast(column.type)
            upper = pc.less_equal(column, end)
            keep = upper if keep is None else pc.and_(keep, upper)
        if keep is None:
            return batch
        return batch.filter(pc.fill_null(keep, False))

    def _pages(self, client: RestClient, entity: Entity, query: Query) -> Iterator[Page]:
        request = Request(entity.method, entity.path, dict(entity.params),
                          json=dict(entity.body) if entity.body is not None else None)
        request = entity.paginator.first(request)
        if entity.plan is not None:
            request = entity.plan(query, request)
        if entity.read is not None:
            yield from entity.read(client, query, request)
            return
        yield from read_pages(client, request, entity.paginator, entity.records, entity.name)
