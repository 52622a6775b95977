"""Run one execution of a flow: source stage -> tasks -> sink stage -> commit (engine layer).

`run_execution` opens the source and every destination through their `ConnectorSpec`, streams
Arrow record batches from the source through the compiled task pipeline into the destinations'
staging areas, and publishes only when everything succeeded. Any failure or cancel aborts the
destinations, so a failed run leaves nothing visible. Errors come back as `RunFailed` with a
message a person can act on (and never a credential).
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import pairwise
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sluice.connectors import registry
from sluice.connectors.base import (
    ConnectorError,
    Destination,
    RunContext,
    Source,
    WriteResult,
    file_sinks,
    hand_file,
    lane_of,
    split_plan,
)
from sluice.engine import catalog, parallel
from sluice.engine.event_source import EventSpoolSource
from sluice.engine.incremental import WindowFieldError, window_split
from sluice.engine.request import RunRequest
from sluice.engine.run_details import DestinationCount, run_details
from sluice.engine.run_observer import RunObserver
from sluice.engine.tasks import TaskError, TaskPipeline, compile_tasks
from sluice.settings import current

log = logging.getLogger("sluice.engine.runner")


# (destination index, connector type, connector label, manifest) -> None, see `run_execution`.
PublishHook = Callable[[int, str, "str | None", Mapping[str, Any]], None]


class RunFailed(Exception):
    """The run cannot complete; the message is written to the execution record."""


class RunCanceled(Exception):
    """The run stopped because a cancel was requested."""


@dataclass(slots=True)
class RunOutcome:
    """What a successful run reports: `ExecutionResult` members and catalog details."""

    result: dict[str, Any]
    data_pull_start_time: float
    data_pull_end_time: float
    metadata_catalog_details: list[dict[str, Any]] = field(default_factory=list)


def connector_member(props: Mapping[str, Any], connector_type: str) -> Mapping[str, Any]:
    """The connector's own member of a `*ConnectorProperties` union (keys differ only by case)."""
    for key, value in props.items():
        if key.lower() == connector_type.lower():
            return value or {}
    return {}


def _describe(exc: ConnectorError, role: str, connector_type: str) -> str:
    return f"The {role} {connector_type} failed ({exc.code}): {exc.message}"


def _destination_failed(exc: Exception, connector_type: str) -> RunFailed:
    """A destination's failure, named as the destination's (a full disk is not the source's fault)."""
    if isinstance(exc, ConnectorError):
        return RunFailed(_describe(exc, "destination", connector_type))
    code = errno.errorcode.get(exc.errno, "ServerError") if isinstance(exc, OSError) and exc.errno else "ServerError"
    return RunFailed(f"The destination {connector_type} failed ({code}): {exc}")


# Destination failures a run reports as the destination's: its own errors, and the operating
# system's (no space left, too many open files, ...) when a writer lets one through.
DESTINATION_ERRORS = (ConnectorError, OSError)


def _write(destination: Destination, connector_type: str, batch: pa.RecordBatch,
           partition: dict[str, str] | None, count: DestinationCount) -> None:
    try:
        destination.write(batch, partition)
        count.records_written += batch.num_rows
    except DESTINATION_ERRORS as exc:
        raise _destination_failed(exc, connector_type) from exc


def split_partitions(batch: pa.RecordBatch, keys: list[str]) -> Iterator[tuple[dict[str, str] | None, pa.RecordBatch]]:
    """The batch's rows grouped by the values of `keys` (path segments), or the batch as is.

    One stable sort by the keys' text, then zero-copy slices at each change of value: the cost
    does not grow with partitions x rows, so a batch spanning thousands of partitions stays cheap.
    Rows keep their order within a partition; null values are the segment `__null__`.
    """
    if not keys or batch.num_rows == 0:
        yield None, batch
        return
    # Keys go by position: a field named ".name" would read as a nested field path to pyarrow.
    slots = {f"k{i}": key for i, key in enumerate(keys)}
    text = {slot: pc.fill_null(pc.cast(batch.column(key), pa.string()), "__null__") for slot, key in slots.items()}
    order = pc.sort_indices(pa.table(text), sort_keys=[(slot, "ascending") for slot in slots])
    ordered = batch.take(order)
    values = {slot: text[slot].take(order) for slot in slots}
    # A row starts a new partition where any key differs from the row before it.
    starts = pa.array([True], pa.bool_())
    if batch.num_rows > 1:
        changed = None
        for slot in slots:
            column = values[slot]
            differs = pc.not_equal(column.slice(1), column.slice(0, len(column) - 1))
            changed = differs if changed is None else pc.or_(changed, differs)
        starts = pa.concat_arrays([starts, changed])
    bounds = [*pc.indices_nonzero(starts).to_pylist(), batch.num_rows]
    columns = {slot: values[slot].to_pylist() for slot in slots}
    for begin, end in pairwise(bounds):
        yield {key: str(columns[slot][begin]) for slot, key in slots.items()}, ordered.slice(begin, end - begin)


