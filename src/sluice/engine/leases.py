"""Run leases: which server process holds a run, for how long (engine layer).

A worker claims a queued run by writing its server's node id (random, new at every process
start) into `lease_owner` and an expiry into `lease_expires_at`, in one conditional `UPDATE`,
so several servers can share one database. A heartbeat renews every lease of the node each
`seconds / 6`; a server that dies (or hangs, or loses its database) stops renewing, and once the
lease has lapsed any server - including a restarted one on the same data dir - may take the run
over and recover it (`engine/recovery.py`). Nothing depends on host names or process ids, which
a container restart changes or recycles.

`SLUICE_RUN_LEASE_SECONDS` sets the lease (default 30 s).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from sqlalchemy import select, update

from sluice.settings import current
from sluice.store.models import ExecutionRecord
from sluice.store.repository import Store

LEASE_ENV = "SLUICE_RUN_LEASE_SECONDS"
# Statuses of a run a worker is (or should be) executing.
RUNNING = ("InProgress", "CancelStarted")


def lease_seconds() -> float:
    """The run lease from `SLUICE_RUN_LEASE_SECONDS` (at least one second; sluice/settings.py)."""
    return current().run_lease_seconds


def new_node_id() -> str:
    """A fresh identity for this server process: never reused, unlike a PID."""
    return f"node-{uuid.uuid4().hex}"


class RunLeases:
    """The leases one server process (`node`) takes, renews and takes over."""

    def __init__(self, store: Store, node: str | None = None, seconds: float | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.node = node or new_node_id()
        self.seconds = seconds if seconds is not None else lease_seconds()
        self.clock = clock

    @property
    def heartbeat_interval(self) -> float:
        """How often the owner renews: six chances before the lease lapses."""
        return self.seconds / 6

    def claim(self, execution_id: str) -> bool:
        """Take a queued run (no owner yet); False when another worker was first."""
        with self.store.admin() as session:
            claimed = session.execute(
                update(ExecutionRecord)
                .where(ExecutionRecord.execution_id == execution_id, ExecutionRecord.status == "InProgress",
                       ExecutionRecord.lease_owner.is_(None))
                .values(lease_owner=self.node, lease_expires_at=self.clock() + self.seconds)
            )
            return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]

    def renew(self) -> int:
        """Extend every lease this node holds; returns how many."""
        with self.store.admin() as session:
            renewed = session.execute(
                update(ExecutionRecord)
                .where(ExecutionRecord.lease_owner == self.node, ExecutionRecord.status.in_(RUNNING))
                .values(lease_expires_at=self.clock() + self.seconds)
            )
            return int(renewed.rowcount)  # type: ignore[attr-defined]

    def holds(self, execution_id: str) -> bool:
        """Whether this node still owns the run (it may have lapsed and been taken over)."""
        with self.store.admin() as session:
            owner = session.scalar(
                select(ExecutionRecord.lease_owner).where(ExecutionRecord.execution_id == execution_id)
            )
        return owner == self.node

    def expired(self) -> list[str]:
        """Runs whose owner stopped renewing: candidates for `take_over`."""
        with self.store.admin() as session:
            return list(session.scalars(
                select(ExecutionRecord.execution_id)
                .where(ExecutionRecord.status.in_(RUNNING), ExecutionRecord.lease_owner.is_not(None),
                       ExecutionRecord.lease_expires_at < self.clock())
                .order_by(ExecutionRecord.id)
            ))

    def take_over(self, execution_id: str) -> bool:
        """Make an expired lease ours, atomically; False when it was renewed or taken meanwhile."""
        now = self.clock()
        with self.store.admin() as session:
            taken = session.execute(
                update(ExecutionRecord)
                .where(ExecutionRecord.execution_id == execution_id, ExecutionRecord.status.in_(RUNNING),
                       ExecutionRecord.lease_owner.is_not(None), ExecutionRecord.lease_expires_at < now)
                .values(lease_owner=self.node, lease_expires_at=now + self.seconds)
            )
            return bool(taken.rowcount == 1)  # type: ignore[attr-defined]
