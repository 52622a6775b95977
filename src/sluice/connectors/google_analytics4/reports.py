"""Reading a GA4 core report with the Data API's runReport (connectors layer, Google Analytics 4).

https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport:
the flow's fields become the request's `dimensions` (at most 9) and `metrics` (at most 10); the
report is read in pages of `limit` rows from `offset` until `rowCount` rows are read, ordered by every
dimension so pages do not overlap. Each row is `{"dimensionValues": [{"value"}], "metricValues":
[{"value"}]}` in the order of `dimensionHeaders` / `metricHeaders`; every value is text (`date` is
`YYYYMMDD`).

Push-down (the engine still applies every Filter task afterwards, so this only narrows what Google
sends):

* `date` - BETWEEN, EQUAL_TO, GREATER_THAN(_OR_EQUAL_TO), LESS_THAN(_OR_EQUAL_TO) and the incremental
  window become the report's `dateRanges` (one range). Without either the range is AppFlow's
  default, `30daysAgo` to `yesterday`. A window `(start, end]` reads the days whose midnight (UTC)
  lies in it - the days the engine's window keeps - so consecutive runs read each day once;
* other dimensions - EQUAL_TO (`stringFilter` EXACT, or `inListFilter`), NOT_EQUAL_TO
  (`notExpression`), CONTAINS (`stringFilter` CONTAINS), case-sensitive as the engine compares;
  all in one `dimensionFilter` (`andGroup`);
* metrics - EQUAL_TO, NOT_EQUAL_TO, LESS_THAN..., BETWEEN as `numericFilter` / `betweenFilter`
  in `metricFilter` (applied after aggregation, as the engine applies it to the report's rows).

The answer's `metadata` (sampling, thresholding, "(other)" rows) and `propertyQuota` (asked with
`returnPropertyQuota`) go to the run's log.

A realtime report (https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/
properties/runRealtimeReport) is one `runRealtimeReport` over the last 30 minutes (Google's default
`minuteRanges`), the same filters, and `limit` 250,000 - the most Google answers: realtime reports do
not page, so when `rowCount` says more rows matched, the run's log says how many were left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Condition, Page, Query
from sluice.literals import parse_micros, parse_number

from .api import data_url
from .catalog import DATE, ReportFields

MAX_DIMENSIONS = 9
MAX_METRICS = 10
PAGE_SIZE = 10_000  # rows per runReport call (Google allows up to 250,000)
REALTIME_LIMIT = 250_000
DEFAULT_RANGE = {"startDate": "30daysAgo", "endDate": "yesterday"}
_NUMERIC = {"EQUAL_TO": "EQUAL", "LESS_THAN": "LESS_THAN", "LESS_THAN_OR_EQUAL_TO": "LESS_THAN_OR_EQUAL",
            "GREATER_THAN": "GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO": "GREATER_THAN_OR_EQUAL"}
_DAY = 86_400


def _day(index: int) -> str:
    return date.fromordinal(date(1970, 1, 1).toordinal() + index).isoformat()


def date_range(query: Query) -> dict[str, str] | None:
    """The report's dateRange (see the module docstring); None when it holds no day."""
    lower, upper = query.time_range(DATE)
    for condition in query.on(DATE):
        if condition.operator == "EQUAL_TO":
            days = [m / 1_000_000 for m in (parse_micros(v) for v in condition.values) if m is not None]
            if days:
                lower = min(days) if lower is None else max(lower, min(days))
                upper = max(days) if upper is None else min(upper, max(days))
    if lower is None and upper is None:
        return dict(DEFAULT_RANGE)
    # The first day whose midnight is after the window's start (at or after a filter's lower bound);
    # the last whose midnight is at or before `upper`.
    exclusive = query.window_field == DATE and lower is not None and lower == query.window_start
    first = (math.floor(lower / _DAY) + 1 if exclusive else math.ceil(lower / _DAY)) if lower is not None else None
    start = _day(first) if first is not None else DEFAULT_RANGE["startDate"]
    end = _day(math.floor(upper / _DAY)) if upper is not None else "today"
    if lower is not None and upper is not None and start > end:
        return None
    return {"startDate": start, "endDate": end}


