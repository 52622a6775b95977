"""What a run says while it runs: its event log and its live progress (engine layer).

The runner and the connectors report through one `RunObserver` per run:

* `event(kind, message, level)` numbers an event, writes it to the server log at once (one
  structured line: `sluice.logs` renders it as JSON under `SLUICE_LOG_FORMAT=json`) and keeps
  it until the next flush. Connectors reach it through `RunContext.on_event`.
* `progress(records, bytes)` is called once per batch; at most every `interval` seconds it hands
  the counts, the per-stage details and the pending events to the `sink` (the executor writes
  them with one UPDATE and one INSERT). Nothing here runs per record.

Event kinds: started, source_opened, page, file, warning, retry, task_summary, cluster (where a Ray
executor ran the splits), publish, finished.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sluice.store.run_events import HEAD, TAIL, Event

log = logging.getLogger("sluice.run")
LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
KINDS = frozenset({"started", "source_opened", "page", "file", "warning", "retry", "task_summary", "cluster",
                   "publish", "finished"})
PROGRESS_INTERVAL = 2.0

# (records so far, bytes so far, run details, events since the last flush) -> None
Sink = Callable[[int, int, "dict[str, Any] | None", list[Event]], None]


class RunObserver:
    """One run's event numbering, pending events and progress pacing."""

    def __init__(self, execution_id: str, flow_name: str, sink: Sink | None = None,
                 interval: float = PROGRESS_INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        self.execution_id = execution_id
        self.flow_name = flow_name
        self.sink = sink
        self.interval = interval
        self.clock = clock
        # The runner sets this to a function answering the run's per-stage counts so far.
        self.details: Callable[[], dict[str, Any]] | None = None
        self.records = 0
        self.bytes = 0
        self.kinds_seen: set[str] = set()
        self._seq = 0
        self._pending: list[Event] = []
        self._lock = threading.Lock()
        self._last_flush = clock()

    def event(self, kind: str, message: str, level: str = "info") -> None:
        """Record one event (any thread) and write it to the server log."""
        level = level if level in LEVELS else "info"
        with self._lock:
            self._seq += 1
            item = Event(self._seq, round(time.time(), 3), level, kind, message)
            self._pending.append(item)
            self.kinds_seen.add(kind)
            if len(self._pending) > 2 * (HEAD + TAIL):
                # The store would keep only the run's first HEAD and last TAIL events anyway:
                # between flushes, memory stays bounded however fast a connector reports.
                self._pending = [e for e in self._pending if e.seq <= HEAD] + self._pending[-TAIL:]
        log.log(LEVELS[level], "run %s of flow %s: [%s] %s", self.execution_id, self.flow_name, kind, message,
                extra={"fields": {"flowName": self.flow_name, "executionId": self.execution_id,
                                  "kind": kind, "seq": item.seq}})

    def progress(self, records: int, bytes_read: int, summary: Callable[[], str] | None = None) -> bool:
        """Note the counts after a batch; flush when `interval` has passed. True when it flushed.

        `summary()` words a "page" event written with each flush: one line per interval keeps the
        log bounded however many pages a run reads.
        """
        self.records, self.bytes = records, bytes_read
        if self.clock() - self._last_flush < self.interval:
            return False
        if summary is not None:
            self.event("page", summary())
        self.flush()
        return True

    def snapshot(self) -> dict[str, Any] | None:
        """The run's per-stage counts now (None before the runner set them up)."""
        return self.details() if self.details is not None else None

    def take_events(self) -> list[Event]:
        """The events not yet handed to the sink (and forget them)."""
        with self._lock:
            pending, self._pending = self._pending, []
        return pending

    def flush(self) -> None:
        """Hand the progress, details and pending events to the sink now."""
        self._last_flush = self.clock()
        if self.sink is None:
            self.take_events()
            return
        self.sink(self.records, self.bytes, self.snapshot(), self.take_events())
