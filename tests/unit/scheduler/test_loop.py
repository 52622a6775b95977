"""The scheduler loop on a real store with an injected clock: slots fire once, windows chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sluice.api.runtime import Runtime, open_runtime
from sluice.config import Settings
from sluice.engine.lifecycle import set_status
from sluice.scheduler.loop import Scheduler
from sluice.service.context import Caller
from sluice.store.models import ExecutionRecord, Flow

MINUTE = 60.0


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    rt = open_runtime(Settings(data_dir=tmp_path, access_key_id="AKIDSCHED", secret_access_key="s", workers=0))
    yield rt
    rt.store.engine.dispose()


def caller(rt: Runtime) -> Caller:
    return Caller(rt.default_keys.account_id, "us-east-1", f"arn:aws:iam::{rt.default_keys.account_id}:root")


def scheduled_flow(name: str, **scheduled: Any) -> dict[str, Any]:
    return {
        "flowName": name,
        "triggerConfig": {"triggerType": "Scheduled", "triggerProperties": {"Scheduled": {
            "scheduleExpression": "rate(5minutes)", **scheduled}}},
        "sourceFlowConfig": {"connectorType": "S3",
                             "sourceConnectorProperties": {"S3": {"bucketName": "in", "bucketPrefix": "p"}}},
        "destinationFlowConfigList": [{"connectorType": "S3",
                                       "destinationConnectorProperties": {"S3": {"bucketName": "out"}}}],
        "tasks": [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"}}],
    }


def activate(rt: Runtime, name: str, start: float, **scheduled: Any) -> None:
    rt.services.flows.create_flow(caller(rt), scheduled_flow(name, scheduleStartTime=start, **scheduled))
    rt.services.flows.start_flow(caller(rt), {"flowName": name})


def records(rt: Runtime, name: str) -> list[ExecutionRecord]:
    with rt.store.admin() as session:
        flow = session.scalars(select(Flow).where(Flow.name == name)).one()
        return list(session.scalars(select(ExecutionRecord).where(ExecutionRecord.flow_id == flow.id)
                                    .order_by(ExecutionRecord.id)))


def finish(rt: Runtime, execution_id: str, status: str, message: str | None = None) -> None:
    with rt.store.admin() as session:
        record = session.scalars(select(ExecutionRecord).where(ExecutionRecord.execution_id == execution_id)).one()
        set_status(session, record, status, message)


def flow_row(rt: Runtime, name: str) -> Flow:
    with rt.store.admin() as session:
        return session.scalars(select(Flow).where(Flow.name == name)).one()


def test_slots_fire_once_and_windows_chain(runtime: Runtime) -> None:
    start = 1_900_000_000.0  # in the future, so activation does not fire at once
    activate(runtime, "chain", start, firstExecutionFrom=start - 3600)
    scheduler = Scheduler(runtime.store, submit=lambda _: None)
    assert scheduler.tick(start - 1) == []
    first = scheduler.tick(start)
    assert len(first) == 1
    assert scheduler.tick(start + 1) == []  # same slot: never twice
    run = records(runtime, "chain")[0]
    assert (run.data_pull_start_time, run.data_pull_end_time, run.scheduled_for) == (start - 3600, start, start)
    # The next slot while the first run is still going: held back, windows must not overlap.
    assert scheduler.tick(start + 5 * MINUTE) == []
    finish(runtime, first[0], "Successful")
    assert flow_row(runtime, "chain").watermark == start
    second = scheduler.tick(start + 5 * MINUTE + 2)
    assert len(second) == 1
    run = records(runtime, "chain")[1]
    assert (run.data_pull_start_time, run.data_pull_end_time) == (start, start + 5 * MINUTE)


def test_catch_up_is_one_run_covering_every_missed_slot(runtime: Runtime) -> None:
    start = 1_900_000_000.0
    activate(runtime, "catchup", start)
    scheduler = Scheduler(runtime.store, submit=lambda _: None)
    finish(runtime, scheduler.tick(start)[0], "Successful")
    later = start + 60 * MINUTE + 30  # twelve slots missed while the server was down
    assert len(scheduler.tick(later)) == 1
    run = records(runtime, "catchup")[-1]
    assert (run.data_pull_start_time, run.data_pull_end_time) == (start, start + 60 * MINUTE)
    assert flow_row(runtime, "catchup").next_fire_at == start + 65 * MINUTE
    assert scheduler.tick(later + 1) == []


def test_failures_deactivate_after_the_threshold(runtime: Runtime) -> None:
    start = 1_900_000_000.0
    activate(runtime, "flaky", start, flowErrorDeactivationThreshold=2)
    scheduler = Scheduler(runtime.store, submit=lambda _: None)
    finish(runtime, scheduler.tick(start)[0], "Error", "source gone")
    assert flow_row(runtime, "flaky").status == "Active"
    failed = scheduler.tick(start + 5 * MINUTE)
    run = records(runtime, "flaky")[-1]
    assert run.data_pull_start_time is None  # the watermark did not move on failure
    finish(runtime, failed[0], "Error", "source gone")
    flow = flow_row(runtime, "flaky")
    assert flow.status == "Suspended" and flow.next_fire_at is None
    assert "2 consecutive failed runs" in (flow.status_message or "")
    described = runtime.services.flows.describe_flow(caller(runtime), {"flowName": "flaky"})
    assert described["flowStatus"] == "Suspended" and "source gone" in described["flowStatusMessage"]
    assert scheduler.tick(start + 10 * MINUTE) == []


def test_stopped_and_ended_schedules_do_not_fire(runtime: Runtime) -> None:
    start = 1_900_000_000.0
    activate(runtime, "stopped", start)
    runtime.services.flows.stop_flow(caller(runtime), {"flowName": "stopped"})
    activate(runtime, "ending", start, scheduleEndTime=start + 7 * MINUTE)
    scheduler = Scheduler(runtime.store, submit=lambda _: None)
    fired = scheduler.tick(start)
    assert len(fired) == 1 and records(runtime, "stopped") == []
    finish(runtime, fired[0], "Successful")
    assert len(scheduler.tick(start + 5 * MINUTE)) == 1
    assert flow_row(runtime, "ending").next_fire_at is None  # start + 10 min is past the end


def test_how_late_a_slot_fired_is_measured(runtime: Runtime) -> None:
    from sluice.engine.metrics import SCHEDULER_LAG

    def observed() -> tuple[float, float]:
        samples = {s.name: s.value for metric in SCHEDULER_LAG.collect() for s in metric.samples}
        return samples["sluice_scheduler_lag_seconds_count"], samples["sluice_scheduler_lag_seconds_sum"]

    start = 1_900_000_000.0
    activate(runtime, "lag", start)
    scheduler = Scheduler(runtime.store, submit=lambda _: None)
    count, total = observed()
    assert len(scheduler.tick(start + 7.5)) == 1  # the slot at `start`, fired 7.5 s late
    assert observed() == (count + 1, total + 7.5)