def _string_filter(name: str, condition: Condition) -> dict[str, Any] | None:
    values = list(condition.values)
    if condition.operator in ("EQUAL_TO", "NOT_EQUAL_TO"):
        matched: dict[str, Any] = {"fieldName": name, "stringFilter": {
            "matchType": "EXACT", "value": values[0], "caseSensitive": True}} if len(values) == 1 else {
            "fieldName": name, "inListFilter": {"values": values, "caseSensitive": True}}
        expression: dict[str, Any] = {"filter": matched}
        return expression if condition.operator == "EQUAL_TO" else {"notExpression": expression}
    if condition.operator == "CONTAINS":
        each = [{"filter": {"fieldName": name, "stringFilter": {"matchType": "CONTAINS", "value": v,
                                                                "caseSensitive": True}}} for v in values]
        return each[0] if len(each) == 1 else {"orGroup": {"expressions": each}}
    return None


def _number(text: str, integer: bool) -> dict[str, Any] | None:
    value = parse_number(text)
    if value is None or not math.isfinite(value):
        return None
    if integer and float(value).is_integer():
        return {"int64Value": str(int(value))}
    return {"doubleValue": float(value)}


def _numeric_filter(name: str, condition: Condition, integer: bool) -> dict[str, Any] | None:
    numbers = [_number(v, integer) for v in condition.values]
    if not numbers or any(n is None for n in numbers):
        return None
    if condition.operator == "BETWEEN" and len(numbers) == 2:
        return {"filter": {"fieldName": name, "betweenFilter": {"fromValue": numbers[0], "toValue": numbers[1]}}}
    if condition.operator in ("EQUAL_TO", "NOT_EQUAL_TO"):
        each = [{"filter": {"fieldName": name, "numericFilter": {"operation": "EQUAL", "value": n}}}
                for n in numbers]
        expression = each[0] if len(each) == 1 else {"orGroup": {"expressions": each}}
        return expression if condition.operator == "EQUAL_TO" else {"notExpression": expression}
    if condition.operator in _NUMERIC and len(numbers) == 1:
        return {"filter": {"fieldName": name, "numericFilter": {"operation": _NUMERIC[condition.operator],
                                                                "value": numbers[0]}}}
    return None


