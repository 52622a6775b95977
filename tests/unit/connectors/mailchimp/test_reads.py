"""Mailchimp reads: what is pushed down, the one-second settle wait, per-parent paging."""

from __future__ import annotations

import pytest

from sluice.connectors.base import ProfileView
from sluice.connectors.mailchimp import reads
from sluice.connectors.mailchimp.catalog import CAMPAIGNS, MEMBERS
from sluice.connectors.mailchimp.connector import CONNECTOR
from sluice.connectors.rest.client import Request
from sluice.connectors.rest.entities import Condition, Query
from tests.fakes.mailchimp.server import FakeMailchimp

START, END = 1_717_200_000.25, 1_717_286_400.75  # 2024-06-01T00:00:00.25Z .. 2024-06-02T00:00:00.75Z


def planned(query: Query) -> dict[str, object]:
    assert CAMPAIGNS.plan is not None
    return CAMPAIGNS.plan(query, Request("GET", "/campaigns", {"count": 1000, "offset": 0})).params


def test_the_projection_becomes_fields_under_the_envelope_key() -> None:
    params = planned(Query("campaigns", columns=("id", "create_time")))
    assert params["fields"] == "campaigns.id,campaigns.create_time,total_items"
    assert params["count"] == 1000


def test_the_window_becomes_since_and_before_a_second_wide() -> None:
    params = planned(Query("campaigns", window_field="create_time", window_start=START, window_end=END))
    assert params["since_create_time"] == "2024-06-01T00:00:00+00:00"  # exclusive: rounded down
    assert params["before_create_time"] == "2024-06-02T00:00:01+00:00"  # exclusive: the end second kept
    filtered = planned(Query("campaigns", conditions=(
        Condition("send_time", "GREATER_THAN", ("2024-05-01T00:00:00Z",)),)))
    assert filtered["since_send_time"] == "2024-05-01T00:00:00+00:00" and "before_send_time" not in filtered


def test_equal_to_on_a_filterable_field_is_a_parameter() -> None:
    assert planned(Query("campaigns", conditions=(Condition("status", "EQUAL_TO", ("sent",)),)))["status"] == "sent"
    either = Query("campaigns", conditions=(Condition("status", "EQUAL_TO", ("sent",)),
                                            Condition("status", "EQUAL_TO", ("save",))))
    assert "status" not in planned(either)  # contradictory: left to the engine
    assert "archive_url" not in planned(Query("campaigns", conditions=(
        Condition("archive_url", "EQUAL_TO", ("x",)),)))


def test_nested_members_offered_as_columns_are_asked_for_where_they_sit() -> None:
    params = planned(Query("campaigns", columns=("id", "recipients", "list_id"),
                           conditions=(Condition("list_id", "EQUAL_TO", ("abc123",)),)))
    assert params["fields"] == "campaigns.id,campaigns.recipients,campaigns.recipients.list_id,total_items"
    assert params["list_id"] == "abc123"


def test_a_window_ending_this_second_waits_for_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(reads, "scheduler_clock", lambda: (lambda: 1000.4, 1.0))
    reads.settle(Query("members", window_end=1000.2), sleep=slept.append)
    reads.settle(Query("members", window_end=998.0), sleep=slept.append)  # that second is over
    reads.settle(Query("members"), sleep=slept.append)  # not incremental
    assert slept == [pytest.approx(0.6)]
    monkeypatch.setattr(reads, "scheduler_clock", lambda: (lambda: 1000.4, 60.0))
    reads.settle(Query("members", window_end=1000.2), sleep=slept.append)
    assert slept[-1] == pytest.approx(0.01)


def test_members_are_read_list_by_list_a_thousand_at_a_time(fake: FakeMailchimp, profile: ProfileView) -> None:
    assert MEMBERS.read is not None
    with CONNECTOR.client(profile) as client:
        request = Request("GET", MEMBERS.path, {"fields": "members.id,total_items"})
        pages = list(MEMBERS.read(client, Query("members"), request))
    ids = [r["id"] for page in pages for r in page.records]
    assert len(ids) == len(set(ids)) == 2500
    asked = fake.log.matching("/members")
    assert [e["query"]["offset"] for e in asked] == [["0"], ["1000"], ["2000"]]
    assert fake.log.matching("/3.0/lists")[0]["query"]["fields"] == ["lists.id,total_items"]