def _open_destinations(request: RunRequest, context: RunContext,
                       publish_hook: PublishHook | None) -> list[tuple[str, Destination]]:
    opened: list[tuple[str, Destination]] = []
    for index, config in enumerate(request.config["destinationFlowConfigList"]):
        connector_type = config["connectorType"]
        label = request.destination_profiles[index].connector_label
        spec = registry.spec_for(connector_type, label)
        if spec is None or spec.open_destination is None:
            raise RunFailed(
                f"Sluice cannot yet write to {connector_type}: that connector's data path is not built in this "
                "version (see the README's feature matrix)."
            )
        props = connector_member(config["destinationConnectorProperties"], connector_type)
        own = context
        if publish_hook is not None:
            own = replace(context, before_publish=partial(publish_hook, index, connector_type, label))
        try:
            opened.append((connector_type, spec.open_destination(request.destination_profiles[index], props, own)))
        except DESTINATION_ERRORS as exc:
            raise _destination_failed(exc, connector_type) from exc
    return opened


def _pages_read(pages: int, records: int) -> str:
    return f"{pages} batch(es), {records} record(s) read so far"


def _summarise_tasks(observer: RunObserver, details: Mapping[str, Any]) -> None:
    """One task_summary event per task that removed records (the counts are in the details)."""
    for task in details["tasks"]:
        if task["dropped"]:
            observer.event("task_summary", f"tasks[{task['index']}] {task['taskType']} dropped {task['dropped']} "
                           f"of {task['recordsIn']} record(s)")
        if task["rejected"]:
            rules = ", ".join(f"{rule}: {n}" for rule, n in task["rules"].items())
            observer.event("task_summary", f"tasks[{task['index']}] {task['taskType']} rejected "
                           f"{task['rejected']} of {task['recordsIn']} record(s) ({rules})")


def _transform(pipeline: TaskPipeline, context: RunContext, main: bool = False,
               lanes: list[tuple[str, Any]] | None = None) -> parallel.Transform:
    """One thread's batch -> `Piece` step: the run's window, then the tasks. `main`: `pipeline` is
    the run's own, whose counters the runner reads directly; otherwise a copy hands its counters
    on. `lanes` ((connector type, lane) per destination): the thread stages its output itself and
    the piece carries only the count."""

    def apply(batch: pa.RecordBatch) -> parallel.Piece:
        outside = 0
        if context.window_field is not None and context.window_end is not None:
            # Incremental by a record field: keep the records of this run's window only.
            split = window_split(batch, context.window_field, context.window_start, context.window_end)
            outside, batch = split.invalid, split.batch
        out = pipeline.apply(batch)
        counts = None if main else pipeline.take_counts()
        piece = parallel.Piece(batch.num_rows, out, outside, counts, tuple(pipeline.take_notes()))
        if lanes is not None:
            for partition, part in split_partitions(out, pipeline.partition_keys):
                for connector_type, lane in lanes:
                    try:
                        lane.write(part, partition)
                    except DESTINATION_ERRORS as exc:
                        raise _destination_failed(exc, connector_type) from exc
            piece.out, piece.written = None, out.num_rows
        return piece

    return apply


