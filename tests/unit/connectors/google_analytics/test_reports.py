"""Google Analytics report requests and answers: date ranges, the API's limits, rows to records, sampling."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.google_analytics import reports
from sluice.connectors.rest.entities import Condition, Query

HOUR, DAY = "ga:dateHour|DIMENSION", "ga:date|DIMENSION"


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_date_ranges_come_from_between_and_the_window_else_google_default() -> None:
    assert reports.date_range(Query("v")) == {"startDate": "7daysAgo", "endDate": "yesterday"}
    between = Query("v", conditions=(Condition(DAY, "BETWEEN", ("2024-03-01", "2024-03-09")),),
                    window_field=HOUR, window_start=at("2024-03-03T22:00:00"), window_end=at("2024-03-04T05:00:00"))
    assert reports.date_range(between) == {"startDate": "2024-03-03", "endDate": "2024-03-04"}


def test_a_request_holds_the_fields_within_the_api_limits() -> None:
    request = reports.report_request("42", (HOUR, "ga:source|DIMENSION", "ga:sessions|METRIC"), Query("v"))
    assert request["viewId"] == "42" and request["dimensions"] == [{"name": "ga:dateHour"}, {"name": "ga:source"}]
    assert request["metrics"] == [{"expression": "ga:sessions"}] and request["pageSize"] == 10_000
    with pytest.raises(ConnectorError, match="at most 7 dimensions"):
        reports.report_request("42", (*(f"ga:d{i}|DIMENSION" for i in range(8)), "ga:users|METRIC"), Query("v"))
    with pytest.raises(ConnectorError, match="at least one metric"):
        reports.report_request("42", (HOUR,), Query("v"))


def test_rows_become_records_and_sampling_becomes_a_note() -> None:
    report = {"columnHeader": {"dimensions": ["ga:date", "ga:source"],
                               "metricHeader": {"metricHeaderEntries": [{"name": "ga:sessions", "type": "INTEGER"}]}},
              "data": {"rows": [{"dimensions": ["20240301", "google"], "metrics": [{"values": ["12"]}]}]}}
    assert reports.records_of(report) == [{DAY: "2024-03-01", "ga:source|DIMENSION": "google",
                                           "ga:sessions|METRIC": "12"}]
    assert reports.sampling_note("42", report) is None
    report["data"] |= {"samplesReadCounts": ["499"], "samplingSpaceSizes": ["998"]}
    assert "read 499 of 998 sessions (50.0%)" in str(reports.sampling_note("42", report))
