"""Execution records and cancellation (service layer).

`DescribeFlowExecutionRecords` lists a flow's runs newest first. `CancelFlowExecutions`
flags runs in progress: a run no worker has started yet is `Canceled` at once; a running one
goes to `CancelStarted` and its worker ends it `Canceled`. Ids that are unknown or not in
progress come back in `invalidExecutions`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sluice.engine import run_reports
from sluice.engine.lifecycle import set_status
from sluice.service.common import to_datetime
from sluice.service.context import Caller
from sluice.service.errors import ResourceNotFoundException
from sluice.service.flows import RUNNING, get_flow
from sluice.service.pagination import Paginator
from sluice.store.models import ExecutionRecord
from sluice.store.repository import Scoped, Store


def describe(record: ExecutionRecord, flow_name: str) -> dict[str, Any]:
    """An execution as AppFlow's `ExecutionRecord` shape, plus the `sluiceRunDetails` extension."""
    return {
        "executionId": record.execution_id,
        "executionStatus": record.status,
        "executionResult": live_result(record),
        "startedAt": to_datetime(record.started_at),
        "lastUpdatedAt": to_datetime(record.last_updated_at),
        "dataPullStartTime": to_datetime(record.data_pull_start_time),
        "dataPullEndTime": to_datetime(record.data_pull_end_time),
        "metadataCatalogDetails": record.metadata_catalog_details,
        "sluiceRunDetails": run_details(record, flow_name),
    }


def live_result(record: ExecutionRecord) -> dict[str, Any]:
    """`executionResult`; while the run goes, with the records and bytes it processed so far."""
    result = dict(record.result or {})
    if record.status in RUNNING and record.run_details:
        result["recordsProcessed"] = record.run_details.get("recordsProcessed", 0)
        result["bytesProcessed"] = record.run_details.get("bytesProcessed", 0)
    return result


def run_details(record: ExecutionRecord, flow_name: str) -> dict[str, Any]:
    """The `sluiceRunDetails` object (docs/engine.md): status, counts, per stage and per task."""
    result = live_result(record)
    details = record.run_details or {}
    message = (result.get("errorInfo") or {}).get("executionMessage")
    return {
        "flowName": flow_name,
        "executionStatus": record.status,
        "startedAt": record.started_at,
        "lastUpdatedAt": record.last_updated_at,
        "recordsProcessed": result.get("recordsProcessed", 0),
        "bytesProcessed": result.get("bytesProcessed", 0),
        "errorMessage": message if record.status != "Successful" else None,
        "source": details.get("source"),
        "tasks": details.get("tasks", []),
        "destinations": details.get("destinations", []),
    }


def _execution(tx: Scoped, flow_name: str, execution_id: str) -> ExecutionRecord:
    flow = get_flow(tx, flow_name)
    found = tx.executions_by_id(flow, [execution_id])
    if not found:
        raise ResourceNotFoundException(f"The execution {execution_id} of flow {flow_name} does not exist.")
    return found[0]


class Executions:
    """DescribeFlowExecutionRecords and CancelFlowExecutions."""

    def __init__(self, store: Store, paginator: Paginator, request_cancel: Callable[[str], None]) -> None:
        self.store = store
        self.paginator = paginator
        self.request_cancel = request_cancel

    def describe_flow_execution_records(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """The flow's execution records, newest first, paginated."""
        name = params["flowName"]
        limit = params.get("maxResults") or 100
        with self.store.scoped(caller.account_id, caller.region) as tx:
            flow = get_flow(tx, name)
            after = self.paginator.read(caller, "DescribeFlowExecutionRecords", params.get("nextToken"), name)
            rows, cursor = tx.executions(flow, after, limit)
            records = [describe(row, name) for row in rows]
        return {
            "flowExecutions": records,
            "nextToken": self.paginator.mint(caller, "DescribeFlowExecutionRecords", cursor, name),
        }

    def run(self, caller: Caller, flow_name: str, execution_id: str) -> dict[str, Any]:
        """The /sluice/v1 run resource: `run_details` with the execution id; 404 when unknown."""
        with self.store.scoped(caller.account_id, caller.region) as tx:
            record = _execution(tx, flow_name, execution_id)
            return {"executionId": record.execution_id, **run_details(record, flow_name)}

    def run_events(self, caller: Caller, flow_name: str, execution_id: str, after: int, limit: int) -> dict[str, Any]:
        """The run's log after event `after`, oldest first (`finished` once the run ended)."""
        with self.store.scoped(caller.account_id, caller.region) as tx:
            record = _execution(tx, flow_name, execution_id)
            # Read the status first: a run that ended stored its last events with its status.
            finished = record.status not in RUNNING
            events = tx.run_events(record, after, limit)
            more = len(events) == limit
        return {
            "events": [e.as_json() for e in events],
            "nextAfter": events[-1].seq if events else after,
            "finished": finished and not more,
        }

    def cancel_flow_executions(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        """Cancel the named runs, or every run in progress when no ids are given."""
        ids = params.get("executionIds")
        signalled: list[str] = []
        ended: list[str] = []
        with self.store.scoped(caller.account_id, caller.region) as tx:
            flow = get_flow(tx, params["flowName"])
            if ids:
                found = {r.execution_id: r for r in tx.executions_by_id(flow, ids)}
                invalid = [i for i in ids if i not in found or found[i].status not in RUNNING]
                targets = [found[i] for i in ids if i not in invalid]
            else:
                invalid = []
                targets = tx.executions_in_status(flow, RUNNING)
            for record in targets:
                if record.status != "InProgress":
                    continue  # already being canceled
                record.cancel_requested = True
                if record.lease_owner is None:
                    set_status(tx.session, record, "Canceled", "The run was canceled before it started.")
                    ended.append(record.execution_id)
                else:
                    set_status(tx.session, record, "CancelStarted")
                    signalled.append(record.execution_id)
        for execution_id in signalled:
            self.request_cancel(execution_id)
        for execution_id in ended:  # committed: report them like runs that ended in a worker
            run_reports.run_finished(self.store, execution_id)
        return {"invalidExecutions": invalid}