def _pieces(request: RunRequest, source: Source, plan: Sequence[Any] | None, pipeline: TaskPipeline,
            context: RunContext, destinations: list[tuple[str, Destination]], halt: threading.Event,
            should_stop: Callable[[], bool]) -> Iterator[parallel.Piece]:
    """The run's transformed batches: one stream (`plan` None), or its splits on
    `SLUICE_PARALLELISM` threads, each staging its own output where every destination has lanes."""
    if plan is None:
        return parallel.pieces(lambda _: source.read(), [None], 1, lambda: _transform(pipeline, context, main=True),
                               halt, should_stop)
    degree = current().parallelism
    tasks = list(request.config["tasks"])
    first = [lane_of(destination) for _, destination in destinations] if degree > 1 and len(plan) > 1 else [None]
    if any(lane is None for lane in first):
        return parallel.pieces(source.read_split, plan, degree,  # type: ignore[attr-defined]
                               lambda: _transform(compile_tasks(tasks), context), halt, should_stop)
    spare = [first]

    def transform() -> parallel.Transform:  # called once in each thread
        lanes = spare.pop() if spare else [lane_of(destination) for _, destination in destinations]
        types = [connector_type for connector_type, _ in destinations]
        return _transform(compile_tasks(tasks), context, lanes=list(zip(types, lanes, strict=True)))

    return parallel.pieces(source.read_split, plan, degree, transform, halt, should_stop,  # type: ignore[attr-defined]
                           ordered=False)


