"""Runs over signed boto3: StartFlow, CancelFlowExecutions, DescribeFlowExecutionRecords, StopFlow.

The module's server has no run workers, so every run StartFlow queues stays `InProgress` until
a test cancels it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from tests.integration.builders import raises, s3_flow, unchecked_client, unique

pytestmark = pytest.mark.usefixtures("server_log_stays_clean")


def on_demand_flow(appflow) -> str:
    name = unique("run")
    appflow.create_flow(**s3_flow(name))
    return name


def records(appflow, name):
    return appflow.describe_flow_execution_records(flowName=name)["flowExecutions"]


def test_start_on_demand_queues_an_in_progress_run(appflow):
    name = on_demand_flow(appflow)
    started = appflow.start_flow(flowName=name)
    assert started["flowStatus"] == "Active"
    assert started["flowArn"].endswith(f":flow/{name}")
    uuid.UUID(started["executionId"])

    (record,) = records(appflow, name)
    assert record["executionId"] == started["executionId"]
    assert record["executionStatus"] == "InProgress"
    assert isinstance(record["startedAt"], datetime)
    assert record["lastUpdatedAt"] >= record["startedAt"]
    assert record["executionResult"]["recordsProcessed"] == 0

    last = appflow.describe_flow(flowName=name)["lastRunExecutionDetails"]
    assert last["mostRecentExecutionStatus"] == "InProgress"
    assert last["mostRecentExecutionTime"] == record["startedAt"]
    (summary,) = [f for f in appflow.list_flows()["flows"] if f["flowName"] == name]
    assert summary["lastRunExecutionDetails"]["mostRecentExecutionStatus"] == "InProgress"


def test_records_are_newest_first_and_paginated(server, appflow):
    name = on_demand_flow(appflow)
    ids = [appflow.start_flow(flowName=name)["executionId"] for _ in range(5)]

    assert [r["executionId"] for r in records(appflow, name)] == ids[::-1]
    seen: list[str] = []
    kwargs = {"flowName": name, "maxResults": 2}
    pages = 0
    while True:
        page = appflow.describe_flow_execution_records(**kwargs)
        pages += 1
        seen += [r["executionId"] for r in page["flowExecutions"]]
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    assert pages == 3
    assert seen == ids[::-1]

    other = on_demand_flow(appflow)
    token = appflow.describe_flow_execution_records(flowName=name, maxResults=1)["nextToken"]
    with raises(appflow, "ValidationException", 400, "nextToken"):
        appflow.describe_flow_execution_records(flowName=other, nextToken=token)
    with raises(appflow, "ValidationException", 400, "maxResults"):
        unchecked_client(server).describe_flow_execution_records(flowName=name, maxResults=101)
    missing = unique("absent")
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.describe_flow_execution_records(flowName=missing)


def test_cancel_by_ids_reports_unknown_ones(appflow):
    name = on_demand_flow(appflow)
    first, second = (appflow.start_flow(flowName=name)["executionId"] for _ in range(2))
    unknown = str(uuid.uuid4())

    answer = appflow.cancel_flow_executions(flowName=name, executionIds=[first, unknown])
    assert answer["invalidExecutions"] == [unknown]
    status = {r["executionId"]: r["executionStatus"] for r in records(appflow, name)}
    assert status == {first: "Canceled", second: "InProgress"}

    again = appflow.cancel_flow_executions(flowName=name, executionIds=[first])
    assert again["invalidExecutions"] == [first]  # no longer in progress


def test_cancel_all_cancels_every_queued_run(appflow):
    name = on_demand_flow(appflow)
    ids = [appflow.start_flow(flowName=name)["executionId"] for _ in range(3)]

    assert appflow.cancel_flow_executions(flowName=name)["invalidExecutions"] == []
    recs = records(appflow, name)
    assert {r["executionId"] for r in recs} == set(ids)
    assert {r["executionStatus"] for r in recs} == {"Canceled"}
    assert all("cancel" in r["executionResult"]["errorInfo"]["executionMessage"] for r in recs)
    last = appflow.describe_flow(flowName=name)["lastRunExecutionDetails"]
    assert last["mostRecentExecutionStatus"] == "Canceled"
    assert appflow.cancel_flow_executions(flowName=name, executionIds=[])["invalidExecutions"] == []


def test_cancel_errors(server, appflow):
    missing = unique("absent")
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.cancel_flow_executions(flowName=missing)
    name = on_demand_flow(appflow)
    with raises(appflow, "ValidationException", 400, "executionIds"):
        unchecked_client(server).cancel_flow_executions(flowName=name, executionIds=[str(i) for i in range(101)])


def test_last_run_details_follow_the_newest_run(appflow):
    name = on_demand_flow(appflow)
    older = appflow.start_flow(flowName=name)["executionId"]
    newer = appflow.start_flow(flowName=name)["executionId"]
    appflow.cancel_flow_executions(flowName=name, executionIds=[newer])
    last = appflow.describe_flow(flowName=name)["lastRunExecutionDetails"]
    assert last["mostRecentExecutionStatus"] == "Canceled"
    assert "cancel" in last["mostRecentExecutionMessage"]
    assert {r["executionId"]: r["executionStatus"] for r in records(appflow, name)}[older] == "InProgress"


def test_delete_with_runs_in_progress_needs_force(appflow):
    name = on_demand_flow(appflow)
    appflow.start_flow(flowName=name)
    with raises(appflow, "ConflictException", 409, name, "in progress", "forceDelete"):
        appflow.delete_flow(flowName=name)
    assert appflow.describe_flow(flowName=name)["flowName"] == name

    appflow.delete_flow(flowName=name, forceDelete=True)
    with raises(appflow, "ResourceNotFoundException", 404, name):
        appflow.describe_flow(flowName=name)


def test_delete_after_runs_are_canceled_needs_no_force(appflow):
    name = on_demand_flow(appflow)
    appflow.start_flow(flowName=name)
    appflow.cancel_flow_executions(flowName=name)
    appflow.delete_flow(flowName=name)
    with raises(appflow, "ResourceNotFoundException", 404, name):
        appflow.describe_flow_execution_records(flowName=name)


def test_start_and_stop_errors(appflow):
    name = on_demand_flow(appflow)
    with raises(appflow, "UnsupportedOperationException", 400, name):
        appflow.stop_flow(flowName=name)
    missing = unique("absent")
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.start_flow(flowName=missing)
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.stop_flow(flowName=missing)


def test_canceling_an_older_run_leaves_the_newest_as_last_run(appflow):
    name = on_demand_flow(appflow)
    older = appflow.start_flow(flowName=name)["executionId"]
    appflow.start_flow(flowName=name)
    appflow.cancel_flow_executions(flowName=name, executionIds=[older])
    last = appflow.describe_flow(flowName=name)["lastRunExecutionDetails"]
    newest = records(appflow, name)[0]
    assert newest["executionStatus"] == "InProgress"
    assert last["mostRecentExecutionStatus"] == "InProgress"
