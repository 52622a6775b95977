"""Singular's report requests: which days a run asks for and what each day's create_async_report form holds."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sluice.connectors.rest.entities import Condition, Query
from sluice.connectors.singular import reports
from sluice.connectors.singular.fields import standard_fields


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_days_come_from_equal_to_the_window_or_the_last_30_days() -> None:
    named = Query("report", conditions=(Condition("start_date", "EQUAL_TO", ("2024-03-02", "2024-03-01")),))
    assert reports.days_of(named) == [date(2024, 3, 1), date(2024, 3, 2)]
    # A window reads the days whose midnight is inside (start, end]: exactly one window per day.
    window = Query("report", window_field="start_date", window_start=at("2024-03-01T00:00:00"),
                   window_end=at("2024-03-03T12:00:00"))
    assert reports.days_of(window) == [date(2024, 3, 2), date(2024, 3, 3)]
    following = Query("report", window_field="start_date", window_start=at("2024-03-03T12:00:00"),
                      window_end=at("2024-03-04T12:00:00"))
    assert reports.days_of(following) == [date(2024, 3, 4)]
    recent = reports.days_of(Query("report"), today=date(2024, 3, 31))
    assert len(recent) == 30 and recent[0] == date(2024, 3, 2) and recent[-1] == date(2024, 3, 31)


def test_the_form_splits_dimensions_metrics_and_filters() -> None:
    fields = standard_fields()
    query = Query("report", columns=("start_date", "source", "os", "adn_cost", "adn_clicks"),
                  conditions=(Condition("source", "EQUAL_TO", ("Facebook",)), Condition("os", "EQUAL_TO", ("iOS",))))
    form = reports.report_form(query, fields, date(2024, 3, 1))
    assert form["start_date"] == form["end_date"] == "2024-03-01" and form["time_breakdown"] == "day"
    assert form["dimensions"] == "source,os" and form["metrics"] == "adn_cost,adn_clicks"
    assert form["source"] == "Facebook"
    assert json.loads(form["filters"]) == [{"dimension": "os", "operator": "in", "values": ["iOS"]}]
