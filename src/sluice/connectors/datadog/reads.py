"""Datadog requests for a run: push-down into each object's request, and pages with `query` filled in.

`plan_*` (an `Entity.plan`) puts the flow's time range and search into the first request (see
pushdown.py); `paged` (an `Entity.read`) walks the pages with the layer's own loop and, when the run
reads the `query` column, sets each record's `query` to the search that found it. Metrics add
`from_to_date`, the series' first point time, so a BETWEEN on the queried range holds for each series.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.datadog.pushdown import QUERY_FIELD, search_text, time_bounds_ms, to_ms, user_query
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Page, Query
from sluice.connectors.rest.pages import read_pages
from sluice.connectors.rest.paging import Paginator, body_path
from sluice.literals import parse_micros

LOG_ATTRIBUTES = {"service": "service", "status": "status", "host": "host"}
EVENT_ATTRIBUTES = {"source_type_name": "source", "priority": "priority", "status": "status",
                    "service": "service", "host": "host"}
METRICS_DEFAULT_RANGE = 3600  # seconds queried when a metrics flow names no range


def iso_ms(ms: int) -> str:
    """`2026-11-01T00:00:00.000Z`."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def plan_logs(query: Query, request: Request) -> Request:
    """The Logs search body: filter {query, from, to, indexes}, oldest first (idempotent: a search)."""
    start, end = time_bounds_ms(query, "timestamp")
    body = dict(request.json or {})
    body["filter"] = {**body.get("filter", {}), "query": search_text(query, LOG_ATTRIBUTES),
                      "from": iso_ms(start or 0), "to": iso_ms(end) if end is not None else "now"}
    return request.replace(json=body, idempotent=True)


def plan_events(query: Query, request: Request) -> Request:
    """The Events list parameters: filter[query], filter[from], filter[to] (epoch milliseconds)."""
    start, end = time_bounds_ms(query, "timestamp")
    params = {**request.params, "filter[query]": search_text(query, EVENT_ATTRIBUTES),
              "filter[from]": str(start or 0), "filter[to]": str(end) if end is not None else "now"}
    return request.replace(params=params)


def plan_metrics(query: Query, request: Request) -> Request:
    """The timeseries query: `query` (required) and POSIX-second `from` / `to`."""
    text = user_query(query)
    if text == "*":
        raise ConnectorError("InvalidArgument", "a Datadog metrics flow needs an EQUAL_TO filter on query with "
                             "a metric query, such as avg:system.cpu.idle{*}")
    start, end = time_bounds_ms(query, "from_to_date")
    to_s = (end - 1) // 1000 if end is not None else int(time.time())
    if start is None:
        from_s = to_s - METRICS_DEFAULT_RANGE
    elif query.window_field == "from_to_date" and query.window_start is not None \
            and start == to_ms(query.window_start):
        # The run's window excludes its start instant: a series whose first point sat on it would be dropped.
        from_s = start // 1000 + 1
    else:
        from_s = -(-start // 1000)
    return request.replace(params={**request.params, "query": text, "from": from_s, "to": to_s})


def paged(records_path: str, paginator: Paginator, extra: Callable[[Query, Mapping[str, Any]], dict[str, Any]]
          ) -> Callable[[RestClient, Query, Request], Iterator[Page]]:
    """An `Entity.read` walking `paginator`'s pages, adding `extra(query, record)` members when the run
    reads the `query` column."""

    def read(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
        wanted = not query.columns or QUERY_FIELD in query.columns
        for page in read_pages(client, request, paginator, records_path, query.entity):
            if wanted:
                page = Page([{**r, **extra(query, r)} for r in page.records], page.size)
            yield page

    return read


def with_query(query: Query, record: Mapping[str, Any]) -> dict[str, Any]:
    """`query`: the flow's search (`*` without one)."""
    return {QUERY_FIELD: user_query(query)}


def series_extra(query: Query, record: Mapping[str, Any]) -> dict[str, Any]:
    """`query` and `from_to_date` (the series' first point) for a metrics series."""
    return {QUERY_FIELD: user_query(query), "from_to_date": record.get("start")}


def earliest(records_path: str, time_path: str, first_only: Callable[[Request], Request]
             ) -> Callable[[RestClient, Query, Request], float | None]:
    """A `TimeSlices.earliest`: one request for the oldest matching record (the read's own search,
    sorted oldest first, one record a page) and its time in epoch seconds; None when nothing matches."""

    def probe(client: RestClient, query: Query, request: Request) -> float | None:
        answer = client.call(first_only(request))
        records = body_path(answer.body, records_path)
        if not isinstance(records, list) or not records:
            return None
        micros = parse_micros(str(body_path(records[0], time_path) or ""))
        return None if micros is None else micros / 1_000_000

    return probe


def one_log(request: Request) -> Request:
    """The Logs search asking for the oldest log only."""
    body = dict(request.json or {})
    body["page"] = {**body.get("page", {}), "limit": 1}
    body["sort"] = "timestamp"
    body["page"].pop("cursor", None)
    return request.replace(json=body)


def one_event(request: Request) -> Request:
    """The Events list asking for the oldest event only."""
    params = {k: v for k, v in request.params.items() if k != "page[cursor]"}
    return request.replace(params={**params, "page[limit]": 1, "sort": "timestamp"})
