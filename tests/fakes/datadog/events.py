"""Events lists: v1 `GET /api/v1/events` and v2 `GET /api/v2/events` (fake side).

v1 (https://docs.datadoghq.com/api/latest/events/#get-a-list-of-events): required POSIX-second `start` and
`end` (both inclusive), optional `priority`, `sources` and `tags` (comma-separated), `unaggregated`,
`exclude_aggregate` and `page`; at most 1000 events, newest first, answered as `{"events": [...],
"status": "ok"}`. `page` selects the n-th 1000 and, as documented, only counts when `unaggregated` or
`exclude_aggregate` is true. The fake's events are never aggregated.

v2 (https://docs.datadoghq.com/api/latest/events/#get-a-list-of-events, v2): `filter[query]`,
`filter[from]`, `filter[to]` (ISO, milliseconds or date math; default the last 15 minutes), `sort`,
`page[cursor]` and `page[limit]` (default 10, at most 1000), answered like the Logs search.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from starlette.requests import Request

from .errors import DatadogError
from .paging import decode_cursor, encode_cursor, next_link, page_limit, sort_order
from .search import QuerySyntaxError, compile_query
from .state import DatadogState, event_view, matching
from .timeparse import TimeFormatError, iso_ms, parse_time_ms, posix_seconds_params

V1_PAGE = 1000
V2_STATUS = {"info": "info", "warning": "warning", "error": "error", "success": "success"}


def _true(value: str | None) -> bool:
    return (value or "").lower() == "true"


def v1_event(record: dict[str, Any]) -> dict[str, Any]:
    """A stored event as the v1 API answers it."""
    event_id = record["id"]
    return {
        "alert_type": record["alert_type"], "date_happened": record["timestamp_ms"] // 1000,
        "device_name": record["device_name"], "host": record["host"], "id": event_id, "id_str": str(event_id),
        "payload": record["payload"], "priority": record["priority"],
        "source_type_name": record["source_type_name"], "tags": record["tags"], "text": record["text"],
        "title": record["title"], "url": f"/event/event?id={event_id}",
    }


def v2_event(record: dict[str, Any]) -> dict[str, Any]:
    """A stored event as the v2 API answers it."""
    event_id = str(record["id"])
    inner = {
        "aggregation_key": record["aggregation_key"], "date_happened": record["timestamp_ms"] // 1000,
        "evt": {"id": event_id, "name": record["title"], "source_id": 1, "type": record["source_type_name"]},
        "hostname": record["host"], "priority": record["priority"], "service": record["service"],
        "source_type_name": record["source_type_name"], "status": V2_STATUS[record["alert_type"]],
        "tags": record["tags"], "timestamp": record["timestamp_ms"], "title": record["title"],
    }
    return {"id": event_id, "type": "event",
            "attributes": {"attributes": inner, "message": record["text"], "tags": record["tags"],
                           "timestamp": iso_ms(record["timestamp_ms"])}}


async def list_v1(request: Request, state: DatadogState, body: Any) -> dict[str, Any]:
    """`GET /api/v1/events`."""
    q = request.query_params
    start, end = posix_seconds_params(q, "start", "end")
    priority = q.get("priority")
    if priority not in (None, "", "low", "normal"):
        raise DatadogError(400, f"Invalid priority: {priority}")
    sources = {s.strip() for s in (q.get("sources") or "").split(",") if s.strip()}
    tags = [t.strip() for t in (q.get("tags") or "").split(",") if t.strip()]
    page = 0
    if _true(q.get("unaggregated")) or _true(q.get("exclude_aggregate")):
        try:
            page = int(q.get("page") or 0)
        except ValueError:
            raise DatadogError(400, "Invalid value for parameter page") from None

    def keep(record: dict[str, Any]) -> bool:
        return ((not priority or record["priority"] == priority)
                and (not sources or record["source_type_name"] in sources)
                and all(tag in record["tags"] for tag in tags))

    found, skipped = [], 0
    for _, record in state.events.scan(start * 1000, (end + 1) * 1000, None, descending=True):
        if not keep(record):
            continue
        if skipped < page * V1_PAGE:
            skipped += 1
            continue
        found.append(v1_event(record))
        if len(found) == V1_PAGE:
            break
    return {"events": found, "status": "ok"}


async def list_v2(request: Request, state: DatadogState, body: Any) -> dict[str, Any]:
    """`GET /api/v2/events`."""
    started = time.perf_counter()
    q = request.query_params
    now = state.now_ms()
    try:
        lo = parse_time_ms(q.get("filter[from]") or "now-15m", now)
        hi = parse_time_ms(q.get("filter[to]") or "now", now)
        predicate = compile_query(q.get("filter[query]"))
    except (TimeFormatError, QuerySyntaxError) as exc:
        raise DatadogError(400, str(exc)) from None
    descending = sort_order(q.get("sort"))
    size = page_limit(q.get("page[limit]"))
    found, more = matching(state.events.scan(lo, hi, decode_cursor(q.get("page[cursor]")), descending),
                           lambda record: predicate(event_view(record)), size)
    answer: dict[str, Any] = {
        "data": [v2_event(record) for _, record in found],
        "meta": {"elapsed": int((time.perf_counter() - started) * 1000), "request_id": uuid.uuid4().hex,
                 "status": "done"},
    }
    if more:
        cursor = encode_cursor(found[-1][0])
        answer["meta"]["page"] = {"after": cursor}
        params = {"filter[query]": q.get("filter[query]") or "*", "filter[from]": str(lo), "filter[to]": str(hi),
                  "sort": "-timestamp" if descending else "timestamp", "page[limit]": str(size)}
        answer["links"] = {"next": next_link(str(request.base_url).rstrip("/"), "/api/v2/events", params, cursor)}
    return answer
