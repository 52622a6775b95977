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

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from sluice.connectors.base import ConnectorError, ProfileView, ReadStats, RunContext
from sluice.connectors.batching import Rechunker
from sluice.connectors.pushdown import operands, task_fields
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Condition, Entity, Field, Page, Query
from sluice.connectors.rest.pages import read_pages
from sluice.connectors.rest.paging import Paginator
from sluice.connectors.rest.records import RecordConverter
from sluice.connectors.rest.splits import (
    OffsetRange,
    OffsetSplits,
    RestSplit,
    TimeSlices,
    offset_ranges,
    parts_wanted,
    time_domain,
    time_slices,
)
from sluice.settings import current

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


@dataclass(frozen=True)
class Reading:
    """What every part of one read shares: the entity, its columns and the run's `Query`."""

    entity: Entity
    columns: list[Field]
    window: Field | None
    query: Query


class RestSource:
    """`base.Source` over one entity of a REST connector; a `base.SplitSource` when the entity
    declares how it can be read in parallel (`Entity.splits`, rest/splits.py) and the run has more
    than one thread."""

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
        self._stats_lock = threading.Lock()  # split readers count from several threads
        self._reading: Reading | None = None

    def read(self) -> Iterator[pa.RecordBatch]:
        """Yield the entity's records as batches of at most `ctx.batch_size` rows."""
        with self._client() as client:
            reading = self._prepare(client)
            yield from self._batches(self._pages(client, reading.entity, reading.query), reading, None)

    def splits(self) -> list[RestSplit] | None:
        """The read's parts (rest/splits.py), or None when it reads as one stream: the entity declares
        no splits, the run has one thread, or the vendor cannot say how to cut this read."""
        if current().parallelism <= 1:
            return None
        with self._client() as client:
            reading = self._prepare(client)
            slicing = reading.entity.splits
            if slicing is None or (reading.entity.read is not None and isinstance(slicing, OffsetSplits)):
                return None
            request = self._first_request(reading.entity, reading.query)
            if isinstance(slicing, OffsetSplits):
                return self._offset_splits(client, slicing, request)
            earliest = None
            lower, _ = time_domain(reading.query, slicing.field)
            if lower is None and slicing.earliest is not None:
                found = slicing.earliest(client, reading.query, request)
                earliest = None if found is None else round(found * 1_000_000)
            return time_slices(reading.query, slicing, parts_wanted(slicing.max_splits),
                               round(time.time() * 1_000_000), earliest)

    def read_split(self, split: RestSplit) -> Iterator[pa.RecordBatch]:
        """Yield one part's records as batches of at most `ctx.batch_size` rows (any thread)."""
        reading = self._reading
        assert reading is not None, "splits() plans the read first"
        slicing = reading.entity.splits
        with self._client() as client:
            if isinstance(slicing, OffsetSplits):
                first = self._first_request(reading.entity, reading.query)
                pager: Paginator = reading.entity.paginator
                if split.end is None:  # the open last range: the entity's own paging from its start
                    request = first.replace(params={**first.params, slicing.offset_param: split.start or 0,
                                                    slicing.limit_param: slicing.page_size})
                else:
                    pager = OffsetRange(slicing.offset_param, slicing.limit_param, slicing.page_size,
                                        split.start or 0, split.end)
                    request = pager.first(first)
                pages = read_pages(client, request, pager, reading.entity.records, reading.entity.name)
                yield from self._batches(pages, reading, None)
                return
            query = replace(reading.query, slice_field=split.field,
                            slice_lower=None if split.lower_us is None else split.lower_us / 1_000_000,
                            slice_upper=None if split.upper_us is None else split.upper_us / 1_000_000)
            yield from self._batches(self._pages(client, reading.entity, query), reading, split)

    def _offset_splits(self, client: RestClient, slicing: OffsetSplits, request: Request) -> list[RestSplit] | None:
        probe = request.replace(params={**request.params, slicing.offset_param: 0, slicing.limit_param: 1})
        answer = client.call(probe)
        self._count(answer_size=len(answer.response.content))
        total = answer.response.headers.get(slicing.total_header)
        if total is None or not total.strip().isdigit():
            return None  # the vendor did not count this query: read it as one stream
        ranges = offset_ranges(int(total), slicing.page_size, parts_wanted(slicing.max_splits))
        if len(ranges) <= 1:
            return None
        return [RestSplit(i, start=start, end=end) for i, (start, end) in enumerate(ranges)]

    @contextlib.contextmanager
    def _client(self) -> Iterator[RestClient]:
        """A client for one part (its own connection and session cookies: some vendors run one call per
        session at a time); a token it renewed is handed to the clients opened after it."""
        with self.connector.client(self.profile, self.ctx) as client:
            try:
                yield client
            finally:
                if client.credentials != self.profile.credentials:
                    self.profile = replace(self.profile, credentials=client.credentials)

    def _prepare(self, client: RestClient) -> Reading:
        """The entity, its columns and the run's `Query` (once per run; split planning reuses them)."""
        if self._reading is not None:
            return self._reading
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
        if isinstance(entity.splits, TimeSlices) and entity.splits.field not in query.columns:
            # A slice keeps the records whose time lies in it, so its field is read (and dropped after).
            sliced = next((f for f in fields if f.name == entity.splits.field), None)
            if sliced is None:
                entity = replace(entity, splits=None)
            else:
                columns = [*columns, sliced]
        self._reading = Reading(entity, columns, window, query)
        return self._reading

    def _count(self, pages: int = 0, records: int = 0, answer_size: int = 0, page_size: int = 0) -> None:
        with self._stats_lock:
            self.stats.pages_read += pages
            self.stats.records_read += records
            self.stats.bytes_read += answer_size
            self.stats.max_page_size = max(self.stats.max_page_size, page_size)

    def _batches(self, pages: Iterator[Page], reading: Reading, split: RestSplit | None) -> Iterator[pa.RecordBatch]:
        entity, window = reading.entity, reading.window
        converter = RecordConverter(reading.columns)
        rechunker = Rechunker(self.ctx.batch_size)
        extra = [f.name for f in reading.columns if f.name not in reading.query.columns]
        for page in pages:
            if self.ctx.should_stop():
                return
            self._count(pages=1, answer_size=page.size, page_size=len(page.records))
            if not page.records:
                continue
            records = page.records if entity.record is None else [entity.record(r) for r in page.records]
            batch = converter.batch(records)
            if window is not None:
                batch = self._inside(batch, window.name, self.ctx.window_start, self.ctx.window_end)
            if split is not None and split.field is not None:
                batch = slice_filter(batch, split)
            if extra:
                batch = batch.drop_columns(extra)
            self._count(records=batch.num_rows)
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

    @staticmethod
    def _inside(batch: pa.RecordBatch, name: str, start_s: float | None, end_s: float | None) -> pa.RecordBatch:
        """The records whose `name` lies in (start, end] (epoch seconds; None: open)."""
        return within(batch, name, None if start_s is None else round(start_s * 1_000_000),
                      None if end_s is None else round(end_s * 1_000_000))

    def _first_request(self, entity: Entity, query: Query) -> Request:
        request = Request(entity.method, entity.path, dict(entity.params),
                          json=dict(entity.body) if entity.body is not None else None)
        request = entity.paginator.first(request)
        if entity.plan is not None:
            request = entity.plan(query, request)
        return request

    def _pages(self, client: RestClient, entity: Entity, query: Query) -> Iterator[Page]:
        request = self._first_request(entity, query)
        if entity.read is not None:
            yield from entity.read(client, query, request)
            return
        yield from read_pages(client, request, entity.paginator, entity.records, entity.name)


def within(batch: pa.RecordBatch, name: str, lower_us: int | None, upper_us: int | None) -> pa.RecordBatch:
    """The records whose timestamp column `name` lies in (lower, upper] (epoch microseconds; None:
    open); a null time is in no range. A column that is not a timestamp is left alone."""
    column = batch.column(name)
    if not pa.types.is_timestamp(column.type):
        return batch
    keep = None
    if lower_us is not None:
        keep = pc.greater(column, pa.scalar(lower_us, pa.int64()).cast(column.type))
    if upper_us is not None:
        upper = pc.less_equal(column, pa.scalar(upper_us, pa.int64()).cast(column.type))
        keep = upper if keep is None else pc.and_(keep, upper)
    if keep is None:
        return batch
    return batch.filter(pc.fill_null(keep, False))


def slice_filter(batch: pa.RecordBatch, split: RestSplit) -> pa.RecordBatch:
    """The records of `batch` inside the time slice of `split` (each record is in exactly one slice)."""
    assert split.field is not None
    return within(batch, split.field, split.lower_us, split.upper_us)
