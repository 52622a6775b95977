"""A run's bounded event log in the database (store layer).

Each execution record keeps at most `HEAD + TAIL` events: the first `HEAD` (how the run began)
and the newest `TAIL` (how it is going or how it ended). Events in between are deleted as newer
ones arrive; `dropped` tells a reader how many went. Sequence numbers are the run's own, so a
follower asks for events `after` the last one it saw.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sluice.store.models import RunEvent

HEAD = 500
TAIL = 500


@dataclass(frozen=True, slots=True)
class Event:
    """One run event: `level` is info, warning or error; `kind` names what happened."""

    seq: int
    time: float
    level: str
    kind: str
    message: str

    def as_json(self) -> dict[str, object]:
        """The event as the /sluice/v1 events resource answers it."""
        return {"seq": self.seq, "time": self.time, "level": self.level, "kind": self.kind,
                "message": self.message}


def append(session: Session, record_id: int, events: Sequence[Event]) -> None:
    """Store `events` (in seq order) and delete the middle ones beyond the cap."""
    if not events:
        return
    session.add_all(
        RunEvent(record_id=record_id, seq=e.seq, time=e.time, level=e.level, kind=e.kind, message=e.message)
        for e in events
    )
    newest = events[-1].seq
    if newest > HEAD + TAIL:
        session.flush()
        session.execute(
            delete(RunEvent).where(RunEvent.record_id == record_id, RunEvent.seq > HEAD,
                                   RunEvent.seq <= newest - TAIL)
        )


def append_next(session: Session, record_id: int, level: str, kind: str, message: str) -> None:
    """Store one event after the run's last (for outcomes recorded outside the run: recovery)."""
    newest = session.scalar(select(func.max(RunEvent.seq)).where(RunEvent.record_id == record_id)) or 0
    append(session, record_id, [Event(int(newest) + 1, round(time.time(), 3), level, kind, message)])


def read(session: Session, record_id: int, after: int, limit: int) -> list[Event]:
    """Up to `limit` stored events with seq > `after`, oldest first."""
    rows = session.scalars(
        select(RunEvent).where(RunEvent.record_id == record_id, RunEvent.seq > after)
        .order_by(RunEvent.seq).limit(limit)
    )
    return [Event(r.seq, r.time, r.level, r.kind, r.message) for r in rows]


def dropped(session: Session, record_id: int) -> int:
    """How many of the run's events were deleted to keep it within the cap."""
    count, newest = session.execute(
        select(func.count(RunEvent.id), func.max(RunEvent.seq)).where(RunEvent.record_id == record_id)
    ).one()
    return int(newest or 0) - int(count or 0)
