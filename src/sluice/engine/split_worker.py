"""One split read and transformed on a Ray worker (engine layer; imports no Ray at module level).

`engine/ray_executor.py` sends every Ray task of a run the same `SplitJob` (through Ray's object
store, once) and one part of the source's `RemoteReading`. `read_split` opens the source on the
worker through its `ConnectorSpec`, reads the part, applies the run's window and the flow's task
pipeline to each batch, and returns everything as one `SplitResult`: the part's outcome (for
`RemoteReading.keep`), its read counters and per-task counts, the run-log events the source
reported, the node it ran on, and the split's output in one of two forms:

* staged (`SplitJob.staging` set: every destination can stage from other processes,
  `connectors/remote_staging.py`): the task writes the transformed batches itself as staged part
  objects under keys unique to this attempt, and returns only their manifest entries
  (`SplitResult.staged`); its pieces carry counts, no rows. A task that dies half way leaves a
  partial part under its own attempt's key, which nobody adopts and the run's cleanup deletes;
  a failed or canceled attempt deletes its parts itself first;
* returned (otherwise): the transformed batches, which the coordinator writes in split order as
  a local run does; nothing is written here.

Failures come back as values (`Failure`), not raised: a part the coordinator drops must not fail
the run, and what Ray would print for a raised error (the task's arguments are never printed, but
tracebacks are) stays out of its logs. The job's profile holds the source's credentials and
nothing else; `SplitJob`'s repr names only the run.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from sluice.connectors import registry
from sluice.connectors.base import ConnectorError, ProfileView, ReadStats, RunContext
from sluice.connectors.remote_staging import PartWriter, StagedParts, StagingTarget
from sluice.engine.incremental import WindowFieldError, window_split
from sluice.engine.parallel import Piece
from sluice.engine.tasks import TaskError, TaskPipeline, compile_tasks
from sluice.settings import ProcessSettings, use

# Runs whose opened source and pipeline one worker process keeps (a worker serves several runs).
OPEN_RUNS = 4


@dataclass(frozen=True, slots=True, repr=False)
class SplitJob:
    """What every split task of one run shares; `token` names this coordination of the run."""

    token: str
    source_type: str
    source_label: str | None
    profile: ProfileView  # the source's profile: its credentials only, nothing that saves them
    props: Mapping[str, Any]  # the source's member of sourceConnectorProperties
    context: Mapping[str, Any]  # RunContext's plain fields (no callables)
    settings: ProcessSettings  # the coordinating server's, without secrets no source reads
    state: Any  # the RemoteReading's RemoteState
    staging: tuple[StagingTarget, ...] | None = None  # one per destination: stage here (None: return batches)

    def __repr__(self) -> str:
        return f"SplitJob({self.source_type}, run {self.context.get('execution_id')})"


@dataclass(frozen=True, slots=True)
class Failure:
    """A split's error, as data: rebuilt on the coordinator as the error the local path raises."""

    kind: str  # "connector", "task", "window", "destination" or "other"
    message: str
    code: str = ""
    retry_after: float | None = None
    destination: int = -1  # kind "destination": which of the run's destinations failed

    @classmethod
    def of(cls, exc: BaseException) -> Failure:
        """The failure `exc` stands for."""
        if isinstance(exc, ConnectorError):
            return cls("connector", exc.message, exc.code, exc.retry_after)
        if isinstance(exc, TaskError):
            return cls("task", str(exc))
        if isinstance(exc, WindowFieldError):
            return cls("window", str(exc))
        return cls("other", f"{type(exc).__name__}: {exc}")

    @classmethod
    def of_destination(cls, index: int, exc: BaseException) -> Failure:
        """Destination `index` failed to stage (its error, or the system's: a full disk)."""
        if isinstance(exc, ConnectorError):
            return cls("destination", exc.message, exc.code, exc.retry_after, index)
        return cls("destination", f"{type(exc).__name__}: {exc}", "ServerError", None, index)

    def exception(self) -> Exception:
        """The error the runner turns into the run's message, as for a local run."""
        if self.kind == "connector":
            return ConnectorError(self.code, self.message, self.retry_after)
        if self.kind == "task":
            return TaskError(self.message)
        if self.kind == "window":
            return WindowFieldError(self.message)
        if self.kind == "destination":
            return ConnectorError(self.code or "ServerError", self.message, self.retry_after)
        return RuntimeError(f"a split failed on a Ray worker: {self.message}")


@dataclass(slots=True)
class SplitResult:
    """What one split task returns to the coordinator."""

    pieces: list[Piece]
    outcome: Any
    stats: ReadStats
    events: list[tuple[str, str, str]]
    node: str
    failure: Failure | None = None
    staged: list[StagedParts] | None = None  # per destination, when the job stages (pieces then hold no rows)


@dataclass(slots=True)
class _OpenRun:
    source: Any
    pipeline: TaskPipeline
    context: RunContext
    events: list[tuple[str, str, str]] = field(default_factory=list)


_open: OrderedDict[str, _OpenRun] = OrderedDict()
_open_lock = threading.Lock()


