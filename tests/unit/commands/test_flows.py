"""`sluice flows start --wait|show` against a stubbed server (tests/unit/commands/stub.py)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from rich.console import Console

from sluice.commands import flows, progress
from sluice.commands.display import duration, when
from sluice.scheduler.triggers import next_fire_epoch
from tests.unit.commands.stub import api, args, record

RUN = "0b9f3c2a-0000-4000-8000-000000000002"
ASK = {"flowName": "orders", "maxResults": 100}


def test_wait_follows_the_counts_until_the_run_succeeds(capsys, monkeypatch):
    client, stubber, _ = api()
    stubber.add_response("start_flow", {"flowArn": "arn", "flowStatus": "Active", "executionId": RUN},
                         {"flowName": "orders"})
    for status, count in (("InProgress", 0), ("InProgress", 4096), ("Successful", 10_000)):
        stubber.add_response("describe_flow_execution_records",
                             {"flowExecutions": [record(RUN, status, count, count * 100)]}, ASK)
    naps: list[float] = []
    screen = io.StringIO()
    monkeypatch.setattr(flows, "follow", lambda *a, **k: progress.follow(
        *a, **k, sleep=naps.append, console=Console(file=screen, width=120)))
    assert flows.start_flow(client, args(name="orders", wait=True, interval=0.25)) == 0
    out = capsys.readouterr().out
    assert f"started orders: execution {RUN}" in out
    assert out.splitlines()[-1] == "Successful: 10,000 records, 976.6 KB in 4.00s"
    assert naps == [0.25, 0.25]
    assert "10,000 records" in screen.getvalue() and "0.2 MB/s" in screen.getvalue()
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(("status", "message", "said"), [
    ("Error", "The bucket raw does not exist", "error: The bucket raw does not exist"),
    ("Canceled", None, "error: the run ended Canceled"),
])
def test_wait_exits_non_zero_with_the_message_when_the_run_does_not_succeed(capsys, status, message, said):
    client, stubber, _ = api()
    stubber.add_response("start_flow", {"flowArn": "arn", "flowStatus": "Active", "executionId": RUN},
                         {"flowName": "orders"})
    stubber.add_response("describe_flow_execution_records",
                         {"flowExecutions": [record("newer", "InProgress"), record(RUN, status, 0, 0, message)]}, ASK)
    assert flows.start_flow(client, args(name="orders", wait=True, interval=0.25)) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines()[-1].startswith(f"{status}: 0 records")
    assert said in captured.err


def test_starting_a_scheduled_flow_activates_it(capsys):
    client, stubber, _ = api()
    stubber.add_response("start_flow", {"flowArn": "arn", "flowStatus": "Active"}, {"flowName": "nightly"})
    assert flows.start_flow(client, args(name="nightly", wait=True, interval=1.0)) == 0
    out = capsys.readouterr().out
    assert "flow nightly is Active" in out and "--wait follows on-demand runs only" in out


def scheduled_flow(status: str, updated: datetime, **properties: object) -> dict[str, object]:
    return {"flowName": "nightly", "flowStatus": status, "lastUpdatedAt": updated,
            "triggerConfig": {"triggerType": "Scheduled", "triggerProperties": {"Scheduled": properties}}}


def test_next_run_is_the_schedulers_own_answer():
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC).timestamp()
    cron = {"scheduleExpression": "cron(30 2 * * ? *)", "timezone": "Europe/Paris"}
    note = flows._schedule_note(scheduled_flow("Active", datetime(2026, 3, 1, tzinfo=UTC), **cron), now=now)
    # 02:30 does not exist in Paris on 29 March 2026 (clocks spring forward): the scheduler's rule decides.
    expected = next_fire_epoch(cron, now, now)
    assert expected is not None and note == f"{when(expected)} (in {duration(expected - now)})"
    assert when(expected) == "2026-03-29 01:00:00 UTC"  # 03:00 CEST, the first instant after the gap


def test_a_rate_schedule_counts_from_activation_and_a_draft_flow_is_told_to_start():
    activated = datetime(2026, 3, 28, 11, 50, tzinfo=UTC)
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC).timestamp()
    active = flows._schedule_note(scheduled_flow("Active", activated, scheduleExpression="rate(15minutes)"), now=now)
    assert active == "2026-03-28 12:05:00 UTC (in 5m00s)"
    draft = flows._schedule_note(scheduled_flow("Draft", activated, scheduleExpression="rate(15minutes)"), now=now)
    assert draft is not None and draft.startswith("none - the flow is Draft: run `sluice flows start nightly`")
    assert draft.endswith("would fire first at 2026-03-28 12:15:00 UTC (in 15m00s)")
    ended = scheduled_flow("Active", activated, scheduleExpression="rate(1days)",
                           scheduleEndTime=datetime(2026, 3, 28, 11, 55, tzinfo=UTC))
    assert flows._schedule_note(ended, now=now) == "never: the schedule has ended"
    assert flows._schedule_note({"flowName": "x", "triggerConfig": {"triggerType": "OnDemand"}}) is None
