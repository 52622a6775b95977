"""Two real `sluice serve` processes on one PostgreSQL run every schedule slot at most once.

Both servers share the database and the data dir (the embedded S3 folder and `master.key`;
nothing else in the data dir is per-process: SQLite is unused with a PostgreSQL URL and
`server.log` is opened for appending). Their schedulers run on one accelerated clock
(SLUICE_SCHEDULER_SPEEDUP=60 from a shared SLUICE_SCHEDULER_EPOCH), so ~30 real seconds play
~30 minutes of `rate(1minutes)` schedules for FLOWS flows, with each scheduler ticking every 50 ms.

Not every slot can be guaranteed a run of its own: with one worker per server, a flow whose
previous run is still queued or running when its next slot comes due is not started again (windows
must never overlap); it fires once that run ends, and the run then stands for the latest missed
slot (the skipped slot is merged into it). On a slow or loaded machine a few slots merge this way,
hence the MIN_SLOT_SHARE bound rather than 100 %. A slot running twice is never acceptable.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from sluice.store.db import open_engine
from sluice.store.models import ExecutionRecord, Flow
from tests.integration.builders import unique
from tests.integration.test_runs_s3 import MAP_ALL
from tests.support.server import SluiceServer

FLOWS = 10
SPEEDUP = 60.0
RUN_SECONDS = 30.0  # real seconds of scheduling, about 30 virtual minutes
MIN_SLOT_SHARE = 0.8
RUNNING = ("InProgress", "CancelStarted")


def test_two_server_processes_run_each_slot_once(tmp_path: Path, postgres) -> None:
    url = postgres.create_database()
    data_dir = tmp_path / "shared-data"
    epoch = time.time()

    def virtual_now() -> float:
        return epoch + (time.time() - epoch) * SPEEDUP

    env = {"SLUICE_SCHEDULER_SPEEDUP": str(SPEEDUP), "SLUICE_SCHEDULER_EPOCH": repr(epoch)}
    servers = [SluiceServer(data_dir=data_dir, database_url=url, workers=1, extra_env=env) for _ in range(2)]
    engine = open_engine(url)
    try:
        for server in servers:  # one after the other: the first one migrates the fresh database
            server.start()
        client = servers[0].client()
        source, destination = unique("src"), unique("dst")
        (data_dir / "s3" / source / "in").mkdir(parents=True)
        (data_dir / "s3" / destination).mkdir(parents=True)
        (data_dir / "s3" / source / "in" / "rows.csv").write_text("id,name\n1,a\n2,b\n")
        names = [unique("every-minute") for _ in range(FLOWS)]
        # The first slot is a couple of real seconds away (StartFlow anchors at real time, which is
        # far behind the virtual clock, so any virtual instant still in the future is accepted).
        start = float(math.ceil(virtual_now() + 180))
        for name in names:
            client.create_flow(
                flowName=name,
                triggerConfig={"triggerType": "Scheduled", "triggerProperties": {"Scheduled": {
                    "scheduleExpression": "rate(1minutes)", "dataPullMode": "Complete",
                    "scheduleStartTime": start}}},
                sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {
                    "S3": {"bucketName": source, "bucketPrefix": "in"}}},
                destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
                    "bucketName": destination, "bucketPrefix": name,
                    "s3OutputFormatConfig": {"fileType": "CSV"}}}}],
                tasks=MAP_ALL,
            )
        for index, name in enumerate(names):  # both servers take API calls
            servers[index % 2].client().start_flow(flowName=name)
        assert virtual_now() < start, "setup took too long: the first slot has already passed"

        time.sleep(max(0.0, (start - virtual_now()) / SPEEDUP) + RUN_SECONDS)
        stopped_at = virtual_now()
        for index, name in enumerate(names):
            servers[index % 2].client().stop_flow(flowName=name)
        stopped_after = virtual_now()
        deadline = time.time() + 20
        with engine.connect() as db:
            while db.scalar(select(ExecutionRecord.id).where(ExecutionRecord.status.in_(RUNNING)).limit(1)):
                assert time.time() < deadline, "runs did not finish after StopFlow"
                time.sleep(0.2)
                db.rollback()
    finally:
        for server in servers:
            server.stop()

    with engine.connect() as db:
        rows = db.execute(
            select(Flow.name, ExecutionRecord.scheduled_for, ExecutionRecord.status, ExecutionRecord.lease_owner,
                   ExecutionRecord.result)
            .join(Flow, Flow.id == ExecutionRecord.flow_id)
        ).all()
    engine.dispose()

    per_slot = Counter((name, slot) for name, slot, *_ in rows)
    twice = {key: n for key, n in per_slot.items() if n > 1}
    assert not twice, f"slots ran more than once: {twice}"
    assert all(slot is not None for _, slot, *_ in rows), "only the scheduler started runs"
    failed = [(name, slot, status, message) for name, slot, status, _, message in rows if status != "Successful"]
    assert not failed, failed
    owners = {owner for *_, owner, _ in rows if owner}
    assert len(owners) == 2, f"runs executed by {owners}, expected both server processes"
    # Slots strictly before StopFlow's first call must have fired; one at the boundary may have.
    slots_per_flow = math.floor((stopped_at - start) / 60) + 1
    expected = FLOWS * slots_per_flow
    allowed_extra = FLOWS * (math.floor((stopped_after - start) / 60) + 1 - slots_per_flow)
    on_grid = all((slot - start) % 60 == 0 for _, slot, *_ in rows)
    assert on_grid, "a run's slot is not on the rate(1minutes) grid"
    assert len(per_slot) <= expected + allowed_extra
    by_pid = Counter(owner for *_, owner, _ in rows if owner)
    print(f"\nslots expected={expected} ran={len(per_slot)} runs={len(rows)} per-process={dict(by_pid)}")
    assert len(per_slot) >= MIN_SLOT_SHARE * expected, (len(per_slot), expected)
