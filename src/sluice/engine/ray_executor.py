"""A run's splits as Ray tasks on a Ray cluster (engine layer): `SLUICE_EXECUTOR=ray`.

The server that claimed the run coordinates it, as with the local executor: `runner.py` opens
the source, asks it for its splits and, when the source's spec can hand them to other processes
(`ConnectorSpec.remote_reading`, contract in `connectors/remote.py`), calls `pieces` here instead
of `parallel.pieces`. Each split becomes one Ray task (`split_worker.read_split`) that reads the
split and runs the flow's tasks on some node of the cluster. The coordinator takes the tasks'
results *in split order*, and the split's output goes one of two ways:

* **staged by the worker** when every destination of the run can stage from other processes
  (`connectors/remote_staging.py`; today the S3 destination, except `SingleFile` aggregation):
  the task writes the split's output as part objects under the run's staging prefix, with keys
  unique to the attempt, and returns their manifest entry and its counts. The coordinator
  adopts the parts of each kept split, in split order, and the destination publishes them once
  at commit (final keys numbered in split order, so the files list in split order; each holds
  its split's rows in order). No row passes through the coordinator, which holds manifests only.
  Workers need the destination's storage: real S3 (or an S3 endpoint every node reaches), or
  the embedded folder store only where every node shares the server's data directory;
* **returned** otherwise: the transformed batches come back through Ray's object store and the
  runner writes them to the destinations exactly as a local run does.

Either way:

* output has a serial run's rows, in split order;
* a task's result counts only once it has returned. A worker or node that dies mid-split is a
  system failure Ray retries (at most `SPLIT_RETRIES` times); a result lost with its node is
  rebuilt from the task again. A dead attempt may have left a partial part under its own key:
  only adopted parts are published, and the rest of the staging prefix is deleted at commit,
  on failure, and by restart recovery, so the run stays exact;
* memory is bounded: at most `in_flight` splits are submitted and not yet taken (the
  cluster's CPUs plus one), their results wait in the cluster's object store, and the
  coordinator holds one split's result at a time;
* a cancel or failure cancels every submitted task (`ray.cancel`); a canceled task deletes what
  it staged, and the coordinator waits for them (at most `CANCEL_WAIT_SECONDS`), then kills the
  workers of those still running (`force=True`), before the destination's abort deletes the
  staging prefix. A task still writing after that (a node cut off from the cluster rather than
  dead) can leave an object under the run's staging prefix, never a published one.

Ray is imported only here, and this module only when `SLUICE_EXECUTOR=ray` (Ray is the optional
extra `sluice[ray]`). The process joins the cluster once (`connect`), at its first Ray run.
Credentials reach a worker only inside the run's `SplitJob` (the source's profile), which Ray
keeps in its object store and never prints (docs/deploy.md).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import ray
import ray.exceptions

from sluice.connectors.base import ConnectorSpec, Destination, ReadStats, RunContext, Source
from sluice.connectors.remote import RemoteReading
from sluice.connectors.remote_staging import RemoteStaging, StagingTarget, remote_staging_of
from sluice.engine.parallel import Piece
from sluice.engine.request import RunRequest
from sluice.engine.run_observer import RunObserver
from sluice.engine.runner import RunFailed, _destination_failed  # runner imports this module only when needed
from sluice.engine.split_worker import SplitJob, SplitResult, read_split
from sluice.settings import ObservabilitySettings, ProcessSettings, current

log = logging.getLogger("sluice.engine.ray")

# Times Ray runs a split again after its worker or node died (Ray's own default is 3).
SPLIT_RETRIES = 3
WAIT_SECONDS = 0.2  # how often a wait for the next split looks at the run's stop flag
CONNECT_SECONDS = 5.0  # how long the head's GCS port may take to accept a connection
CANCEL_WAIT_SECONDS = 10.0  # how long a stopped run waits for its canceled tasks to drop their parts

_connect_lock = threading.Lock()
_task: Any = None  # the remote function, made once per process


def connect(address: str) -> None:
    """Join the running Ray cluster at `address` once per process.

    Never a cluster of its own: a Ray that `ray.init` starts inside the server leaves its agent
    processes behind when the server stops (measured with Ray 2.60), so the operator runs Ray.
    """
    global _task
    with _connect_lock:
        if not ray.is_initialized():
            _check_reachable(address)
            try:
                ray.init(address=address, namespace="sluice", log_to_driver=False, logging_level=logging.WARNING)
            except (ConnectionError, RuntimeError, ray.exceptions.RayError) as exc:
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise RunFailed(f"The Ray cluster at {address} cannot be reached: {reason}") from exc
        if _task is None:
            # SPREAD: splits are alike and read from shared storage, so nothing is gained by packing
            # them near the run's one shared argument on the coordinator's node (Ray's default).
            _task = ray.remote(num_cpus=1, max_retries=SPLIT_RETRIES, retry_exceptions=False,
                               scheduling_strategy="SPREAD")(read_split)


def _check_reachable(address: str) -> None:
    """Fail fast when a `host:port` address takes no connections: `ray.init` would wait minutes."""
    host, sep, port = address.rpartition(":")
    if not sep or "://" in address or not port.isdigit():
        return  # `auto` or `ray://...`: Ray resolves those itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise RunFailed(f"The Ray cluster at {address} cannot be reached: {exc.strerror or exc}") from exc


def worker_settings(settings: ProcessSettings) -> ProcessSettings:
    """The settings a worker reads with: the server's, less secrets no source reads, and the S3
    store this server chose (a node whose environment names an S3 endpoint must not read or stage
    in another store than the one this server publishes from)."""
    from sluice.connectors.s3.storage import backend_name  # S3's own rule for an unset SLUICE_S3_BACKEND

    return replace(settings, observability=ObservabilitySettings(),
                   salesforce=replace(settings.salesforce, client_secret=None),
                   s3=replace(settings.s3, backend=settings.s3.backend or backend_name()))


def split_job(request: RunRequest, spec: ConnectorSpec, props: Mapping[str, Any], context: RunContext,
              reading: RemoteReading, staging: tuple[StagingTarget, ...] | None = None) -> SplitJob:
    """What every split task of the run shares."""
    # The run's own hooks (stop flag, run log, publish hook) stay here: a worker gets its own.
    plain = {name: value for name, value in _context_fields(context).items()
             if name != "buckets" and not callable(value)}
    return SplitJob(
        token=uuid.uuid4().hex,
        source_type=spec.connector_type,
        source_label=request.source_profile.connector_label,
        profile=replace(request.source_profile, save_credentials=None, buckets=None),
        props=dict(props),
        context={**plain, "buckets": reading.buckets},
        settings=worker_settings(current()),
        state=reading.state,
        staging=staging,
    )


def stagings(destinations: Sequence[tuple[str, Destination]]) -> list[RemoteStaging] | None:
    """Every destination's `RemoteStaging`, or None when any must be written here."""
    found = [remote_staging_of(destination) for _, destination in destinations]
    if not found or any(staging is None for staging in found):
        return None
    return [staging for staging in found if staging is not None]