def _group(expressions: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not expressions:
        return None
    return expressions[0] if len(expressions) == 1 else {"andGroup": {"expressions": expressions}}


def filters(query: Query, fields: ReportFields) -> dict[str, Any]:
    """The `dimensionFilter` / `metricFilter` members for the flow's Filter comparisons."""
    dimensions: list[dict[str, Any]] = []
    metrics: list[dict[str, Any]] = []
    for condition in query.conditions:
        found = fields.field(condition.field)
        if found is None or condition.field == DATE:
            continue  # date is the date range
        if fields.is_metric(condition.field):
            expression = _numeric_filter(condition.field, condition, found.type == "integer")
            if expression is not None:
                metrics.append(expression)
        else:
            expression = _string_filter(condition.field, condition)
            if expression is not None:
                dimensions.append(expression)
    body: dict[str, Any] = {}
    if (dimension_filter := _group(dimensions)) is not None:
        body["dimensionFilter"] = dimension_filter
    if (metric_filter := _group(metrics)) is not None:
        body["metricFilter"] = metric_filter
    return body


def _columns(query: Query, fields: ReportFields) -> tuple[list[str], list[str]]:
    """(dimensions, metrics) of the run's columns, within Google's limits."""
    dimensions = [c for c in query.columns if not fields.is_metric(c)]
    metrics = [c for c in query.columns if fields.is_metric(c)]
    if len(dimensions) > MAX_DIMENSIONS or len(metrics) > MAX_METRICS:
        raise ConnectorError("InvalidArgument", f"a Google Analytics 4 report takes at most {MAX_DIMENSIONS} "
                             f"dimensions and {MAX_METRICS} metrics; the flow asks for {len(dimensions)} and "
                             f"{len(metrics)}: project fewer fields")
    if not dimensions and not metrics:
        raise ConnectorError("InvalidArgument", "a Google Analytics 4 report needs at least one dimension or metric")
    return dimensions, metrics


def report_body(query: Query, fields: ReportFields, range_: Mapping[str, str]) -> dict[str, Any]:
    """The runReport body for the run's columns (without `offset`)."""
    dimensions, metrics = _columns(query, fields)
    body: dict[str, Any] = {
        "dimensions": [{"name": d} for d in dimensions],
        "metrics": [{"name": m} for m in metrics],
        "dateRanges": [dict(range_)],
        "limit": str(PAGE_SIZE),  # int64 members travel as JSON strings
        # A fixed order over every dimension, so offset pages neither overlap nor skip rows.
        "orderBys": [{"dimension": {"dimensionName": d}} for d in dimensions],
        "returnPropertyQuota": True,
        **filters(query, fields),
    }
    return body


def records_of(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The answer's rows as records keyed by the dimension and metric names."""
    dimensions = [str(h.get("name")) for h in answer.get("dimensionHeaders") or []]
    metrics = [str(h.get("name")) for h in answer.get("metricHeaders") or []]
    records = []
    for row in answer.get("rows") or []:
        record: dict[str, Any] = {name: (value or {}).get("value") for name, value in
                                  zip(dimensions, row.get("dimensionValues") or [], strict=False)}
        record.update({name: (value or {}).get("value") for name, value in
                       zip(metrics, row.get("metricValues") or [], strict=False)})
        day = record.get(DATE)
        if isinstance(day, str) and len(day) == 8 and day.isdigit():
            record[DATE] = f"{day[:4]}-{day[4:6]}-{day[6:]}"  # 20240301 -> ISO, so it reads as a date
        records.append(record)
    return records


def notes(property_id: str, answer: Mapping[str, Any]) -> list[str]:
    """Sentences for the run's log about how Google computed the report (sampling, thresholds)."""
    metadata = answer.get("metadata") or {}
    said = []
    for sampling in metadata.get("samplingMetadatas") or []:
        read, space = sampling.get("samplesReadCount"), sampling.get("samplingSpaceSize")
        said.append(f"Google Analytics 4 sampled the report of property {property_id}: it read {read} of {space} "
                    "events; narrow the date range for unsampled data")
    if metadata.get("subjectToThresholding"):
        said.append(f"Google Analytics 4 applied thresholds to the report of property {property_id}: rows with "
                    "few users may be withheld")
    if metadata.get("dataLossFromOtherRow"):
        said.append(f"Google Analytics 4 grouped some rows of the report of property {property_id} into "
                    "\"(other)\" (high-cardinality dimensions)")
    return said


def quota_note(property_id: str, answer: Mapping[str, Any]) -> str | None:
    """The property's remaining token quotas after the report, for the run's log."""
    quota = answer.get("propertyQuota") or {}
    parts = []
    for key in ("tokensPerDay", "tokensPerHour", "tokensPerProjectPerHour"):
        status = quota.get(key)
        if isinstance(status, Mapping):
            parts.append(f"{key} {status.get('consumed', 0)} used, {status.get('remaining', 0)} left")
    return f"Google Analytics 4 quota of property {property_id}: {'; '.join(parts)}" if parts else None


def read_report(client: RestClient, query: Query, fields: ReportFields) -> Iterator[Page]:
    """`Entity.read` of a core report: its pages, following `offset` to `rowCount`."""
    property_id = query.entity.split("/")[1]
    range_ = date_range(query)
    if range_ is None:
        client.report("info", "the incremental window holds no whole day's start: no report to read")
        return
    body = report_body(query, fields, range_)
    url = data_url(f"/v1beta/properties/{property_id}:runReport")
    offset, said = 0, False
    answer: Mapping[str, Any] = {}
    while True:
        request = {**body, "offset": str(offset)} if offset else body
        answer = client.json(Request("POST", url, json=request, idempotent=True)) or {}
        if not said:
            for note in notes(property_id, answer):
                client.report("warning", note, "warning")
            said = True
        records = records_of(answer)
        yield Page(records, 0)
        offset += len(records)
        if not records or offset >= int(answer.get("rowCount") or 0):
            break
    quota = quota_note(property_id, answer)
    if quota:
        client.report("info", quota)


def read_realtime_report(client: RestClient, query: Query, fields: ReportFields) -> Iterator[Page]:
    """`Entity.read` of a realtime report: one runRealtimeReport (realtime reports do not page)."""
    property_id = query.entity.split("/")[1]
    dimensions, metrics = _columns(query, fields)
    body = {"dimensions": [{"name": d} for d in dimensions], "metrics": [{"name": m} for m in metrics],
            "limit": str(REALTIME_LIMIT), "returnPropertyQuota": True, **filters(query, fields)}
    url = data_url(f"/v1beta/properties/{property_id}:runRealtimeReport")
    answer = client.json(Request("POST", url, json=body, idempotent=True)) or {}
    records = records_of(answer)
    total = int(answer.get("rowCount") or 0)
    if total > len(records):
        client.report("warning", f"Google Analytics 4 answered {len(records)} of the {total} rows of the realtime "
                      f"report of property {property_id} (realtime reports do not page)", "warning")
    yield Page(records, 0)