def run_execution(request: RunRequest, should_stop: Callable[[], bool] = lambda: False,
                  publish_hook: PublishHook | None = None, observer: RunObserver | None = None) -> RunOutcome:
    """Execute the run; returns its outcome, or raises RunFailed / RunCanceled.

    `publish_hook(index, connector_type, label, manifest)` is each destination's
    `RunContext.before_publish`: the executor makes the manifest durable before anything is visible.
    `observer` receives the run's events and, once per batch, its progress (see `run_observer`).
    """
    observer = observer or RunObserver(request.execution_id, request.flow_name)
    source_config = request.config["sourceFlowConfig"]
    source_type = source_config["connectorType"]
    spec = registry.spec_for(source_type, request.source_profile.connector_label)
    if request.event_batch is None and (spec is None or spec.open_source is None):
        raise RunFailed(
            f"Sluice cannot yet read from {source_type}: that connector's data path is not built in this version "
            "(see the README's feature matrix)."
        )
    halt = threading.Event()  # set when parallel readers must stop (engine/parallel.py)
    context = RunContext(
        flow_name=request.flow_name,
        execution_id=request.execution_id,
        schema_version=request.schema_version,
        started_at=request.started_at,
        data_dir=request.data_dir,
        batch_size=request.batch_size,
        should_stop=lambda: halt.is_set() or should_stop(),
        window_start=request.window_start,
        window_end=request.window_end,
        window_field=(source_config.get("incrementalPullConfig") or {}).get("datetimeTypeFieldName")
        if request.window_end is not None else None,
        tasks=tuple(request.config["tasks"]),
        aws=request.aws,
        region=request.region,
        buckets=request.buckets,
        on_event=observer.event,
    )
    destination_types = [d["connectorType"] for d in request.config["destinationFlowConfigList"]]
    observer.event("started", f"run started: {source_type} -> {', '.join(destination_types)}, "
                   f"{len(request.config['tasks'])} task(s)")
    try:
        pipeline = compile_tasks(list(request.config["tasks"]))
    except ValueError as exc:
        raise RunFailed(f"The flow's tasks cannot run: {exc}") from exc
    source_props = connector_member(source_config["sourceConnectorProperties"], source_type)
    destinations = _open_destinations(request, context, publish_hook)
    sinks = file_sinks([destination for _, destination in destinations])
    # A source's files (Veeva's documents) go to the destinations that take them, staged with the run.
    source_context = replace(context, files=partial(hand_file, sinks)) if sinks else context
    counts = [DestinationCount(connector_type) for connector_type, _ in destinations]
    pull_start = time.time()
    records = 0
    outside_window = 0  # records whose change time is null or unreadable: in no window
    source: Source | None = None
    plan: Sequence[Any] | None = None  # the source's splits (None: it reads as one stream)
    stream: Iterator[parallel.Piece] | None = None

    def details() -> dict[str, Any]:
        stats = source.stats if source is not None else None
        return run_details(source_type, stats, records, request.config["tasks"], pipeline, counts)

    observer.details = details
    try:
        try:
            source = (
                EventSpoolSource(request.event_batch, request.batch_size) if request.event_batch is not None
                else spec.open_source(request.source_profile, source_props,  # type: ignore[union-attr,misc]
                                      source_context)
            )
            if "source_opened" not in observer.kinds_seen:
                entity = source_props.get("object") or source_props.get("entityName") or ""
                observer.event("source_opened", f"reading {source_type} {entity}".rstrip())
            plan = split_plan(source) if request.event_batch is None else None
            if plan is not None and current().cluster.executor == "ray" and spec is not None \
                    and spec.remote_reading is not None:
                from sluice.engine import ray_executor  # Ray is imported only for SLUICE_EXECUTOR=ray

                stream = ray_executor.pieces(request, spec, source, source_props, context, plan, halt, should_stop,
                                             observer, destinations)
            else:
                stream = _pieces(request, source, plan, pipeline, context, destinations, halt, should_stop)
            noted: set[str] = set()
            for pages, piece in enumerate(stream, start=1):
                if should_stop():
                    raise RunCanceled()
                records += piece.rows_in
                outside_window += piece.outside_window
                if piece.counts is not None:
                    pipeline.add_counts(piece.counts)
                for note in piece.notes:
                    if note not in noted:
                        noted.add(note)
                        observer.event("warning", note, "warning")
                if piece.out is None:  # staged by the thread that made it
                    for count in counts:
                        count.records_written += piece.written
                for partition, part in split_partitions(piece.out, pipeline.partition_keys) if piece.out else ():
                    for (connector_type, destination), count in zip(destinations, counts, strict=True):
                        _write(destination, connector_type, part, partition, count)
                observer.progress(records, source.stats.bytes_read,
                                  partial(_pages_read, pages, records))
            if should_stop():
                raise RunCanceled()
        except ConnectorError as exc:
            raise RunFailed(_describe(exc, "source", source_type)) from exc
        except TaskError as exc:
            raise RunFailed(f"A task stopped the flow: {exc}") from exc
        except WindowFieldError as exc:
            raise RunFailed(f"The incremental pull cannot read its change-time field: {exc}") from exc
        pull_end = time.time()
        if outside_window:
            observer.event("warning", f"{outside_window} record(s) had no readable change time and belong to no "
                           "window", "warning")
        _summarise_tasks(observer, details())
        # Everything is read: show the final read and task counts now, while the destinations
        # publish (a short run may not have reached its first progress interval).
        observer.flush()
        results: list[tuple[str, WriteResult]] = []
        for (connector_type, destination), count in zip(destinations, counts, strict=True):
            try:
                written = destination.commit()
            except DESTINATION_ERRORS as exc:
                if should_stop():  # the destination stopped publishing because the run was stopped
                    raise RunCanceled() from exc
                raise _destination_failed(exc, connector_type) from exc
            results.append((connector_type, written))
            count.records_written = written.records_written or count.records_written
            count.records_failed, count.bytes_written = written.put_failures, written.bytes_written
            where = f" to {written.location}" if written.location else ""
            observer.event("publish", f"{connector_type} published {count.records_written} record(s), "
                           f"{written.bytes_written} bytes{where}")
    except BaseException:
        # Stop the split readers first (threads, Ray tasks): none may stage after the abort below.
        closing = getattr(stream, "close", None)
        if closing is not None:
            try:
                closing()
            except Exception:  # the original failure is what the record must say
                log.exception("run %s: could not stop the split readers", request.execution_id)
        for _, destination in destinations:
            try:
                destination.abort()
            except Exception:  # the original failure is what the record must say
                log.exception("run %s: could not abort a destination", request.execution_id)
        raise
    assert source is not None
    stats = source.stats
    parallel_processes = 1 if plan is None else max(1, min(current().parallelism, len(plan)))
    outcome = RunOutcome(
        result={
            "bytesProcessed": stats.bytes_read,
            "bytesWritten": sum(r.bytes_written for _, r in results),
            "recordsProcessed": records,
            "numParallelProcesses": parallel_processes,
            "maxPageSize": stats.max_page_size,
            "errorInfo": {"putFailuresCount": sum(r.put_failures for _, r in results)},
        },
        data_pull_start_time=pull_start,
        data_pull_end_time=pull_end,
    )
    glue = (request.config.get("metadataCatalogConfig") or {}).get("glueDataCatalog")
    if glue:
        outcome.metadata_catalog_details = catalog.register(
            glue, request, results, pipeline.partition_keys, request.region
        )
    return outcome
