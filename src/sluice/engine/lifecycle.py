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
    if flow is not None and (newest is None or record.id >= newest):
        details: dict[str, Any] = {"mostRecentExecutionTime": stamp, "mostRecentExecutionStatus": status}
        if message is not None:
            details["mostRecentExecutionMessage"] = message
        flow.last_run = details
