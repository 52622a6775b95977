"""Reading tickets, users and organizations through Zendesk's Incremental Exports (connectors layer, Zendesk).

https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/ and
"Using the Incremental Exports API":

* tickets and users use the cursor-based exports (`/incremental/{tickets,users}/cursor.json`):
  `start_time` on the first request, then each answer's `after_url`, until `end_of_stream`;
* organizations have only the time-based export (`/incremental/organizations.json`): each
  answer's `next_page` restarts at its `end_time`, so records of that second come again: they are
  dropped here (the docs leave de-duplication to the client);
* `start_time` is the push-down of the earliest change time a run wants: the incremental
  window's start, or a `GREATER_THAN` filter on `updated_at` (exports compare with the change
  time, which is never earlier than `updated_at`, so nothing the run wants is left out; the
  source keeps only records inside the window, and the engine applies the filter);
* Zendesk refuses a `start_time` under a minute old and leaves out changes from the last minute.
  So `start_time` is kept at least 61 s in the past, and a scheduled run whose window ends less
  than a minute ago first waits for that minute to pass: a change made just before the window's
  end would otherwise be in neither this run nor the next (whose window starts there). The wait
  runs on the scheduler's clock (`SLUICE_SCHEDULER_SPEEDUP` / `SLUICE_SCHEDULER_EPOCH`, read by
  `rest/clock.py`), which is the clock the window is measured on; it assumes Sluice's and
  Zendesk's clocks agree (NTP).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.clock import scheduler_clock
from sluice.connectors.rest.entities import Page, Query
from sluice.connectors.rest.pages import read_pages
from sluice.connectors.rest.paging import NextUrl

SETTLE = 61.0  # seconds: Zendesk's one-minute exclusion, plus a second of margin
PAGE = 1000  # the exports' largest page
MAX_WAIT = 65.0  # real seconds the settle wait may take, whatever the clocks say


def start_time(query: Query, now: float) -> int:
    """The export's `start_time`: the earliest change wanted, at least `SETTLE` seconds before `now`."""
    lower, _ = query.time_range("updated_at")
    wanted = 0 if lower is None else max(0, int(lower))  # whole seconds, rounded down: inclusive
    return min(wanted, int(now - SETTLE))


def settle(query: Query, sleep: Callable[[float], None] = time.sleep) -> None:
    """Wait until the window's end is a minute old, so Zendesk's export includes its last minute."""
    if query.window_end is None:
        return
    clock, speed = scheduler_clock()
    wait = (query.window_end + SETTLE - clock()) / speed
    if wait > 0:
        sleep(min(wait, MAX_WAIT))


# Each answer names the next page (`after_url`); the last one still does, and only
# `end_of_stream` says stop. An empty page before that is not the end.
EXPORT_PAGES = NextUrl("after_url", end_path="end_of_stream", stop_on_empty=False)


def cursor_export(records_key: str) -> Callable[[RestClient, Query, Request], Iterator[Page]]:
    """`Entity.read` for a cursor-based export answering `records_key`: the layer's page loop (one
    request ahead, so Zendesk prepares the next page while Sluice converts this one), after the
    settle wait and with `start_time` pushed down."""

    def read(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
        settle(query)
        clock, _ = scheduler_clock()
        first = request.replace(params={"start_time": start_time(query, clock()), "per_page": PAGE})
        yield from read_pages(client, first, EXPORT_PAGES, records_key, f"the {records_key} export")

    return read


def time_export(records_key: str) -> Callable[[RestClient, Query, Request], Iterator[Page]]:
    """`Entity.read` for a time-based export answering `records_key` (duplicates at page edges dropped)."""

    def read(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
        settle(query)
        clock, _ = scheduler_clock()
        current = request.replace(params={"start_time": start_time(query, clock()), "per_page": PAGE})
        edge: set[tuple[Any, Any]] = set()  # (id, updated_at) of the previous page's last second
        while True:
            answer = client.call(current)
            body = _object(answer.body)
            records = _list(body, records_key)
            fresh = [r for r in records if (r.get("id"), r.get("updated_at")) not in edge]
            yield Page(fresh, len(answer.response.content))
            if body.get("end_of_stream") or not body.get("next_page") or not records:
                return
            last = records[-1].get("updated_at")
            edge = {(r.get("id"), r.get("updated_at")) for r in records if r.get("updated_at") == last}
            current = request.replace(path=str(body["next_page"]), params={})

    return read


def _object(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ConnectorError("ServerError", "Zendesk answered an export request with a body that is not an object")
    return body


def _list(body: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    records = body.get(key)
    return [r for r in records if isinstance(r, Mapping)] if isinstance(records, list) else []
