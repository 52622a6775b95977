"""runReport bodies from a run's Query: date ranges, filter push-down, limits, and rows -> records."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.google_analytics4.catalog import ReportFields, dimension_field, metric_field
from sluice.connectors.google_analytics4.reports import date_range, filters, records_of, report_body
from sluice.connectors.rest.entities import Condition, Query

ENTITY = "properties/123/coreReport"


def seconds(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def fields() -> ReportFields:
    report = ReportFields()
    dims = [dimension_field({"apiName": n}) for n in ("date", "country", "pagePath")]
    metrics = [metric_field({"apiName": "sessions", "type": "TYPE_INTEGER"}),
               metric_field({"apiName": "purchaseRevenue", "type": "TYPE_CURRENCY"})]
    report.fields, report.metrics = dims + metrics, {m.name for m in metrics}
    return report


def test_without_a_date_filter_or_window_the_range_is_appflows_default() -> None:
    assert date_range(Query(ENTITY)) == {"startDate": "30daysAgo", "endDate": "yesterday"}


def test_a_window_reads_the_days_whose_midnight_lies_in_it() -> None:
    query = Query(ENTITY, window_field="date", window_start=seconds("2024-03-01T00:00:00"),
                  window_end=seconds("2024-03-04T23:30:00"))
    assert date_range(query) == {"startDate": "2024-03-02", "endDate": "2024-03-04"}
    inside_one_day = Query(ENTITY, window_field="date", window_start=seconds("2024-03-01T01:00:00"),
                           window_end=seconds("2024-03-01T23:00:00"))
    assert date_range(inside_one_day) is None


def test_between_and_equal_to_on_date_are_inclusive_days() -> None:
    between = Query(ENTITY, conditions=(Condition("date", "BETWEEN", ("2024-03-01", "2024-03-05")),))
    assert date_range(between) == {"startDate": "2024-03-01", "endDate": "2024-03-05"}
    equal = Query(ENTITY, conditions=(Condition("date", "EQUAL_TO", ("2024-03-07", "2024-03-02")),))
    assert date_range(equal) == {"startDate": "2024-03-02", "endDate": "2024-03-07"}


def test_dimension_and_metric_filters_are_pushed_down() -> None:
    query = Query(ENTITY, conditions=(
        Condition("country", "EQUAL_TO", ("Japan", "Germany")),
        Condition("pagePath", "CONTAINS", ("/blog",)),
        Condition("sessions", "BETWEEN", ("10", "20")),
        Condition("purchaseRevenue", "NOT_EQUAL_TO", ("0",)),
        Condition("country", "LESS_THAN", ("M",)),  # no string ordering in GA4: left to the engine
        Condition("date", "EQUAL_TO", ("2024-03-01",)),  # the date range, not a filter
    ))
    body = filters(query, fields())
    assert body["dimensionFilter"] == {"andGroup": {"expressions": [
        {"filter": {"fieldName": "country", "inListFilter": {"values": ["Japan", "Germany"], "caseSensitive": True}}},
        {"filter": {"fieldName": "pagePath", "stringFilter": {"matchType": "CONTAINS", "value": "/blog",
                                                              "caseSensitive": True}}}]}}
    assert body["metricFilter"] == {"andGroup": {"expressions": [
        {"filter": {"fieldName": "sessions", "betweenFilter": {"fromValue": {"int64Value": "10"},
                                                               "toValue": {"int64Value": "20"}}}},
        {"notExpression": {"filter": {"fieldName": "purchaseRevenue", "numericFilter": {
            "operation": "EQUAL", "value": {"doubleValue": 0.0}}}}}]}}


def test_the_body_orders_by_every_dimension_and_refuses_too_many_fields() -> None:
    report = fields()
    body = report_body(Query(ENTITY, columns=("date", "country", "sessions")), report,
                       {"startDate": "2024-03-01", "endDate": "2024-03-02"})
    assert body["dimensions"] == [{"name": "date"}, {"name": "country"}] and body["metrics"] == [{"name": "sessions"}]
    assert body["orderBys"] == [{"dimension": {"dimensionName": "date"}}, {"dimension": {"dimensionName": "country"}}]
    assert body["limit"] == "10000" and body["returnPropertyQuota"] is True and "offset" not in body
    report.fields += [dimension_field({"apiName": f"d{i}"}) for i in range(9)]
    with pytest.raises(ConnectorError, match="at most 9 dimensions"):
        report_body(Query(ENTITY, columns=(*[f"d{i}" for i in range(9)], "country")), report,
                    {"startDate": "today", "endDate": "today"})


def test_rows_become_records_with_iso_dates() -> None:
    answer = {"dimensionHeaders": [{"name": "date"}, {"name": "city"}],
              "metricHeaders": [{"name": "sessions", "type": "TYPE_INTEGER"}],
              "rows": [{"dimensionValues": [{"value": "20240301"}, {"value": "München"}],
                        "metricValues": [{"value": "42"}]}], "rowCount": 1}
    assert records_of(answer) == [{"date": "2024-03-01", "city": "München", "sessions": "42"}]
    assert records_of({"dimensionHeaders": [{"name": "date"}]}) == []
