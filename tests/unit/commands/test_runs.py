"""`sluice runs show|logs|cancel|list` against a stubbed server (tests/unit/commands/stub.py)."""

from __future__ import annotations

from typing import Any

from sluice.commands import runs
from tests.unit.commands.stub import Resources, api, args, record

FLOW = "orders@eu"
RUN = "7d2c1f0e-0000-4000-8000-000000000001"
DETAILS: dict[str, Any] = {
    "flowName": FLOW, "executionId": RUN, "executionStatus": "Successful", "startedAt": 1_700_000_000,
    "lastUpdatedAt": 1_700_000_004, "recordsProcessed": 1000, "bytesProcessed": 52_000, "errorMessage": None,
    "source": {"connectorType": "S3", "recordsRead": 1000, "bytesRead": 52_000, "pagesRead": 0, "filesRead": 3},
    "tasks": [
        {"index": 0, "taskType": "Filter", "sourceFields": ["amount"], "destinationField": None, "recordsIn": 1000,
         "recordsOut": 940, "dropped": 60, "rejected": 0, "rules": {}},
        {"index": 1, "taskType": "Validate", "sourceFields": ["email"], "destinationField": None, "recordsIn": 940,
         "recordsOut": 930, "dropped": 0, "rejected": 10, "rules": {"VALIDATE_NON_NULL": 10}},
    ],
    "destinations": [
        {"connectorType": "S3", "recordsWritten": 930, "recordsFailed": 0, "bytesWritten": 40_960},
        {"connectorType": "Snowflake", "recordsWritten": 925, "recordsFailed": 5, "bytesWritten": 0},
    ],
}


def records_answer(*items: dict[str, Any]) -> dict[str, Any]:
    return {"flowExecutions": list(items)}


def test_show_prints_the_record_and_the_per_task_counts(capsys):
    client, stubber, resources = api(Resources(details={RUN: DETAILS}))
    stubber.add_response("describe_flow_execution_records", records_answer(record(RUN, "Successful", 1000, 52_000)),
                         {"flowName": FLOW, "maxResults": 100})
    assert runs.show_run(client, args(flow=FLOW, execution=None)) == 0
    out = capsys.readouterr().out
    assert f"Execution    {RUN}" in out and "Records      1,000" in out and "Duration     4.00s" in out
    assert "Source       S3: 1,000 records, 0 pages, 3 files, 50.8 KB read" in out
    rows = [line.split() for line in out.split("\nTasks\n")[1].split("\nDestinations\n")[0].splitlines()]
    assert rows[0] == ["#", "TYPE", "FIELDS", "IN", "OUT", "DROPPED", "REJECTED", "RULES"]
    assert rows[1] == ["0", "Filter", "amount", "1000", "940", "60", "0", "-"]
    assert rows[2] == ["1", "Validate", "email", "940", "930", "0", "10", "VALIDATE_NON_NULL=10"]
    destinations = [line.split() for line in out.split("\nDestinations\n")[1].splitlines()]
    assert destinations[2] == ["Snowflake", "925", "5", "0", "B"]
    # The flow name is one percent-encoded path segment, and the GET was signed (the stub checks).
    assert resources.requests[0].url.raw_path.decode() == f"/sluice/v1/flows/orders%40eu/executions/{RUN}"


def test_show_without_the_resource_prints_appflows_record(capsys):
    client, stubber, _ = api(Resources(served=False))
    failed = record(RUN, "Error", 0, 0, "The bucket raw does not exist")
    stubber.add_response("describe_flow_execution_records", records_answer(failed),
                         {"flowName": FLOW, "maxResults": 100})
    assert runs.show_run(client, args(flow=FLOW, execution=RUN)) == 0
    out = capsys.readouterr().out
    assert "Status       Error" in out and "Error        The bucket raw does not exist" in out
    assert "no per-task counts" in out and "Tasks" not in out


