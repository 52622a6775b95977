"""The scheduler: turns due schedule slots into runs, exactly once (scheduler layer).

Every server process runs one `Scheduler` thread. Each tick claims the Active scheduled flows
whose `next_fire_at` has passed with `SELECT ... FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite
serialises writers anyway), so with several processes on one database each slot starts one run.
For each it writes an `InProgress` execution record for the window
`(watermark or firstExecutionFrom, slot]` and moves `next_fire_at` past now. Everything lives in
rows, so a restart resumes where the last tick left off.

Catch-up policy: after downtime a flow gets one run whose window ends at the latest missed slot
(an incremental window then covers every missed slot, so nothing is lost), and then resumes its
schedule. A flow whose previous run is still going is not started again until it ends, so
windows never overlap. Runs go to the executor through the same `submit` path as StartFlow.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.engine import metrics
from sluice.scheduler.schedule import fires_between
from sluice.scheduler.triggers import is_incremental, next_fire_epoch, scheduled_properties, spec_for
from sluice.store.models import ExecutionRecord, Flow
from sluice.store.repository import Store

log = logging.getLogger("sluice.scheduler")
RUNNING = ("InProgress", "CancelStarted")


class Scheduler:
    """Fires due schedule slots; `tick(now)` is the whole algorithm, the thread only repeats it."""

    def __init__(
        self,
        store: Store,
        submit: Callable[[str], None],
        clock: Callable[[], float] = time.time,
        interval: float = 1.0,
        batch: int = 200,
    ) -> None:
        self.store = store
        self.submit = submit
        self.clock = clock
        self.interval = interval
        self.batch = batch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks = 0
        self.cpu_seconds = 0.0  # the scheduler thread's own CPU time (reported on /health)

    def start(self) -> None:
        """Start ticking in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="sluice-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current tick."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            began = time.thread_time()
            try:
                self.tick(self.clock())
            except Exception:
                log.exception("scheduler tick failed")
            self.ticks += 1
            self.cpu_seconds += time.thread_time() - began

    def tick(self, now: float) -> list[str]:
        """Start a run for every flow whose slot is due at `now`; returns the new execution ids."""
        started: list[str] = []
        while True:  # a batch per transaction, so a burst of due flows does not wait for the next tick
            batch: list[str] = []
            with self.store.admin() as session:
                due = session.scalars(
                    select(Flow)
                    .where(Flow.trigger_type == "Scheduled", Flow.status == "Active", Flow.next_fire_at <= now)
                    .order_by(Flow.next_fire_at)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                ).all()
                for flow in due:
                    execution_id = self._fire(session, flow, now)
                    if execution_id:
                        batch.append(execution_id)
            for execution_id in batch:
                self.submit(execution_id)
            started += batch
            if len(due) < self.batch or not batch:
                return started

    def _fire(self, session: Session, flow: Flow, now: float) -> str | None:
        scheduled = scheduled_properties(flow.config["triggerConfig"])
        activated_at = float(flow.activated_at or flow.last_updated_at)
        busy = session.scalar(
            select(ExecutionRecord.id).where(ExecutionRecord.flow_id == flow.id, ExecutionRecord.status.in_(RUNNING))
        )
        if busy is not None:
            return None  # fires when the running one ends: windows must not overlap
        due_at = float(flow.next_fire_at or now)
        spec = spec_for(scheduled, activated_at)
        missed = fires_between(
            spec, datetime.fromtimestamp(due_at - 1e-3, tz=UTC), datetime.fromtimestamp(now, tz=UTC), limit=100_000
        )
        slot = missed[-1].timestamp() if missed else due_at
        flow.next_fire_at = next_fire_epoch(scheduled, activated_at, max(now, slot))
        window_start: float | None = None
        window_end: float | None = None
        if is_incremental(scheduled):
            window_start = flow.watermark if flow.watermark is not None else scheduled.get("firstExecutionFrom")
            window_end = slot
        record = ExecutionRecord(
            account_id=flow.account_id,
            region=flow.region,
            flow_id=flow.id,
            execution_id=str(uuid.uuid4()),
            status="InProgress",
            result={"bytesProcessed": 0, "bytesWritten": 0, "recordsProcessed": 0},
            started_at=now,
            last_updated_at=now,
            data_pull_start_time=window_start,
            data_pull_end_time=window_end,
            scheduled_for=slot,
        )
        session.add(record)
        metrics.scheduled_run_fired(now - slot)  # how late this slot fired
        flow.last_run = {"mostRecentExecutionTime": now, "mostRecentExecutionStatus": "InProgress"}
        return record.execution_id
