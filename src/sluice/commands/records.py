"""A flow's execution records through DescribeFlowExecutionRecords (CLI layer), and the
/sluice/v1 resources that add per-task counts and the run log to them (contract: issue 15)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sluice.commands.api_client import Api, ApiError, resource_path

TERMINAL = frozenset({"Successful", "Error", "Canceled"})


def records(api: Api, flow: str, page_size: int = 100) -> Iterator[dict[str, Any]]:
    """The flow's execution records, newest first, page by page."""
    params: dict[str, Any] = {"flowName": flow, "maxResults": page_size}
    while True:
        page = api.appflow.describe_flow_execution_records(**params)
        yield from page.get("flowExecutions", [])
        if not page.get("nextToken"):
            return
        params["nextToken"] = page["nextToken"]


def execution(api: Api, flow: str, execution_id: str | None = None) -> dict[str, Any]:
    """One execution record (the newest when `execution_id` is None); ApiError when there is none."""
    for record in records(api, flow):
        if execution_id is None or record.get("executionId") == execution_id:
            return record
    if execution_id is None:
        raise ApiError("ResourceNotFoundException", f"the flow {flow} has not run yet")
    raise ApiError("ResourceNotFoundException", f"the flow {flow} has no execution {execution_id}")


def details(api: Api, flow: str, execution_id: str) -> dict[str, Any] | None:
    """The run's per-task counts (GET /sluice/v1/flows/{flow}/executions/{id}); None when not served."""
    return api.get_json(resource_path("flows", flow, "executions", execution_id))


def events(api: Api, flow: str, execution_id: str, after: int = 0, limit: int = 500) -> dict[str, Any] | None:
    """One page of the run log after sequence number `after`; None when the server keeps no run logs."""
    return api.get_json(resource_path("flows", flow, "executions", execution_id, "events"),
                        {"after": after, "limit": limit})
