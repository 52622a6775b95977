"""Reading a Universal Analytics view with the Analytics Reporting API v4 (connectors layer, Google Analytics).

https://developers.google.com/analytics/devguides/reporting/core/v4/rest/v4/reports/batchGet: one
`reportRequests` entry with the view's `viewId`, `dateRanges`, `dimensions` (at most 7), `metrics` (at
most 10), `pageSize` (at most 100,000) and, from the second page, the previous answer's `nextPageToken`
as `pageToken`. Each row is `{"dimensions": [...], "metrics": [{"values": [...]}]}` in the order of
`columnHeader`. When Google sampled the report, `data.samplesReadCounts` / `samplingSpaceSizes` say how
much: Sluice writes that to the run's log.

The flow's fields (`ga:name|DIMENSION` / `ga:name|METRIC`) become the request's dimensions and metrics;
the date range is the BETWEEN filters on `ga:date` / `ga:dateHour` narrowed with the incremental window
(`Query.time_range`), else Google's own default, the last seven days (`7daysAgo` to `yesterday`).

Google turned Universal Analytics off (https://developers.google.com/analytics/devguides/reporting/core/v4/
rest/v4/reports: standard properties stopped processing data on 1 July 2023, Universal Analytics 360
properties on 1 July 2024; https://support.google.com/analytics/answer/11583528: from 1 July 2024 the
interface and API no longer serve Universal Analytics data). Every run says so in its log: new
properties are Google Analytics 4, which AppFlow reads with its GoogleAnalytics4 connector.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Page, Query

from .catalog import DATE, DATE_HOUR, split_id

MAX_DIMENSIONS = 7
MAX_METRICS = 10
PAGE_SIZE = 10_000
SUNSET = ("Google turned Universal Analytics off: standard properties stopped processing data on 2023-07-01 and "
          "360 properties on 2024-07-01, when the Reporting API stopped serving their data. New properties are "
          "Google Analytics 4: read them with the GoogleAnalytics4 connector.")


def date_range(query: Query) -> dict[str, str]:
    """The report's dateRange: the BETWEEN filters and the incremental window, else the last 7 days."""
    lows, highs = [], []
    for name in (DATE, DATE_HOUR):
        low, high = query.time_range(name)
        if low is not None:
            lows.append(low)
        if high is not None:
            highs.append(high)
    start = _day(max(lows)) if lows else "7daysAgo"
    end = _day(min(highs)) if highs else ("yesterday" if not lows else "today")
    return {"startDate": start, "endDate": end}


def _day(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d")


def report_request(view_id: str, columns: tuple[str, ...], query: Query) -> dict[str, Any]:
    """The reportRequests entry for the run's columns (DIMENSION / METRIC by their names)."""
    dimensions = [split_id(c)[0] for c in columns if split_id(c)[1] == "DIMENSION"]
    metrics = [split_id(c)[0] for c in columns if split_id(c)[1] == "METRIC"]
    if len(dimensions) > MAX_DIMENSIONS or len(metrics) > MAX_METRICS:
        raise ConnectorError("InvalidArgument", f"a Google Analytics report takes at most {MAX_DIMENSIONS} dimensions "
                             f"and {MAX_METRICS} metrics; the flow asks for {len(dimensions)} and {len(metrics)}: "
                             "project fewer fields")
    if not metrics:
        raise ConnectorError("InvalidArgument", "a Google Analytics report needs at least one metric "
                             "(a field named ga:...|METRIC)")
    return {"viewId": view_id, "dateRanges": [date_range(query)], "pageSize": PAGE_SIZE,
            "dimensions": [{"name": d} for d in dimensions], "metrics": [{"expression": m} for m in metrics],
            "samplingLevel": "LARGE", "hideTotals": True, "hideValueRanges": True}


def records_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's rows as records keyed by AppFlow's field names."""
    header = report.get("columnHeader") or {}
    dimensions = [f"{d}|DIMENSION" for d in header.get("dimensions") or []]
    metrics = [f"{m.get('name')}|METRIC" for m in (header.get("metricHeader") or {}).get("metricHeaderEntries") or []]
    records = []
    for row in (report.get("data") or {}).get("rows") or []:
        record: dict[str, Any] = dict(zip(dimensions, row.get("dimensions") or [], strict=False))
        values = ((row.get("metrics") or [{}])[0] or {}).get("values") or []
        record.update(zip(metrics, values, strict=False))
        if DATE in record and isinstance(record[DATE], str) and len(record[DATE]) == 8:
            day = record[DATE]
            record[DATE] = f"{day[:4]}-{day[4:6]}-{day[6:]}"  # 20240301 -> ISO, so it reads as a date
        records.append(record)
    return records


def sampling_note(view_id: str, report: dict[str, Any]) -> str | None:
    """A sentence for the run's log when Google sampled the report (None when it did not)."""
    data = report.get("data") or {}
    read, space = data.get("samplesReadCounts"), data.get("samplingSpaceSizes")
    if not read or not space:
        return None
    try:
        share = 100.0 * float(read[0]) / float(space[0])
    except (TypeError, ValueError, ZeroDivisionError):
        share = 0.0
    return (f"Google Analytics sampled the report of view {view_id}: it read {read[0]} of {space[0]} sessions "
            f"({share:.1f}%); narrow the date range for unsampled data")


def read_report(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
    """`Entity.read` of a view: the report's pages, following `nextPageToken`."""
    client.report("warning", SUNSET, "warning")
    view_id = query.entity.rsplit("/", 1)[-1]
    body_request = report_request(view_id, query.columns, query)
    noted = False
    while True:
        body = client.json(Request("POST", "/v4/reports:batchGet", json={"reportRequests": [body_request]},
                                   idempotent=True))
        reports = (body or {}).get("reports") or []
        if not reports:
            raise ConnectorError("ServerError", "Google Analytics answered batchGet without a report")
        report = reports[0]
        note = sampling_note(view_id, report)
        if note and not noted:
            client.report("warning", note, "warning")
            noted = True
        records = records_of(report)
        yield Page(records, 0)
        token = report.get("nextPageToken")
        if not token or not records:
            return
        body_request = {**body_request, "pageToken": str(token)}
