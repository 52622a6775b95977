"""Two schedulers on one PostgreSQL, ticking at the same instants: every slot runs exactly once.

This is what several `sluice serve` processes sharing one database do; threads stand in for the
processes (each scheduler has its own connections), and an injected clock plays 15 minutes of
`rate(1minutes)` schedules in a second.
"""

from __future__ import annotations

import threading
from collections import Counter
from itertools import pairwise
from pathlib import Path

from sqlalchemy import select

from sluice.api.runtime import open_runtime
from sluice.config import Settings
from sluice.engine.lifecycle import set_status
from sluice.scheduler.loop import Scheduler
from sluice.store.models import ExecutionRecord, Flow
from tests.unit.scheduler.test_loop import caller, scheduled_flow

FLOWS = 40
MINUTES = 15


def test_each_slot_runs_once_with_two_schedulers(tmp_path: Path, postgres) -> None:
    url = postgres.create_database()
    settings = Settings(data_dir=tmp_path, database_url=url, access_key_id="AKIDTWO", secret_access_key="s",
                        workers=0)
    first, second = open_runtime(settings), open_runtime(settings)
    start = 1_900_000_020.0
    for index in range(FLOWS):
        name = f"every-minute-{index}"
        request = scheduled_flow(name, scheduleStartTime=start)
        request["triggerConfig"]["triggerProperties"]["Scheduled"]["scheduleExpression"] = "rate(1minutes)"
        first.services.flows.create_flow(caller(first), request)
        first.services.flows.start_flow(caller(first), {"flowName": name})
    schedulers = [Scheduler(rt.store, submit=lambda _: None) for rt in (first, second)]
    fired: list[list[str]] = [[], []]
    for minute in range(MINUTES):
        now = start + minute * 60 + 0.5
        barrier = threading.Barrier(2)

        def tick(i: int, at: float = now, gate: threading.Barrier = barrier) -> None:
            gate.wait()
            fired[i].extend(schedulers[i].tick(at))

        threads = [threading.Thread(target=tick, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with first.store.admin() as session:  # the runs finish before the next slot
            for record in session.scalars(select(ExecutionRecord).where(ExecutionRecord.status == "InProgress")):
                set_status(session, record, "Successful")
    with first.store.admin() as session:
        rows = session.execute(select(Flow.name, ExecutionRecord.scheduled_for, ExecutionRecord.data_pull_start_time,
                                      ExecutionRecord.data_pull_end_time)
                               .join(Flow, Flow.id == ExecutionRecord.flow_id)).all()
    per_slot = Counter((name, slot) for name, slot, _, _ in rows)
    assert set(per_slot.values()) == {1}, "a slot ran twice"
    assert len(per_slot) == FLOWS * MINUTES, "a slot was missed"
    assert fired[0] and fired[1], "both schedulers took part"
    by_flow: dict[str, list[tuple[float, float]]] = {}
    for name, _, lower, upper in sorted(rows, key=lambda r: (r[0], r[1])):
        by_flow.setdefault(name, []).append((lower, upper))
    for windows in by_flow.values():  # each window starts where the previous one ended
        assert all(prev[1] == nxt[0] for prev, nxt in pairwise(windows))
    for rt in (first, second):
        rt.store.engine.dispose()
