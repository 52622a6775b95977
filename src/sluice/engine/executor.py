"""The run executor: a queue of executions and a pool of worker threads (engine layer).

The queue is the store itself: an execution record `InProgress` with no `claimed_by` is
queued. `StartFlow` writes the record and then calls `Executor.submit`; a worker claims the
record atomically (so several server processes can share one database), runs it, and writes
the outcome. With `workers=0` the process only accepts runs (a control-plane-only node).

`Executor` is an interface so a later milestone can run executions on a distributed engine
without touching the service layer.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
from typing import Protocol

from sqlalchemy import select, update

from sluice.engine.lifecycle import set_status
from sluice.engine.runner import RunCanceled, RunFailed, RunRequest, run_execution
from sluice.store.models import ExecutionRecord, Flow
from sluice.store.repository import Store

log = logging.getLogger("sluice.engine")


class Executor(Protocol):
    """Where `StartFlow` hands runs."""

    def submit(self, execution_id: str) -> None:
        """Queue a newly created `InProgress` execution."""

    def request_cancel(self, execution_id: str) -> None:
        """Ask a running execution to stop."""


def _alive(claimed_by: str) -> bool:
    """Whether the process named in `host:pid:thread` still runs (checked on this host only)."""
    try:
        pid = int(claimed_by.split(":")[1])
        os.kill(pid, 0)
    except (IndexError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


class LocalExecutor:
    """Worker threads in this process pulling queued executions from the store."""

    def __init__(self, store: Store, workers: int) -> None:
        self.store = store
        self.workers = workers
        self.node = f"{socket.gethostname()}:{os.getpid()}"
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Recover runs a previous process left behind, then start the workers."""
        self.recover()
        for index in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"sluice-run-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.workers:
            with self.store.admin() as session:
                queued = session.scalars(
                    select(ExecutionRecord.execution_id).where(
                        ExecutionRecord.status == "InProgress", ExecutionRecord.claimed_by.is_(None)
                    )
                )
                for execution_id in queued:
                    self._queue.put(execution_id)

    def stop(self) -> None:
        """Stop the workers after their current run."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=10)

    def recover(self) -> None:
        """Runs claimed by a dead process on this host end `Error` (or `Canceled` if canceling)."""
        host = socket.gethostname()
        with self.store.admin() as session:
            claimed = session.scalars(
                select(ExecutionRecord).where(
                    ExecutionRecord.status.in_(["InProgress", "CancelStarted"]),
                    ExecutionRecord.claimed_by.startswith(f"{host}:"),
                )
            )
            for record in claimed:
                if _alive(record.claimed_by or ""):
                    continue
                if record.status == "CancelStarted":
                    set_status(session, record, "Canceled", "Canceled; the server restarted before the run stopped.")
                else:
                    set_status(session, record, "Error", "The run was interrupted by a server restart.")

    def submit(self, execution_id: str) -> None:
        """Queue an execution (ignored by a node without workers; another node will claim it)."""
        if self.workers:
            self._queue.put(execution_id)

    def request_cancel(self, execution_id: str) -> None:
        """Cancels are flagged on the record; the running worker checks the flag between batches."""

    def _claim(self, execution_id: str) -> RunRequest | None:
        with self.store.admin() as session:
            claimed = session.execute(
                update(ExecutionRecord)
                .where(
                    ExecutionRecord.execution_id == execution_id,
                    ExecutionRecord.status == "InProgress",
                    ExecutionRecord.claimed_by.is_(None),
                )
                .values(claimed_by=f"{self.node}:{threading.get_ident()}")
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            record = session.scalars(
                select(ExecutionRecord).where(ExecutionRecord.execution_id == execution_id)
            ).one()
            flow = session.get(Flow, record.flow_id)
            if flow is None:
                return None
            return RunRequest(
                record.account_id, record.region, execution_id, flow.name,
                flow.source_type, tuple(flow.destination_types),
            )

    def _finish(self, execution_id: str, status: str, message: str | None, result: dict[str, int]) -> None:
        with self.store.admin() as session:
            record = session.scalars(
                select(ExecutionRecord).where(ExecutionRecord.execution_id == execution_id)
            ).one_or_none()
            if record is None:
                return
            if record.cancel_requested and status != "Successful":
                status, message = "Canceled", "The run was canceled."
            set_status(session, record, status, message, **result)

    def _work(self) -> None:
        while True:
            execution_id = self._queue.get()
            if execution_id is None:
                return
            try:
                request = self._claim(execution_id)
                if request is None:
                    continue
                try:
                    result = run_execution(request)
                    self._finish(execution_id, "Successful", None, result)
                except RunCanceled:
                    self._finish(execution_id, "Canceled", "The run was canceled.", {})
                except RunFailed as exc:
                    self._finish(execution_id, "Error", str(exc), {})
            except Exception:
                log.exception("run %s failed unexpectedly", execution_id)
                try:
                    self._finish(execution_id, "Error", "The run failed with an internal error.", {})
                except Exception:
                    log.exception("could not record the failure of run %s", execution_id)
