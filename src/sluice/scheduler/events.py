"""Event-triggered flows: one change-event subscription per Active Event flow (scheduler layer).

Every server process runs an `EventSubscriptions` thread. Each second it reconciles: it takes
the lease of every Active Event flow whose lease is free, expired, or held by a process of this
host that died, renews the leases it holds, and keeps one `Subscriber` thread per leased flow;
a flow that is no longer Active (StopFlow, DeleteFlow) loses its subscriber, which unsubscribes.

A subscriber opens the source connector's `open_events` stream from the flow's stored cursor (the
replay id of the last event already turned into a run). For each batch of events one
transaction spools them to a JSON-lines file under `<data dir>/events/` (before its commit),
writes an `InProgress` execution record pointing at the file and moves the cursor to the
batch's last replay id. So a killed server resumes from exactly the next event: nothing is
missed and nothing runs twice (an interrupted event run is re-queued at restart; a finished
run's outcome is committed before its file is deleted; see `engine.executor`).

A flow just activated has no cursor: it subscribes to every retained event, so changes made
right after StartFlow are not lost while the subscription is being set up, and keeps only those
of its activation. Salesforce stamps commits in whole seconds (`commitTimestamp` is epoch
milliseconds, always a multiple of 1000), so the activation cut is the start of the second
StartFlow ran in: every change committed after StartFlow returned is kept, and changes committed
earlier in that same second may be kept too. Comparing with the exact activation instant would
drop the rest of that second while the cursor moves past it. The cut is read from the flow in
the transaction that queues the run, so it always belongs to the current activation (after
StopFlow -> StartFlow too); it assumes the server's clock agrees with the vendor's (NTP).
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from sluice.connectors import registry
from sluice.connectors.base import ConnectorError, EventBatch, EventContext, EventStream
from sluice.engine.event_source import event_spool_dir
from sluice.engine.profiles import profile_view
from sluice.engine.runner import connector_member
from sluice.store.models import ConnectorProfile, ExecutionRecord, Flow
from sluice.store.repository import Store

log = logging.getLogger("sluice.scheduler.events")

LEASE_SECONDS = 30.0
POLL_SECONDS = 5.0
RETRY_SECONDS = (1.0, 2.0, 5.0, 15.0, 30.0)
ALL_RETAINED = "-2"  # the Bayeux replay id for "every retained event"
COMMIT_FIELD = "ChangeEventCommitTimestamp"


def activation_cut_ms(activated_at: float) -> int:
    """The earliest commit timestamp (epoch ms) an activation at `activated_at` keeps.

    The start of the activation's second: vendors stamp commits in whole seconds.
    """
    return math.floor(activated_at) * 1000


def of_activation(records: list[dict[str, Any]], cut_ms: int) -> list[dict[str, Any]]:
    """The records committed at or after the cut (a record without a commit time is kept)."""
    kept = []
    for record in records:
        stamp = record.get(COMMIT_FIELD)
        try:
            if stamp is not None and float(stamp) < cut_ms:
                continue
        except (TypeError, ValueError):
            pass  # an unreadable stamp cannot prove the change is older: keep it
        kept.append(record)
    return kept


class Subscriber:
    """The subscription of one flow, on its own thread."""

    def __init__(self, owner: EventSubscriptions, flow_id: int) -> None:
        self.owner = owner
        self.flow_id = flow_id
        self.stop_event = threading.Event()
        self.ready = False
        self.failures = 0
        self.thread = threading.Thread(target=self._run, name=f"sluice-events-{flow_id}", daemon=True)

    def stop(self) -> None:
        """Ask the thread to unsubscribe and end."""
        self.stop_event.set()

    def _open(self) -> EventStream:
        """The flow's stream from its cursor (every retained event when it has none)."""
        with self.owner.store.admin() as session:
            flow = session.get(Flow, self.flow_id)
            if flow is None:
                raise LookupError("the flow is gone")
            source = flow.config["sourceFlowConfig"]
            spec = registry.spec_for(source["connectorType"], flow.source_label)
            if spec is None or spec.open_events is None:
                raise ConnectorError("InvalidArgument", f"{source['connectorType']} has no change events")
            row = session.scalars(select(ConnectorProfile).where(
                ConnectorProfile.account_id == flow.account_id,
                ConnectorProfile.region == flow.region,
                ConnectorProfile.name == source.get("connectorProfileName"),
            )).one_or_none()
            if row is None:
                raise ConnectorError("ResourceNotFound", f"the connector profile {source.get('connectorProfileName')} "
                                     "no longer exists")
            view = profile_view(self.owner.store, row)
            props = connector_member(source["sourceConnectorProperties"], source["connectorType"])
            cursor = flow.event_cursor
            name = flow.name
        context = EventContext(flow_name=name, replay_from=cursor or ALL_RETAINED, should_stop=self.stop_event.is_set)
        return spec.open_events(view, props, context)

    def _run(self) -> None:
        while not self.stop_event.is_set():
            stream: EventStream | None = None
            try:
                stream = self._open()
                self.ready = True
                self.failures = 0
                while not self.stop_event.is_set():
                    batch = stream.poll(POLL_SECONDS)
                    if batch is not None and not self.owner.record_batch(self, batch):
                        return
            except LookupError:
                return
            except Exception as exc:  # a connector failure must not end the subscription for good
                self.ready = False
                self.failures += 1
                message = exc.message if isinstance(exc, ConnectorError) else "an internal error"
                if not isinstance(exc, ConnectorError):
                    log.exception("event subscription of flow %s failed", self.flow_id)
                self.owner.note_failure(self.flow_id, message, self.failures)
                self.stop_event.wait(RETRY_SECONDS[min(self.failures, len(RETRY_SECONDS)) - 1])
            finally:
                if stream is not None:
                    try:
                        stream.close()
                    except Exception:
                        log.debug("closing the event stream of flow %s failed", self.flow_id, exc_info=True)
        self.ready = False



