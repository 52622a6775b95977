"""The run executor: a queue of executions and a pool of worker threads (engine layer).

The queue is the store itself: an execution record `InProgress` with no `lease_owner` is
queued. `StartFlow` writes the record and then calls `Executor.submit`; a worker claims the
record atomically with a lease (`leases.py`), so several server processes can share one
database, runs it, and writes the outcome. A heartbeat thread renews this process's leases; a
recovery thread recovers runs whose lease lapsed (`recovery.py`) - on this server's previous
life or on any other server. With `workers=0` the process only accepts runs (a control-plane-only
node), but still recovers abandoned ones.

`Executor` is an interface so a later milestone can run executions on a distributed engine
without touching the service layer.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sluice.connectors.base import ProfileView
from sluice.engine import parallel, recovery, run_reports
from sluice.engine.event_source import drop_event_batch, event_spool_dir
from sluice.engine.leases import RUNNING, RunLeases
from sluice.engine.lifecycle import TERMINAL, set_status
from sluice.engine.profiles import aws_identity, profile_view
from sluice.engine.run_observer import RunObserver
from sluice.engine.runner import RunCanceled, RunFailed, RunOutcome, RunRequest, run_execution
from sluice.settings import current
from sluice.store import run_events
from sluice.store.accounts import sweep_orphans
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


IDLE_POLL_SECONDS = 1.0
LOST_LEASE = "The run stopped: this server lost its lease on it (another server has taken it over)."


class LocalExecutor:
    """Worker threads in this process pulling queued executions from the store."""

    def __init__(self, store: Store, workers: int, data_dir: str = ".sluice", leases: RunLeases | None = None) -> None:
        self.store = store
        self.workers = workers
        self.data_dir = data_dir
        self.leases = leases or RunLeases(store)
        self.node = self.leases.node
        self._cancels: set[str] = set()
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._background: list[threading.Thread] = []

    def start(self) -> None:
        """Start the workers, the lease heartbeat and the recovery of runs whose server stopped."""
        if self.workers:
            parallel.choose_memory_pool()
        for index in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"sluice-run-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        # Two threads: a long recovery (a rollback of thousands of files) must not delay the
        # renewals that keep this server's own runs.
        for name, target in (("sluice-run-leases", self._renew), ("sluice-run-recovery", self._recover)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._background.append(thread)
        if self.workers:
            with self.store.admin() as session:
                queued = session.scalars(
                    select(ExecutionRecord.execution_id).where(
                        ExecutionRecord.status == "InProgress", ExecutionRecord.lease_owner.is_(None)
                    )
                )
                for execution_id in queued:
                    self._queue.put(execution_id)

    def stop(self) -> None:
        """Stop the workers after their current run, and the lease threads.

        A run still going when the process exits keeps its lease until it lapses: giving it up
        at once could let another server roll the run back while this process still publishes.
        """
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=10)
        self._stopping.set()
        for thread in self._background:
            thread.join(timeout=10)

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

    def _renew(self) -> None:
        """Renew this node's leases every `heartbeat_interval`."""
        while not self._stopping.wait(self.leases.heartbeat_interval):
            try:
                self.leases.renew()
            except Exception:
                log.exception("could not renew the run leases")

    def _recover(self) -> None:
        """Recover runs whose lease lapsed: at once (a restarted server), then every heartbeat."""
        while True:
            try:
                self.recover_once()
            except Exception:
                log.exception("could not look for abandoned runs")
            if self._stopping.wait(self.leases.heartbeat_interval):
                return

    def recover_once(self) -> None:
        """One recovery pass: runs with lapsed leases, spooled events of runs that ended, and rows
        left by a request that raced its account's deletion."""
        self.reclaim_expired()
        self._drop_finished_event_batches()
        if sweep_orphans(self.store):
            log.warning("removed resources of deleted accounts written while they were being deleted")

    def reclaim_expired(self) -> None:
        """Take over every run whose lease lapsed and recover it (roll back, clean up, record)."""
        for execution_id in self.leases.expired():
            if not self.leases.take_over(execution_id):
                continue  # renewed by its owner, or another server took it first
            try:
                with self.store.admin() as session:
                    account_id = session.scalars(
                        select(ExecutionRecord.account_id).where(ExecutionRecord.execution_id == execution_id)
                    ).one()
                # The run's account's AWS identity (read before the recovering transaction opens).
                aws = aws_identity(self.store, account_id)
                with self.store.admin() as session:
                    record = session.scalars(
                        select(ExecutionRecord).where(ExecutionRecord.execution_id == execution_id)
                    ).one()
                    recovery.recover(session, record, self.data_dir, aws)
                log.warning("recovered run %s, abandoned by the server that was running it", execution_id)
                run_reports.run_finished(self.store, execution_id)  # reports only a run that ended
            except Exception:
                log.exception("could not recover run %s; another attempt follows", execution_id)
                with self.store.admin() as session:  # let any server try again, not only this one
                    session.execute(
                        update(ExecutionRecord)
                        .where(ExecutionRecord.execution_id == execution_id, ExecutionRecord.lease_owner == self.node)
                        .values(lease_expires_at=0.0)
                    )

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
        if not self.leases.claim(execution_id):
            return None
        with self.store.admin() as session:
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
                run_events.append_next(session, record.id, "error", "finished", f"Error: {exc}")
                request = None
            else:
                request = RunRequest(
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
        if request is None:  # refused, and committed: reported like a run that ended in a worker
            run_reports.run_finished(self.store, execution_id)
        return request

    def _should_stop(self, execution_id: str) -> Callable[[], bool]:
        """A cheap check for the run loop: this process's cancels at once, the record each second.

        The record says stop when a cancel was requested elsewhere, or when this node no longer
        holds the lease (it lapsed and another server took the run over).
        """
        state = {"checked": time.monotonic(), "stop": False}

        def should_stop() -> bool:
            if state["stop"] or execution_id in self._cancels:
                return True
            if time.monotonic() - state["checked"] >= 1.0:
                state["checked"] = time.monotonic()
                with self.store.admin() as session:
                    row = session.execute(
                        select(ExecutionRecord.cancel_requested, ExecutionRecord.lease_owner)
                        .where(ExecutionRecord.execution_id == execution_id)
                    ).one_or_none()
                state["stop"] = row is None or bool(row[0]) or row[1] != self.node
            return bool(state["stop"])

        return should_stop

    def _publish_hook(self, execution_id: str) -> Callable[[int, str, str | None, Mapping[str, Any]], None]:
        """`RunContext.before_publish` for the run's destinations: the manifest goes into the record.

        It is committed before the destination moves anything into sight, and only while this node
        still holds the run's lease (a run taken over by another server must not publish).
        """

        def before_publish(index: int, connector_type: str, label: str | None, manifest: Mapping[str, Any]) -> None:
            with self.store.admin() as session:
                record = session.scalars(
                    select(ExecutionRecord).where(ExecutionRecord.execution_id == execution_id).with_for_update()
                ).one_or_none()
                if record is None or record.lease_owner != self.node:
                    raise RunFailed(LOST_LEASE)
                publications = dict(record.publications or {})
                publications[str(index)] = recovery.publication(connector_type, label, dict(manifest))
                record.publications = publications

        return before_publish

    def _observer(self, request: RunRequest) -> RunObserver:
        """The run's observer; its sink writes progress, details and events in one transaction.

        One UPDATE of the record (only while this node holds the lease and the run is going) and
        one INSERT of the events since the last flush; a failure to write them is logged, never
        the run's failure.
        """
        execution_id = request.execution_id
        with self.store.admin() as session:
            record_id = session.scalar(select(ExecutionRecord.id).where(ExecutionRecord.execution_id == execution_id))

        def sink(records: int, bytes_read: int, details: dict[str, Any] | None,
                 events: list[run_events.Event]) -> None:
            try:
                with self.store.admin() as session:
                    done = session.execute(
                        update(ExecutionRecord)
                        .where(ExecutionRecord.execution_id == execution_id, ExecutionRecord.lease_owner == self.node,
                               ExecutionRecord.status.in_(RUNNING))
                        .values(run_details=details or {"recordsProcessed": records, "bytesProcessed": bytes_read},
                                last_updated_at=time.time())
                    )
                    if done.rowcount and record_id is not None:  # type: ignore[attr-defined]
                        run_events.append(session, record_id, events)
            except Exception:
                log.exception("run %s: could not record its progress", execution_id)

        return RunObserver(execution_id, request.flow_name, sink, interval=current().run_progress_seconds)

    def _finish(self, execution_id: str, status: str, message: str | None, outcome: RunOutcome | None,
                observer: RunObserver | None = None) -> None:
        self._cancels.discard(execution_id)
        event_batch: str | None = None
        with self.store.admin() as session:
            record = session.scalars(
                select(ExecutionRecord).where(ExecutionRecord.execution_id == execution_id).with_for_update()
            ).one_or_none()
            if record is None:
                return
            if record.lease_owner != self.node or record.status not in RUNNING:
                # Our lease lapsed and another server recovered the run: its outcome stands.
                log.warning("run %s ended here after another server took it over; its record is kept",
                            execution_id)
                return
            if status != "Successful" and record.publications:
                # The destinations' abort() removed what they published; make sure of it before
                # the manifests go, as recovery would.
                recovery.roll_back_publications(record, self.data_dir, aws_identity(self.store, record.account_id))
            # The manifests leave in the transaction that records the outcome: a record never
            # says Successful while a manifest would roll its output back, nor the reverse.
            record.publications = None
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
            if observer is not None:
                self._record_end(session, record, observer, status, message)
            event_batch = record.event_batch
        # Only once the outcome is committed: a kill before this line leaves a finished run and a
        # file that recovery deletes; deleting first would let a kill turn a delivered run into an
        # interrupted one whose events are gone (recovery marks such a run Error).
        if event_batch:
            drop_event_batch(event_batch)
        run_reports.run_finished(self.store, execution_id)  # metrics, EventBridge, webhooks; never raises

    @staticmethod
    def _record_end(session: Session, record: ExecutionRecord, observer: RunObserver, status: str,
                    message: str | None) -> None:
        """The final details and the last events (with "finished") go with the outcome."""
        details = observer.snapshot()
        if details is not None:
            result = record.result or {}
            details["recordsProcessed"] = result.get("recordsProcessed", details["recordsProcessed"])
            details["bytesProcessed"] = result.get("bytesProcessed", details["bytesProcessed"])
            record.run_details = details
        if status == "Successful":
            said = f"Successful: {details['recordsProcessed'] if details else 0} record(s) processed"
        else:
            said = f"{status}: {message or 'no reason was recorded'}"
        observer.event("finished", said, "info" if status == "Successful" else "error")
        run_events.append(session, record.id, observer.take_events())

    def _next_unclaimed(self) -> str | None:
        """The oldest queued run nobody claimed (e.g. started on a node without workers)."""
        with self.store.admin() as session:
            return session.scalar(
                select(ExecutionRecord.execution_id)
                .where(ExecutionRecord.status == "InProgress", ExecutionRecord.lease_owner.is_(None))
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
            observer: RunObserver | None = None
            try:
                request = self._claim(execution_id)
                if request is None:
                    continue
                observer = self._observer(request)
                try:
                    outcome = run_execution(request, self._should_stop(execution_id),
                                            self._publish_hook(execution_id), observer)
                    self._finish(execution_id, "Successful", None, outcome, observer)
                except RunCanceled:
                    self._finish(execution_id, "Canceled", "The run was canceled.", None, observer)
                except RunFailed as exc:
                    self._finish(execution_id, "Error", str(exc), None, observer)
            except Exception:
                log.exception("run %s failed unexpectedly", execution_id)
                try:
                    self._finish(execution_id, "Error", "The run failed with an internal error.", None, observer)
                except Exception:
                    log.exception("could not record the failure of run %s", execution_id)
