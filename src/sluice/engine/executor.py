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
import time
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sluice.connectors import registry
from sluice.connectors.base import ProfileView
from sluice.engine.event_source import drop_event_batch, event_spool_dir
from sluice.engine.lifecycle import TERMINAL, set_status
from sluice.engine.profiles import aws_identity, profile_view
from sluice.engine.runner import RunCanceled, RunFailed, RunOutcome, RunRequest, connector_member, run_execution
from sluice.store.buckets import BucketAccess
from sluice.store.models import ConnectorProfile, ExecutionRecord, Flow
from sluice.store.repository import Store

log = logging.getLogger("sluice.engine")


class Executor(Protocol):
    """Where `StartFlow` hands runs."""

    def submit(self, execution_id: str) -> None:
        """Queue a newly created `InProgress` execution."""

    def request_cancel(self, execution_id: str) -> None:
        """Ask a running execution to stop."""


def process_alive(claimed_by: str) -> bool:
    """Whether the process named in `host:pid:thread` still runs (checked on this host only)."""
    try:
        pid = int(claimed_by.split(":")[1])
        os.kill(pid, 0)
    except (IndexError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


IDLE_POLL_SECONDS = 1.0


class LocalExecutor:
    """Worker threads in this process pulling queued executions from the store."""

    def __init__(self, store: Store, workers: int, data_dir: str = ".sluice") -> None:
        self.store = store
        self.workers = workers
        self.data_dir = data_dir
        self._cancels: set[str] = set()
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
                if process_alive(record.claimed_by or ""):
                    continue
                self._clean_staging(session, record)
                if record.status == "InProgress" and record.event_batch and os.path.exists(record.event_batch):
                    # Its events were taken off the stream already: run them again, not lose them.
                    record.claimed_by = None
                    continue
                if record.status == "CancelStarted":
                    set_status(session, record, "Canceled", "Canceled; the server restarted before the run stopped.")
                else:
                    set_status(session, record, "Error", "The run was interrupted by a server restart.")
        self._drop_finished_event_batches()

    def _drop_finished_event_batches(self) -> None:
        """Delete spooled events whose run already ended (a kill came between commit and delete).

        A file with no record yet is left alone: a subscriber writes the file inside the
        transaction that creates the record, before that commits.
        """
        folder = event_spool_dir(self.data_dir)
        if not folder.is_dir():
            return
        names = {path.stem: path for path in folder.glob("*.jsonl")}
        if not names:
            return
        with self.store.admin() as session:
            ended = session.scalars(
                select(ExecutionRecord.execution_id).where(
                    ExecutionRecord.execution_id.in_(list(names)), ExecutionRecord.status.in_(list(TERMINAL))
                )
            ).all()
        for execution_id in ended:
            drop_event_batch(str(names[execution_id]))

    def _clean_staging(self, session: Session, record: ExecutionRecord) -> None:
        """Drop whatever the dead run staged in its destinations, so nothing partial is ever visible."""
        flow = session.get(Flow, record.flow_id)
        if flow is None:
            return
        for destination in flow.config.get("destinationFlowConfigList", []):
            spec = registry.spec_for(destination["connectorType"], flow.destination_label)
            if spec is None or spec.cleanup_destination is None:
                continue
            props = connector_member(destination["destinationConnectorProperties"], destination["connectorType"])
            try:
                aws = aws_identity(self.store, record.account_id)
                spec.cleanup_destination(props, self.data_dir, record.execution_id, aws)
            except Exception:
                log.exception("could not clean the staging area of run %s", record.execution_id)

    def submit(self, execution_id: str) -> None:
        """Queue an execution (ignored by a node without workers; another node will claim it)."""
        if self.workers:
            self._queue.put(execution_id)

    def request_cancel(self, execution_id: str) -> None:
        """Stop a run of this process at its next batch (other processes see the record's flag)."""
        self._cancels.add(execution_id)

    def _profile(self, session: Session, account_id: str, region: str, name: str | None, kind: str) -> ProfileView:
        if not name:
            return ProfileView(name=None, connector_type=kind, aws=aws_identity(self.store, account_id))
        profile = session.scalars(
            select(ConnectorProfile).where(
                ConnectorProfile.account_id == account_id,
                ConnectorProfile.region == region,
                ConnectorProfile.name == name,
            )
        ).one_or_none()
        if profile is None:
            raise RunFailed(f"The connector profile {name} no longer exists.")
        return profile_view(self.store, profile)

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
            config = flow.config
            source = config["sourceFlowConfig"]
            try:
                source_profile = self._profile(
                    session, record.account_id, record.region, source.get("connectorProfileName"),
                    source["connectorType"],
                )
                destination_profiles = tuple(
                    self._profile(session, record.account_id, record.region, d.get("connectorProfileName"),
                                  d["connectorType"])
                    for d in config["destinationFlowConfigList"]
                )
            except RunFailed as exc:
                set_status(session, record, "Error", str(exc))
                return None
            return RunRequest(
                account_id=record.account_id,
                region=record.region,
                execution_id=execution_id,
                flow_name=flow.name,
                schema_version=flow.schema_version,
                config=config,
                source_profile=source_profile,
                destination_profiles=destination_profiles,
                started_at=record.started_at,
                data_dir=self.data_dir,
                window_start=record.data_pull_start_time if record.scheduled_for is not None else None,
                window_end=record.data_pull_end_time if record.scheduled_for is not None else None,
                event_batch=record.event_batch,
                aws=aws_identity(self.store, record.account_id),
                buckets=BucketAccess(self.store, record.account_id),
            )

    def _should_stop(self, execution_id: str) -> Callable[[], bool]:
        """A cheap check for the run loop: this process's cancels at once, the record's flag each second."""
        state = {"checked": time.monotonic(), "stop": False}

        def should_stop() -> bool:
            if state["stop"] or execution_id in self._cancels:
                return True
            if time.monotonic() - state["checked"] >= 1.0:
                state["checked"] = time.monotonic()
                with self.store.admin() as session:
                    state["stop"] = bool(session.scalar(
                        select(ExecutionRecord.cancel_requested).where(ExecutionRecord.execution_id == execution_id)
                    ))
            return bool(state["stop"])

        return should_stop

    def _finish(self, execution_id: str, status: str, message: str | None, outcome: RunOutcome | None) -> None:
        self._cancels.discard(execution_id)
        event_batch: str | None = None
        with self.store.admin() as session:
            record = session.scalars(
                select(ExecutionRecord).where(ExecutionRecord.execution_id == execution_id)
            ).one_or_none()
            if record is None:
                return
            if record.cancel_requested and status != "Successful":
                status, message = "Canceled", "The run was canceled."
            result: dict[str, Any] = {}
            if outcome is not None:
                result = outcome.result
                if record.scheduled_for is None:  # a scheduled run's window was fixed when it fired
                    record.data_pull_start_time = outcome.data_pull_start_time
                    record.data_pull_end_time = outcome.data_pull_end_time
                if outcome.metadata_catalog_details:
                    record.metadata_catalog_details = outcome.metadata_catalog_details
            set_status(session, record, status, message, **result)
            event_batch = record.event_batch
        # Only once the outcome is committed: a kill before this line leaves a finished run and a
        # file that recovery deletes; deleting first would let a kill turn a delivered run into an
        # interrupted one whose events are gone (recovery marks such a run Error).
        if event_batch:
            drop_event_batch(event_batch)

    def _next_unclaimed(self) -> str | None:
        """The oldest queued run nobody claimed (e.g. started on a node without workers)."""
        with self.store.admin() as session:
            return session.scalar(
                select(ExecutionRecord.execution_id)
                .where(ExecutionRecord.status == "InProgress", ExecutionRecord.claimed_by.is_(None))
                .order_by(ExecutionRecord.id)
                .limit(1)
            )

    def _work(self) -> None:
        while True:
            try:
                execution_id = self._queue.get(timeout=IDLE_POLL_SECONDS)
            except queue.Empty:
                # Idle: pick up runs other processes queued (a node with --workers 0, a scheduler
                # on another server); the claim is atomic, so racing workers cannot both run it.
                try:
                    execution_id = self._next_unclaimed()
                except Exception:
                    log.exception("could not look for queued runs")
                    continue
                if execution_id is None:
                    continue
            if execution_id is None:
                return
            try:
                request = self._claim(execution_id)
                if request is None:
                    continue
                try:
                    outcome = run_execution(request, self._should_stop(execution_id))
                    self._finish(execution_id, "Successful", None, outcome)
                except RunCanceled:
                    self._finish(execution_id, "Canceled", "The run was canceled.", None)
                except RunFailed as exc:
                    self._finish(execution_id, "Error", str(exc), None)
            except Exception:
                log.exception("run %s failed unexpectedly", execution_id)
                try:
                    self._finish(execution_id, "Error", "The run failed with an internal error.", None)
                except Exception:
                    log.exception("could not record the failure of run %s", execution_id)
