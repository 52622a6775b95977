"""The executor's bookkeeping around an event run's spooled events, on a real store.

A kill is injected where the spool is deleted: the run's outcome must already be committed
then, so a delivered run stays `Successful` after the restart (and recovery removes the file).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from sluice.api.runtime import Runtime
from sluice.engine import executor as executor_module
from sluice.engine.event_source import event_spool_dir
from sluice.engine.executor import LocalExecutor
from sluice.engine.runner import RunOutcome
from sluice.service.context import Caller
from sluice.store.models import ExecutionRecord
from tests.support.stores import local_runtime


class Killed(BaseException):
    """Stands for SIGKILL: nothing after the raise point runs, no `except Exception` catches it."""


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    with local_runtime(tmp_path) as opened:
        yield opened


def queued_event_run(rt: Runtime) -> tuple[str, Path]:
    """An InProgress run whose events wait in the spool, as a subscriber leaves it."""
    caller = Caller(rt.default_keys.account_id, "us-east-1", f"arn:aws:iam::{rt.default_keys.account_id}:root")
    rt.services.flows.create_flow(caller, {
        "flowName": "ev", "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": "S3", "sourceConnectorProperties": {"S3": {"bucketName": "in"}}},
        "destinationFlowConfigList": [{"connectorType": "S3",
                                       "destinationConnectorProperties": {"S3": {"bucketName": "out"}}}],
        "tasks": [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"}}],
    })
    execution_id = rt.services.flows.start_flow(caller, {"flowName": "ev"})["executionId"]
    folder = event_spool_dir(str(rt.settings.data_dir))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{execution_id}.jsonl"
    path.write_text('{"Id":"001A","Name":"x"}\n')
    with rt.store.admin() as session:
        record = session.scalars(select(ExecutionRecord).where(ExecutionRecord.execution_id == execution_id)).one()
        record.event_batch = str(path)
    return execution_id, path


def status(rt: Runtime, execution_id: str) -> str:
    with rt.store.admin() as session:
        return session.scalars(select(ExecutionRecord.status)
                               .where(ExecutionRecord.execution_id == execution_id)).one()


def test_a_kill_at_the_spool_delete_leaves_a_delivered_run_successful(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    execution_id, path = queued_event_run(runtime)
    seen: list[str] = []

    def killed_while_deleting(spooled: str) -> None:
        seen.append(status(runtime, execution_id))  # what any other process sees at that instant
        raise Killed

    assert runtime.executor.leases.claim(execution_id)  # a worker of this server runs it
    monkeypatch.setattr(executor_module, "drop_event_batch", killed_while_deleting)
    outcome = RunOutcome(result={"recordsProcessed": 1}, data_pull_start_time=0.0, data_pull_end_time=1.0)
    with pytest.raises(Killed):
        runtime.executor._finish(execution_id, "Successful", None, outcome)
    assert seen == ["Successful"]
    assert path.exists()

    monkeypatch.undo()
    LocalExecutor(runtime.store, 0, str(runtime.settings.data_dir)).recover_once()  # the restart
    assert status(runtime, execution_id) == "Successful"
    assert not path.exists()  # the finished run's leftover spool is gone


def test_recovery_keeps_the_spool_of_a_run_that_has_not_ended(runtime: Runtime) -> None:
    execution_id, path = queued_event_run(runtime)
    LocalExecutor(runtime.store, 0, str(runtime.settings.data_dir)).recover_once()
    assert status(runtime, execution_id) == "InProgress"
    assert path.exists()