def process_alive(owner: str) -> bool:
    """Whether the process named in `host:pid:...` still runs (checked on this host only).

    Only a shortcut: a lease held by a process that is gone is taken at once instead of when it
    lapses; a recycled PID merely falls back to waiting for `LEASE_SECONDS`.
    """
    try:
        pid = int(owner.split(":")[1])
        os.kill(pid, 0)
    except (IndexError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True

class EventSubscriptions:
    """Holds the subscriptions of the Event flows this process leases."""

    def __init__(
        self,
        store: Store,
        submit: Callable[[str], None],
        data_dir: str,
        clock: Callable[[], float] = time.time,
        interval: float = 1.0,
        failure_limit: int = 5,
    ) -> None:
        self.store = store
        self.submit = submit
        self.data_dir = data_dir
        self.clock = clock
        self.interval = interval
        self.failure_limit = failure_limit
        self.node = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.subscribers: dict[int, Subscriber] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Reconcile every `interval` seconds in a daemon thread."""
        self._thread = threading.Thread(target=self._loop, name="sluice-events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Unsubscribe everything and give the leases back."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for subscriber in self.subscribers.values():
            subscriber.stop()
        for subscriber in self.subscribers.values():
            subscriber.thread.join(timeout=10)
        try:
            with self.store.admin() as session:
                for flow in session.scalars(select(Flow).where(Flow.event_owner == self.node)):
                    flow.event_owner = None
                    flow.event_lease_until = None
        except Exception:
            log.exception("could not release the event leases")

    def status(self) -> dict[str, Any]:
        """What /health shows: the flows subscribed here and whether each stream is open."""
        return {"subscriptions": len(self.subscribers),
                "ready": sum(1 for s in self.subscribers.values() if s.ready)}

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.reconcile()
            except Exception:
                log.exception("event subscription reconcile failed")

    def reconcile(self) -> None:
        """Lease the Active Event flows that are free, renew ours, start and stop subscribers."""
        now = self.clock()
        wanted: set[int] = set()
        with self.store.admin() as session:
            flows = session.scalars(
                select(Flow)
                .where(Flow.trigger_type == "Event", Flow.status == "Active",
                       or_(Flow.event_owner.is_(None), Flow.event_owner == self.node,
                           Flow.event_lease_until < now, Flow.event_owner.startswith(f"{socket.gethostname()}:")))
                .with_for_update(skip_locked=True)
            ).all()
            for flow in flows:
                owner = flow.event_owner
                if owner and owner != self.node and (flow.event_lease_until or 0) >= now and process_alive(owner):
                    continue  # a live process of this host holds it
                flow.event_owner = self.node
                flow.event_lease_until = now + LEASE_SECONDS
                wanted.add(flow.id)
        for flow_id in wanted - self.subscribers.keys():
            subscriber = Subscriber(self, flow_id)
            self.subscribers[flow_id] = subscriber
            subscriber.thread.start()
        for flow_id in list(self.subscribers):
            subscriber = self.subscribers[flow_id]
            if flow_id not in wanted or not subscriber.thread.is_alive():
                subscriber.stop()
                del self.subscribers[flow_id]

    def note_failure(self, flow_id: int, message: str, failures: int) -> None:
        """Show a broken subscription on the flow; after `failure_limit` in a row it is Errored."""
        with self.store.admin() as session:
            flow = session.get(Flow, flow_id)
            if flow is None or flow.status != "Active":
                return
            flow.status_message = f"The change-event subscription failed: {message}"
            if failures >= self.failure_limit:
                flow.status = "Errored"
                flow.event_owner = None
                flow.event_lease_until = None

    def record_batch(self, subscriber: Subscriber, batch: EventBatch) -> bool:
        """Queue a run for a batch and move the cursor, atomically; False when the flow stopped.

        The spool file is written inside the transaction, before its commit: a kill in between
        leaves at most a file no record points to, never a record without its events.
        """
        now = self.clock()
        execution_id = str(uuid.uuid4())
        path: Path | None = None
        try:
            with self.store.admin() as session:
                flow = session.get(Flow, subscriber.flow_id, with_for_update=True)
                if flow is None or flow.status != "Active" or flow.event_owner != self.node:
                    return False
                cut = activation_cut_ms(float(flow.activated_at or flow.last_updated_at))
                records = of_activation(batch.records, cut)
                flow.event_cursor = batch.replay_id
                flow.event_lease_until = now + LEASE_SECONDS
                flow.status_message = None
                if not records:
                    return True
                path = self._spool(execution_id, records)
                session.add(ExecutionRecord(
                    account_id=flow.account_id,
                    region=flow.region,
                    flow_id=flow.id,
                    execution_id=execution_id,
                    status="InProgress",
                    result={"bytesProcessed": 0, "bytesWritten": 0, "recordsProcessed": 0},
                    started_at=now,
                    last_updated_at=now,
                    event_batch=str(path),
                ))
                flow.last_run = {"mostRecentExecutionTime": now, "mostRecentExecutionStatus": "InProgress"}
        except BaseException:
            if path is not None:  # the run was not queued: its file must not linger
                path.unlink(missing_ok=True)
            raise
        self.submit(execution_id)
        return True

    def _spool(self, execution_id: str, records: list[dict[str, Any]]) -> Path:
        """Write a run's events as JSON lines under the event spool folder."""
        folder = event_spool_dir(self.data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{execution_id}.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, default=str, separators=(",", ":")) + "\n")
        return path
