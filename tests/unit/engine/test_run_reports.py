"""engine/run_reports.py: the event's AppFlow shape, and whose identity signs it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from sluice.api.runtime import Runtime
from sluice.connectors.base import ConnectorError
from sluice.engine import run_reports
from sluice.engine.lifecycle import set_status
from sluice.service.context import Caller
from sluice.settings import ObservabilitySettings, ProcessSettings, use
from sluice.store import accounts
from sluice.store.models import ExecutionRecord, Flow
from tests.support.stores import local_runtime

FLOW = {
    "triggerConfig": {"triggerType": "OnDemand"},
    "sourceFlowConfig": {"connectorType": "S3", "sourceConnectorProperties": {"S3": {"bucketName": "in",
                                                                                    "bucketPrefix": "raw/"}}},
    "destinationFlowConfigList": [{"connectorType": "S3",
                                   "destinationConnectorProperties": {"S3": {"bucketName": "out"}}}],
    "tasks": [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"}}],
}


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    with local_runtime(tmp_path) as opened:
        yield opened


def ended_run(rt: Runtime, account_id: str, status: str, message: str | None = None) -> str:
    caller = Caller(account_id, "us-east-1", f"arn:aws:iam::{account_id}:root")
    rt.services.flows.create_flow(caller, {"flowName": "reported", **FLOW})
    execution_id = str(rt.services.flows.start_flow(caller, {"flowName": "reported"})["executionId"])
    with rt.store.admin() as session:
        record = session.scalars(select(ExecutionRecord).where(ExecutionRecord.execution_id == execution_id)).one()
        record.scheduled_for, record.data_pull_start_time, record.data_pull_end_time = 1.0, 1000.5, 2000.25
        set_status(session, record, status, message, recordsProcessed=7, bytesProcessed=70)
    return execution_id


def event_of(rt: Runtime, execution_id: str) -> dict:
    with rt.store.admin() as session:
        record = session.scalars(select(ExecutionRecord).where(ExecutionRecord.execution_id == execution_id)).one()
        flow = session.get(Flow, record.flow_id)
        assert flow is not None
        return run_reports.build_event(flow, record)


def test_a_failed_scheduled_run_reports_its_error_and_window(runtime: Runtime) -> None:
    execution_id = ended_run(runtime, runtime.default_keys.account_id, "Error", "the source bucket is gone")
    event = event_of(runtime, execution_id)
    detail = event["detail"]
    assert (event["source"], event["detail-type"]) == ("aws.appflow", "AppFlow End Flow Run Report")
    assert event["account"] == runtime.default_keys.account_id and event["resources"] == [detail["flow-arn"]]
    assert detail["status"] == "Execution Failed"
    assert detail["error"] == "the source bucket is gone"
    assert (detail["num-of-records-processed"], detail["data-processed"]) == ("7", "70")
    assert detail["source-object"] == "s3://in/raw" and detail["destination-object"] == "s3://out"
    assert detail["incremental-transfer-time-range"] == {
        "start-time": "1970-01-01T00:16:40.500Z[UTC]", "end-time": "1970-01-01T00:33:20.250Z[UTC]",
    }


def test_a_canceled_run_says_so(runtime: Runtime) -> None:
    execution_id = ended_run(runtime, runtime.default_keys.account_id, "Canceled", "The run was canceled.")
    assert event_of(runtime, execution_id)["detail"]["status"] == "Execution Canceled"


def test_another_account_never_signs_with_the_servers_identity(runtime: Runtime) -> None:
    other = accounts.create_account(runtime.store, "tenant")
    execution_id = ended_run(runtime, runtime.default_keys.account_id, "Successful")
    # Put as the tenant, which has no `sluice accounts aws` identity: refused, never the server's keys.
    with pytest.raises(ConnectorError, match="no AWS identity configured"):
        run_reports.put_event(runtime.store, other.account_id, "us-east-1", event_of(runtime, execution_id))


def test_a_failing_report_is_a_warning_not_an_exception(runtime: Runtime, tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    execution_id = ended_run(runtime, runtime.default_keys.account_id, "Successful")
    settings = ProcessSettings(data_dir=str(tmp_path), observability=ObservabilitySettings(eventbridge=True))

    def broken(*args: object) -> None:
        raise RuntimeError("the pool is gone")

    with use(settings), caplog.at_level(logging.WARNING), pytest.MonkeyPatch.context() as patch:
        patch.setattr(run_reports, "_submit", broken)
        run_reports.run_finished(runtime.store, execution_id)
    assert "could not be prepared" in caplog.text
