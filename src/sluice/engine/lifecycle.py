"""Execution-record state changes shared by the service and the executor (engine layer).

AppFlow's `ExecutionStatus` values: `InProgress` -> `Successful` | `Error`, and
`InProgress` -> `CancelStarted` -> `Canceled`. Every change also refreshes the flow's
`lastRunExecutionDetails`, so `DescribeFlow` and the records never disagree.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sluice.store.models import ExecutionRecord, Flow

TERMINAL = frozenset({"Successful", "Error", "Canceled"})


def set_status(
    session: Session, record: ExecutionRecord, status: str, message: str | None = None, **result: Any
) -> None:
    """Move `record` to `status`, merge `result` members, and mirror it on the flow."""
    stamp = time.time()
    record.status = status
    record.last_updated_at = stamp
    merged = dict(record.result or {})
    merged.update({k: v for k, v in result.items() if v is not None})
    if message is not None:
        error_info = dict(merged.get("errorInfo") or {})
        error_info["executionMessage"] = message
        error_info.setdefault("putFailuresCount", 0)
        merged["errorInfo"] = error_info
    record.result = merged
    flow = session.get(Flow, record.flow_id)
    newest = session.scalar(select(func.max(ExecutionRecord.id)).where(ExecutionRecord.flow_id == record.flow_id))
    # Only the flow's newest run speaks for it: canceling an older run must not hide a newer one.
    if flow is not None and status in TERMINAL and record.scheduled_for is not None:
        _after_scheduled_run(flow, record, status, message)
    if flow is not None and (newest is None or record.id >= newest):
        details: dict[str, Any] = {"mostRecentExecutionTime": stamp, "mostRecentExecutionStatus": status}
        if message is not None:
            details["mostRecentExecutionMessage"] = message
        flow.last_run = details


def _after_scheduled_run(flow: Flow, record: ExecutionRecord, status: str, message: str | None) -> None:
    """A scheduled run ended: advance the watermark or count the failure, in the same transaction.

    The watermark moves only when a run succeeds, to the end of the window it read, so the next
    window starts exactly where this one ended. `flowErrorDeactivationThreshold` consecutive
    failures suspend the flow with the reason in `flowStatusMessage`.
    """
    if status == "Successful":
        if record.data_pull_end_time is not None:
            flow.watermark = record.data_pull_end_time
        flow.consecutive_failures = 0
        return
    if status != "Error":
        return
    flow.consecutive_failures = (flow.consecutive_failures or 0) + 1
    scheduled = ((flow.config.get("triggerConfig") or {}).get("triggerProperties") or {}).get("Scheduled") or {}
    threshold = scheduled.get("flowErrorDeactivationThreshold")
    if threshold and flow.consecutive_failures >= int(threshold) and flow.status == "Active":
        flow.status = "Suspended"
        flow.next_fire_at = None
        flow.status_message = (
            f"Deactivated after {flow.consecutive_failures} consecutive failed runs "
            f"(flowErrorDeactivationThreshold {threshold}); last error: {message or 'unknown'}"
        )