def _context_fields(context: RunContext) -> dict[str, Any]:
    # dataclasses.asdict would deep-copy the callables too; read the fields one by one.
    return {name: getattr(context, name) for name in RunContext.__dataclass_fields__}


def pieces(request: RunRequest, spec: ConnectorSpec, source: Source, props: Mapping[str, Any],
           context: RunContext, plan: Sequence[Any], halt: threading.Event, should_stop: Callable[[], bool],
           observer: RunObserver, destinations: Sequence[tuple[str, Destination]] = ()) -> Iterator[Piece]:
    """Every split's pieces, in split order, read and transformed on the cluster; staged there too
    when every destination allows (the pieces then carry counts, no rows)."""
    assert spec.remote_reading is not None
    if not plan:
        return  # nothing to read (the source said why): no reason to reach the cluster
    address = current().cluster.ray_address or "auto"
    connect(address)
    reading: RemoteReading = spec.remote_reading(source, plan)
    staging = stagings(destinations)
    job = ray.put(split_job(request, spec, props, context, reading,
                            None if staging is None else tuple(s.target for s in staging)))
    parts = list(reading.parts)
    in_flight = max(2, int(ray.cluster_resources().get("CPU", 1)) + 1)
    observer.event("source_opened", f"{len(parts)} split(s) on the Ray cluster at {address}, "
                   f"at most {in_flight} at a time, "
                   + ("staged by the workers" if staging is not None else "written by this server"))
    pending: deque[Any] = deque()
    nodes: Counter[str] = Counter()
    staged: Counter[str] = Counter()  # part objects adopted, by the node that wrote them
    submitted = 0
    try:
        for index in range(len(parts)):
            while submitted < min(len(parts), index + in_flight):
                pending.append(_task.remote(job, parts[submitted], submitted))
                submitted += 1
            result = _result(pending[0], index, len(parts), halt, should_stop)
            pending.popleft()
            if result is None:
                return
            kept = reading.keep(index, result.outcome)
            _count(source.stats, result.stats, kept)
            if not kept:
                continue  # a speculative part the split before it proved wrong: its rows are not the run's
            if result.failure is not None:
                failure = result.failure
                if failure.kind == "destination":
                    raise _destination_failed(failure.exception(), destinations[failure.destination][0])
                raise failure.exception()
            nodes[result.node] += 1
            for kind, message, level in result.events:
                observer.event(kind, message, level)
            if staging is not None:
                assert result.staged is not None and len(result.staged) == len(staging)
                for target, entry in zip(staging, result.staged, strict=True):
                    target.adopt(entry)
                    staged[entry.node] += len(entry.parts)
            yield from result.pieces
        observer.event("cluster", "Ray ran the splits on " + ", ".join(
            f"node {node}: {count}" for node, count in sorted(nodes.items())))
        if staging is not None:
            observer.event("cluster", "Ray workers staged the output's part objects on " + ", ".join(
                f"node {node}: {count}" for node, count in sorted(staged.items())))
    finally:
        _cancel(pending, request.execution_id, wait=staging is not None)