def test_logs_follow_reads_after_the_last_seq_until_finished(capsys):
    events = [
        {"seq": 1, "time": 1_700_000_000, "level": "info", "kind": "started", "message": "run started"},
        {"seq": 2, "time": 1_700_000_001, "level": "warning", "kind": "warning",
         "message": "the source prefix matched no objects"},
        {"seq": 3, "time": 1_700_000_002, "level": "info", "kind": "finished", "message": "Successful: 0 records"},
    ]
    pages = [
        {"events": events[:2], "nextAfter": 2, "finished": False},
        {"events": [], "nextAfter": 2, "finished": False},
        {"events": events[2:], "nextAfter": 3, "finished": True},
        {"events": [], "nextAfter": 3, "finished": True},
    ]
    client, stubber, resources = api(Resources(event_pages={RUN: pages}))
    stubber.add_response("describe_flow_execution_records", records_answer(record(RUN, "InProgress")),
                         {"flowName": FLOW, "maxResults": 100})
    naps: list[float] = []
    assert runs.logs(client, args(flow=FLOW, execution=None, follow=True, interval=0.5), sleep=naps.append) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[4] for line in lines] == ["started", "warning", "finished"]
    assert lines[1].split(None, 5)[3:] == ["WARNING", "warning", "the source prefix matched no objects"]
    assert [r.url.params["after"] for r in resources.requests] == ["0", "2", "2", "3"]
    assert naps == [0.5]


def test_logs_without_follow_prints_what_there_is_and_stops(capsys):
    page = {"events": [{"seq": 5, "time": 1_700_000_000, "level": "info", "kind": "page", "message": "page 1"}],
            "nextAfter": 5, "finished": False}
    client, stubber, resources = api(Resources(event_pages={RUN: [page, {"events": [], "nextAfter": 5,
                                                                          "finished": False}]}))
    stubber.add_response("describe_flow_execution_records", records_answer(record(RUN, "InProgress")),
                         {"flowName": FLOW, "maxResults": 100})
    assert runs.logs(client, args(flow=FLOW, execution=RUN, follow=False, interval=1.0), sleep=_no_sleep) == 0
    assert "page 1" in capsys.readouterr().out and len(resources.requests) == 2


def test_logs_on_a_server_without_run_logs_says_so(capsys):
    client, stubber, _ = api(Resources(served=False))
    stubber.add_response("describe_flow_execution_records", records_answer(record(RUN, "Successful")),
                         {"flowName": FLOW, "maxResults": 100})
    assert runs.logs(client, args(flow=FLOW, execution=None, follow=True, interval=1.0), sleep=_no_sleep) == 1
    assert "keeps no run logs" in capsys.readouterr().err


def test_list_pages_and_stops_at_max(capsys):
    client, stubber, _ = api()
    first = records_answer(record("r3", "InProgress", 10), record("r2", "Error", 0, 0, "boom"))
    stubber.add_response("describe_flow_execution_records", {**first, "nextToken": "t"},
                         {"flowName": FLOW, "maxResults": 100})
    stubber.add_response("describe_flow_execution_records", records_answer(record("r1", "Successful", 7)),
                         {"flowName": FLOW, "maxResults": 100, "nextToken": "t"})
    assert runs.list_runs(client, args(flow=FLOW, max=3)) == 0
    rows = [line.split()[:2] for line in capsys.readouterr().out.splitlines()[1:]]
    assert rows == [["r3", "InProgress"], ["r2", "Error"], ["r1", "Successful"]]


def test_cancel_reports_the_runs_it_could_not_cancel(capsys):
    client, stubber, _ = api()
    stubber.add_response("cancel_flow_executions", {"invalidExecutions": ["gone"]},
                         {"flowName": FLOW, "executionIds": [RUN, "gone"]})
    assert runs.cancel(client, args(flow=FLOW, executions=[RUN, "gone"])) == 1
    captured = capsys.readouterr()
    assert f"cancellation requested: {FLOW} {RUN}" in captured.out and "gone" not in captured.out
    assert "error: gone is not a run" in captured.err


def _no_sleep(seconds: float) -> None:
    raise AssertionError("no poll expected")
