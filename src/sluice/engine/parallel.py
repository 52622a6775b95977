"""Reading and transforming a run's splits on several threads (engine layer).

`runner.py` asks the source for its splits (`connectors.base.split_plan`) and hands them here.
`pieces()` reads each split and runs the flow's task pipeline on its batches on a pool of
`SLUICE_PARALLELISM` threads, and yields the results in split order, so the runner writes
exactly the rows of a serial run in the same order (or, with destination lanes, as they come).
Threads, not processes: pyarrow releases the GIL while it parses CSV and JSON, computes and
writes Parquet, and the Python left per batch is small; on the yardstick a forked process pool
took ~10 % more CPU and more memory than threads (docs/engine.md has the numbers).

Memory is bounded whatever the input size: at most `degree * AHEAD` splits are in flight
(submitted and not yet written), each with at most `QUEUE_DEPTH` transformed batches waiting,
and a split's reader holds at most one split's worth of parsed columns. A cancel or failure sets `halt`, which
every worker checks between batches (and which the sources see through `RunContext.should_stop`).
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sluice.connectors.handoff import put_unless_stopped
from sluice.engine.tasks.pipeline import Counts


def choose_memory_pool() -> None:
    """Arrow's jemalloc pool for this process, unless the operator chose one (ARROW_DEFAULT_MEMORY_POOL).

    Measured on the yardstick with two threads (1M rows, in process): peak RSS 265-276 MiB with
    jemalloc against 345-353 MiB with pyarrow's default mimalloc and 349-392 MiB with the system
    allocator, and 5-10 % less CPU (docs/engine.md).
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow as pa

    with contextlib.suppress(NotImplementedError):  # a pyarrow built without jemalloc keeps its default
        pa.set_memory_pool(pa.jemalloc_memory_pool())


# Transformed batches one split may have waiting for the writer: a split's worker can finish it
# and move on while the writer is still on an earlier split (a depth of 2 left workers idle).
QUEUE_DEPTH = 8
# Splits in flight (submitted and not yet written) per thread.
AHEAD = 2


@dataclass(slots=True)
class Piece:
    """One source batch after the tasks: what the runner writes and counts."""

    rows_in: int  # records the source gave for it (inside the run's window)
    out: Any  # the transformed pyarrow.RecordBatch; None once the worker staged it itself
    outside_window: int = 0  # records dropped for having no readable change time
    counts: Counts | None = None  # a worker pipeline's counters, to add to the run's
    notes: tuple[str, ...] = ()
    written: int = 0  # records the worker staged into each destination (`out` is then None)


Transform = Callable[[Any], Piece]


def pieces(read_split: Callable[[Any], Iterator[Any]], splits: Sequence[Any], degree: int,
           make_transform: Callable[[], Transform], halt: threading.Event,
           should_stop: Callable[[], bool], *, ordered: bool = True) -> Iterator[Piece]:
    """Every split's transformed batches; `degree` threads (1: this thread).

    `ordered`: in split order (the caller writes them). Otherwise as they come: the threads
    stage their output themselves (destination lanes) and a slow split holds no other back.
    """
    if degree <= 1 or len(splits) <= 1:
        transform = make_transform()
        for split in splits:
            for batch in read_split(split):
                if halt.is_set() or should_stop():
                    return
                yield transform(batch)
        return
    run = _parallel if ordered else _unordered
    yield from run(read_split, splits, degree, make_transform, halt, should_stop)


def _worker(read_split: Callable[[Any], Iterator[Any]], make_transform: Callable[[], Transform],
            halt: threading.Event, should_stop: Callable[[], bool]) -> Callable[[Any, queue.Queue[Any], Any], None]:
    """`work(split, out, tag)`: one split's pieces onto `out` as (tag, kind, value), then "end" or "error"."""
    local = threading.local()  # one task pipeline per thread (its plan cache and counters)

    def put(out: queue.Queue[Any], message: tuple[Any, str, Any]) -> bool:
        return put_unless_stopped(out, message, halt)

    def work(split: Any, out: queue.Queue[Any], tag: Any) -> None:
        try:
            if halt.is_set():
                return
            transform = getattr(local, "transform", None)
            if transform is None:
                transform = local.transform = make_transform()
            for batch in read_split(split):
                if halt.is_set() or should_stop():
                    return
                if not put(out, (tag, "piece", transform(batch))):
                    return
            put(out, (tag, "end", None))
        except BaseException as exc:  # handed to the writer, which fails the run with it
            put(out, (tag, "error", exc))

    return work


def _unordered(read_split: Callable[[Any], Iterator[Any]], splits: Sequence[Any], degree: int,
               make_transform: Callable[[], Transform], halt: threading.Event,
               should_stop: Callable[[], bool]) -> Iterator[Piece]:
    work = _worker(read_split, make_transform, halt, should_stop)
    ahead = degree * AHEAD
    out: queue.Queue[Any] = queue.Queue(QUEUE_DEPTH * ahead)
    pool = ThreadPoolExecutor(max_workers=degree, thread_name_prefix="sluice-split")
    submitted = ended = 0
    finished = False
    try:
        while ended < len(splits):
            # Splits go to the pool in order, so a split never waits on one that has not started.
            while submitted < min(len(splits), ended + ahead):
                pool.submit(work, splits[submitted], out, submitted)
                submitted += 1
            try:
                _, kind, value = out.get(timeout=0.1)
            except queue.Empty:
                if halt.is_set() or should_stop():
                    return
                continue
            if kind == "end":
                ended += 1
            elif kind == "error":
                raise value
            else:
                yield value
        finished = True
    finally:
        if not finished:
            halt.set()
        while not out.empty():  # unblock workers waiting on a full queue
            out.get_nowait()
        pool.shutdown(wait=True, cancel_futures=True)


def _parallel(read_split: Callable[[Any], Iterator[Any]], splits: Sequence[Any], degree: int,
              make_transform: Callable[[], Transform], halt: threading.Event,
              should_stop: Callable[[], bool]) -> Iterator[Piece]:
    work = _worker(read_split, make_transform, halt, should_stop)
    queues: list[queue.Queue[Any]] = [queue.Queue(QUEUE_DEPTH) for _ in splits]
    pool = ThreadPoolExecutor(max_workers=degree, thread_name_prefix="sluice-split")
    submitted = 0
    finished = False
    try:
        for index in range(len(splits)):
            # Splits go to the pool in order, so a split never waits on one that has not started.
            while submitted < min(len(splits), index + degree * AHEAD):
                pool.submit(work, splits[submitted], queues[submitted], submitted)
                submitted += 1
            while True:
                try:
                    _, kind, value = queues[index].get(timeout=0.1)
                except queue.Empty:
                    if halt.is_set() or should_stop():
                        return
                    continue
                if kind == "end":
                    queues[index] = queue.Queue(1)  # let the finished split's memory go
                    break
                if kind == "error":
                    raise value
                yield value
        finished = True
    finally:
        if not finished:  # a cancel, a failure, or the writer stopped reading: workers stop too
            halt.set()
        for pending in queues:  # unblock workers waiting on a full queue
            while not pending.empty():
                pending.get_nowait()
        pool.shutdown(wait=True, cancel_futures=True)