def _cancel(pending: deque[Any], execution_id: str, wait: bool) -> None:
    """Cancel the tasks not yet taken (a cancel, a failure, or the writer stopped early); with
    `wait`, give them a moment to delete what they staged before the destination's abort runs."""
    for ref in pending:
        try:
            ray.cancel(ref)
        except Exception:  # already finished or gone: nothing to stop
            log.debug("run %s: could not cancel a split task", execution_id, exc_info=True)
    if wait and pending:
        try:
            _, running = ray.wait(list(pending), num_returns=len(pending), timeout=CANCEL_WAIT_SECONDS)
            # A task that has not stopped by now (busy in native code when the interrupt came) is
            # killed with its worker, so it cannot stage a part after the abort deleted the prefix.
            for ref in running:
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)
            if running:
                ray.wait(running, num_returns=len(running), timeout=CANCEL_WAIT_SECONDS)
        except Exception:  # the cluster went away: the abort deletes the staging prefix anyway
            log.debug("run %s: could not wait for canceled split tasks", execution_id, exc_info=True)


def _result(ref: Any, index: int, total: int, halt: threading.Event,
            should_stop: Callable[[], bool]) -> SplitResult | None:
    """Split `index`'s result once its task returned; None when the run is stopping first."""
    while True:
        if halt.is_set() or should_stop():
            return None
        ready, _ = ray.wait([ref], timeout=WAIT_SECONDS)
        if ready:
            break
    try:
        result: SplitResult = ray.get(ref)
    except ray.exceptions.TaskCancelledError:
        return None
    except ray.exceptions.RayError as exc:  # retries used up: a node kept dying, or the cluster went away
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise RunFailed(f"Ray could not run split {index + 1} of {total} (tried {SPLIT_RETRIES + 1} times): "
                        f"{type(exc).__name__}{': ' + first if first else ''}") from exc
    return result


def _count(stats: ReadStats, part: ReadStats, kept: bool) -> None:
    """Add a split's read counters to the source's; a dropped part's bytes count, its rows do not
    (the local reader also reads a wrongly started range's bytes and yields none of its rows)."""
    stats.bytes_read += part.bytes_read
    stats.files_read += part.files_read
    if kept:
        stats.records_read += part.records_read
        stats.pages_read += part.pages_read
        stats.max_page_size = max(stats.max_page_size, part.max_page_size)

