"""Reading Singular's asynchronous reports (connectors layer, Singular).

https://support.singular.net/hc/en-us/articles/360045245692-Reporting-API-Reference and "How to Query
the Singular Reporting API" (https://support.singular.net/hc/en-us/articles/360056293692):

1. `POST /api/v2.0/create_async_report` (form fields `start_date`, `end_date`, `time_breakdown`,
   `dimensions`, `metrics`, `format`, and the optional `app`, `source`, `filters`) answers
   `{"status": 0, "value": {"report_id": ...}}`;
2. `GET /api/v2.0/get_report_status?report_id=` answers the report's `status` - QUEUED, STARTED,
   DONE or FAILED - and, once DONE, a `download_url` that expires;
3. the report is downloaded from that URL (it carries its own authorization: Sluice does not send the
   API key with it).

Singular recommends one day per query, and allows 100 async reports at once and 200K rows per report.
Sluice asks for one report per day of the run, keeps at most `IN_FLIGHT` of them running, checks them
in turn (waiting `POLL_FIRST` seconds, doubling to `POLL_MAX`, between rounds) and hands the days on
oldest first. The days: EQUAL_TO filters on `start_date`, else the incremental window's days (those
whose midnight is inside it, so each day is read by exactly one window), else the last
`DEFAULT_DAYS` days (AppFlow's limit for a Singular flow).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Entity, Field, Page, Query
from sluice.literals import parse_micros

from .fields import DAY, FILTERABLE, describe, is_metric

IN_FLIGHT = 10
POLL_FIRST = 0.5
POLL_MAX = 10.0
DEFAULT_DAYS = 30
MAX_POLL_SECONDS = 1800.0


def days_of(query: Query, today: date | None = None) -> list[date]:
    """The days the run reads (see the module docstring)."""
    named = sorted({d for c in query.on(DAY) if c.operator == "EQUAL_TO" for d in map(_day, c.values) if d})
    if named:
        return named
    if query.window_field == DAY and query.window_end is not None:
        end = datetime.fromtimestamp(query.window_end, UTC).date()
        if query.window_start is None:
            start = end - timedelta(days=DEFAULT_DAYS - 1)
        else:
            moment = datetime.fromtimestamp(query.window_start, UTC)
            # The first midnight strictly after the window's start.
            start = moment.date() + timedelta(days=1)
        return [start + timedelta(days=n) for n in range((end - start).days + 1)]
    last = today or datetime.now(UTC).date()
    return [last - timedelta(days=n) for n in range(DEFAULT_DAYS - 1, -1, -1)]


def _day(text: str) -> date | None:
    micros = parse_micros(text)
    if micros is None:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None
    return datetime.fromtimestamp(micros / 1_000_000, UTC).date()


def report_form(query: Query, fields: list[Field], day: date) -> dict[str, str]:
    """The create_async_report form for one day: the flow's dimensions, metrics and filters."""
    chosen = [f for f in fields if f.name in set(query.columns) and f.name != DAY] or [
        f for f in fields if f.name != DAY]
    form = {"start_date": day.isoformat(), "end_date": day.isoformat(), "time_breakdown": "day", "format": "json",
            "dimensions": ",".join(f.name for f in chosen if not is_metric(f)),
            "metrics": ",".join(f.name for f in chosen if is_metric(f)), "country_code_format": "iso3"}
    filters = []
    for name in sorted({c.field for c in query.conditions if c.operator == "EQUAL_TO" and c.field != DAY}):
        values = sorted({v for c in query.on(name) if c.operator == "EQUAL_TO" for v in c.values})
        if len(query.on(name)) > 1:
            continue  # several EQUAL_TOs on one field: Sluice's engine applies them
        if name in ("app", "source"):
            form[name] = ",".join(values)
        elif name in FILTERABLE or any(f.name == name and f.values for f in fields):
            filters.append({"dimension": name, "operator": "in", "values": values})
    if filters:
        form["filters"] = orjson.dumps(filters).decode()
    return form


def reader(entity_of: Callable[[], Entity], sleep: Callable[[float], None] = time.sleep
           ) -> Callable[[RestClient, Query, Request], Iterator[Page]]:
    """`Entity.read` of the report: one async report per day (module docstring)."""

    def read(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
        fields = describe(client, entity_of())
        days = days_of(query)
        pending = list(days)
        running: dict[date, str] = {}
        ready: dict[date, str] = {}
        wait = POLL_FIRST
        for day in days:
            waited = 0.0  # how long this day's report has kept the run waiting
            while day not in ready:
                while pending and len(running) < IN_FLIGHT:
                    started = pending.pop(0)
                    running[started] = create(client, report_form(query, fields, started))
                progressed = False
                for started, report_id in list(running.items()):
                    url = status(client, report_id, started)
                    if url is not None:
                        ready[started] = url
                        del running[started]
                        progressed = True
                if day in ready:
                    break
                if waited > MAX_POLL_SECONDS:
                    raise ConnectorError("ServerError", f"Singular's report for {day} was not done after "
                                         f"{MAX_POLL_SECONDS:.0f} s")
                sleep(wait)
                waited += wait
                wait = POLL_FIRST if progressed else min(POLL_MAX, wait * 2)
            url = ready.pop(day)
            records, size = download(client, url)
            yield Page(records, size)

    return read


def create(client: RestClient, form: dict[str, str]) -> str:
    """Start a report; its id."""
    body = client.json(Request("POST", "/api/v2.0/create_async_report", data=form, idempotent=False))
    report_id = (body.get("value") or {}).get("report_id") if isinstance(body, dict) else None
    if not report_id:
        raise ConnectorError("ServerError", "Singular's create_async_report answer has no report_id")
    return str(report_id)


def status(client: RestClient, report_id: str, day: date) -> str | None:
    """The report's download URL once DONE; None while QUEUED or STARTED; FAILED is an error."""
    body = client.json(Request("GET", "/api/v2.0/get_report_status", {"report_id": report_id}))
    value = body.get("value") if isinstance(body, dict) else None
    state = str((value or {}).get("status") or "")
    if state == "DONE":
        url = str(value.get("download_url") or "") if isinstance(value, dict) else ""
        if not url:
            raise ConnectorError("ServerError", f"Singular's report {report_id} is DONE without a download_url")
        return url
    if state == "FAILED":
        reason = (value or {}).get("error") or (value or {}).get("message") or "no reason given"
        raise ConnectorError("ServerError", f"Singular's report for {day} failed: {reason}")
    return None


def download(client: RestClient, url: str) -> tuple[list[Any], int]:
    """The rows of a finished report (its JSON answer's `value.results`, `results`, or a list)."""
    answer = client.call(Request("GET", url, authenticated=False))
    body = answer.body
    rows = body
    if isinstance(body, dict):
        rows = (body.get("value") or {}).get("results") if isinstance(body.get("value"), dict) else body.get("results")
    if not isinstance(rows, list):
        raise ConnectorError("ServerError", "Singular's report download holds no result rows")
    return rows, len(answer.response.content)