def _opened(job: SplitJob) -> _OpenRun:
    with _open_lock:
        found = _open.get(job.token)
        if found is not None:
            _open.move_to_end(job.token)
            return found
    spec = registry.spec_for(job.source_type, job.source_label)
    if spec is None or spec.open_source is None:
        raise ConnectorError("InvalidArgument", f"this worker's Sluice cannot read {job.source_type}")
    events: list[tuple[str, str, str]] = []
    context = RunContext(**{**job.context,
                            "on_event": lambda kind, message, level: events.append((kind, message, level))})
    opened = _OpenRun(spec.open_source(job.profile, job.props, context), compile_tasks(list(context.tasks)),
                      context, events)
    with _open_lock:
        _open[job.token] = opened
        while len(_open) > OPEN_RUNS:
            _open.popitem(last=False)
    return opened


def _stats(stats: ReadStats) -> ReadStats:
    return ReadStats(**{f.name: getattr(stats, f.name) for f in fields(ReadStats)})


def _since(before: ReadStats, after: ReadStats) -> ReadStats:
    return ReadStats(after.bytes_read - before.bytes_read, after.records_read - before.records_read,
                     after.pages_read - before.pages_read, after.max_page_size,
                     after.files_read - before.files_read)


def _apply(run: _OpenRun, batch: Any) -> Piece:
    """The run's window, then the tasks (as `runner._transform` does on a local run)."""
    context, pipeline = run.context, run.pipeline
    outside = 0
    if context.window_field is not None and context.window_end is not None:
        split = window_split(batch, context.window_field, context.window_start, context.window_end)
        outside, batch = split.invalid, split.batch
    out = pipeline.apply(batch)
    return Piece(batch.num_rows, out, outside, pipeline.take_counts(), tuple(pipeline.take_notes()))


def node_id() -> str:
    """The Ray node this task runs on ("" outside Ray: unit tests call `read_split` directly)."""
    ray = sys.modules.get("ray")  # a Ray worker imported Ray before it ran the task; nobody else need
    if ray is None or not ray.is_initialized():
        return ""
    return str(ray.get_runtime_context().get_node_id())


def read_split(job: SplitJob, part: Any, index: int = 0) -> SplitResult:
    """Read and transform part `index` (the body of the run's Ray task); stage it when the job says."""
    node = node_id()
    with use(job.settings):
        try:
            run = _opened(job)
        except Exception as exc:  # reported like a failure to open the source locally
            return SplitResult([], None, ReadStats(), [], node, Failure.of(exc))
        run.events.clear()
        run.pipeline.take_counts()  # a failed split's leftovers must not count for this one
        run.pipeline.take_notes()
        before = _stats(run.source.stats)
        pieces: list[Piece] = []
        failure = None
        reading = job.state.reader(run.source, part)
        if job.staging is None:
            try:
                for batch in reading:
                    pieces.append(_apply(run, batch))
            except Exception as exc:
                failure = Failure.of(exc)
            return SplitResult(pieces, reading.outcome, _since(before, run.source.stats), list(run.events), node,
                               failure)
        staged, failure = _staged(run, reading, job.staging, index, node, pieces)
        return SplitResult(pieces, reading.outcome, _since(before, run.source.stats), list(run.events), node,
                           failure, staged)


def _staged(run: _OpenRun, reading: Any, targets: tuple[StagingTarget, ...], index: int, node: str,
            pieces: list[Piece]) -> tuple[list[StagedParts] | None, Failure | None]:
    """Read the part and stage its output into every destination; (manifest entries, failure).

    Each attempt writes under keys of its own (`attempt`: a fresh id per try). A failure, or a
    cancel (Ray raises KeyboardInterrupt in the task), deletes what this attempt staged.
    """
    from sluice.engine.runner import split_partitions  # the runner's own partitioning, same rows per part

    attempt = uuid.uuid4().hex[:12]
    writers: list[PartWriter] = []
    try:
        for number, target in enumerate(targets):
            try:
                writers.append(target.writer(index, attempt, node))
            except Exception as exc:  # e.g. the destination bucket is gone
                _discard(writers)
                return None, Failure.of_destination(number, exc)
        keys = run.pipeline.partition_keys
        for batch in reading:
            piece = _apply(run, batch)
            for partition, rows in split_partitions(piece.out, keys):
                for number, writer in enumerate(writers):
                    try:
                        writer.write(rows, partition)
                    except Exception as exc:
                        _discard(writers)
                        return None, Failure.of_destination(number, exc)
            piece.out, piece.written = None, piece.out.num_rows
            pieces.append(piece)
        staged = []
        for number, writer in enumerate(writers):
            try:
                staged.append(writer.close())
            except Exception as exc:
                _discard(writers)
                return None, Failure.of_destination(number, exc)
        return staged, None
    except Exception as exc:  # the source or a task failed: nothing of this attempt may stay staged
        _discard(writers)
        return None, Failure.of(exc)
    except BaseException:
        _discard(writers)
        raise


def _discard(writers: list[PartWriter]) -> None:
    for writer in writers:
        with contextlib.suppress(Exception):  # the run's cleanup deletes its whole staging prefix anyway
            writer.discard()
