"""Dynatrace push-down: the time range (AppFlow's 30-day rule) and selector criteria from Filter tasks."""

from __future__ import annotations

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.dynatrace import pushdown
from sluice.connectors.rest.entities import Condition, Query

NOW = 1_700_000_000_000
DAY = pushdown.DAY_MS


def test_the_incremental_window_is_the_timeframe() -> None:
    query = Query("problems", window_field="startTime", window_start=1_699_990_000.0005,
                  window_end=1_699_999_000.0)
    assert pushdown.timeframe(query, ("startTime", "endTime"), NOW) == (1_699_990_000_000, 1_699_999_000_000)


def test_a_window_on_the_end_time_also_bounds_the_timeframe() -> None:
    query = Query("problems", window_field="endTime", window_start=1_699_990_000.0, window_end=1_699_999_000.0)
    assert pushdown.timeframe(query, ("startTime", "endTime"), NOW) == (1_699_990_000_000, 1_699_999_000_000)


def test_without_a_range_the_last_30_days_are_read() -> None:
    assert pushdown.timeframe(Query("events"), ("startTime",), NOW) == (NOW - 30 * DAY, NOW)


def test_a_between_filter_over_30_days_is_refused() -> None:
    wide = Query("problems", conditions=(Condition("startTime", "BETWEEN", (str(NOW - 31 * DAY), str(NOW))),))
    with pytest.raises(ConnectorError) as caught:
        pushdown.timeframe(wide, ("startTime",), NOW)
    assert caught.value.code == "InvalidArgument" and "30 days" in caught.value.message
    narrow = Query("problems", conditions=(Condition("startTime", "BETWEEN", (str(NOW - 2 * DAY), str(NOW - DAY))),))
    assert pushdown.timeframe(narrow, ("startTime",), NOW) == (NOW - 2 * DAY, NOW - DAY)


def test_a_long_incremental_window_reads_its_last_30_days() -> None:
    first_run = Query("problems", window_field="startTime", window_start=None, window_end=NOW / 1000)
    assert pushdown.timeframe(first_run, ("startTime",), NOW) == (NOW - 30 * DAY, NOW)
    long_pause = Query("problems", window_field="startTime", window_start=(NOW - 90 * DAY) / 1000,
                       window_end=NOW / 1000)
    assert pushdown.timeframe(long_pause, ("startTime",), NOW)[0] == NOW - 30 * DAY


def test_equal_to_comparisons_become_quoted_selector_criteria() -> None:
    query = Query("problems", conditions=(
        Condition("status", "EQUAL_TO", ("OPEN",)),
        Condition("severityLevel", "EQUAL_TO", ("ERROR", "AVAILABILITY")),
        Condition("displayId", "EQUAL_TO", ('P-1 "quoted" ~tilde',)),
        Condition("title", "EQUAL_TO", ("not pushed",)),
        Condition("severityLevel", "BETWEEN", ("A", "B")),
    ))
    terms = pushdown.selector(query, {"status": "status", "severityLevel": "severityLevel", "displayId": "displayId"},
                              lower=frozenset({"status"}))
    assert terms == ['status("open")', 'severityLevel("ERROR","AVAILABILITY")', 'displayId("P-1 ~"quoted~" ~~tilde")']


def test_single_value_criteria_and_flags() -> None:
    query = Query("events", conditions=(
        Condition("status", "EQUAL_TO", ("OPEN", "CLOSED")),  # Dynatrace takes one status: left to the engine
        Condition("frequentEvent", "EQUAL_TO", ("True",)),
        Condition("underMaintenance", "EQUAL_TO", ("maybe",)),
    ))
    terms = pushdown.selector(query, {"status": "status", "frequentEvent": "frequentEvent()",
                                      "underMaintenance": "underMaintenance()"}, single=frozenset({"status"}))
    assert terms == ["frequentEvent(true)"]


def test_first_seen_bounds_and_metric_keys() -> None:
    query = Query("entities/HOST", window_field="firstSeenTms", window_start=1.5, window_end=2.0)
    assert pushdown.first_seen_terms(query) == ["firstSeenTms.gte(1500)", "firstSeenTms.lte(2000)"]
    assert pushdown.metric_selector("builtin:host.cpu.usage") == "builtin:host.cpu.usage"
    assert pushdown.metric_selector('ext:jmx.Agents: Type "APACHE"') == '"ext:jmx.Agents: Type ~"APACHE~""'
