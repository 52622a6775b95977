"""Logs search, `POST /api/v2/logs/events/search` and `GET /api/v2/logs/events` (fake side).

Follows https://docs.datadoghq.com/api/latest/logs/#search-logs and #search-logs-get: `filter` {query
(default `*`), from (default `now-15m`), to (default `now`), indexes (default all), storage_tier}, `sort`
(`timestamp` or `-timestamp`), `page` {cursor, limit (default 10, at most 1000)}. The answer is `data`
(Log objects), `links.next` and `meta` {elapsed, page.after, request_id, status}. `from` is inclusive and
`to` exclusive here (Datadog does not say; half-open windows never count a boundary log twice).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from starlette.requests import Request

from .errors import DatadogError
from .paging import decode_cursor, encode_cursor, next_link, page_limit, sort_order
from .search import QuerySyntaxError, compile_query
from .state import DatadogState, log_view, matching, public_log
from .timeparse import TimeFormatError, iso_ms, parse_time_ms

STORAGE_TIERS = ("indexes", "online-archives", "flex")


async def search_post(request: Request, state: DatadogState, body: Any) -> dict[str, Any]:
    """The POST form: the search is in the JSON body."""
    body = body or {}
    if not isinstance(body, dict):
        raise DatadogError(400, "Request body must be a JSON object")
    flt = body.get("filter") or {}
    page = body.get("page") or {}
    indexes = flt.get("indexes")
    if indexes is not None and not isinstance(indexes, list):
        raise DatadogError(400, "filter.indexes must be a list")
    return _search(request, state, query=flt.get("query"), from_=flt.get("from"), to=flt.get("to"),
                   indexes=indexes, tier=flt.get("storage_tier"), sort=body.get("sort"),
                   cursor=page.get("cursor"), limit=page.get("limit"))


async def search_get(request: Request, state: DatadogState, body: Any) -> dict[str, Any]:
    """The GET form: the same search in `filter[...]`, `sort` and `page[...]` query parameters."""
    q = request.query_params
    indexes = q.get("filter[indexes]")
    return _search(request, state, query=q.get("filter[query]"), from_=q.get("filter[from]"),
                   to=q.get("filter[to]"), indexes=indexes.split(",") if indexes else None,
                   tier=q.get("filter[storage_tier]"), sort=q.get("sort"), cursor=q.get("page[cursor]"),
                   limit=q.get("page[limit]"))


def _search(request: Request, state: DatadogState, *, query: str | None, from_: str | None, to: str | None,
            indexes: list[str] | None, tier: str | None, sort: str | None, cursor: str | None,
            limit: Any) -> dict[str, Any]:
    started = time.perf_counter()
    now = state.now_ms()
    try:
        lo = parse_time_ms(str(from_ or "now-15m"), now)
        hi = parse_time_ms(str(to or "now"), now)
        predicate = compile_query(query)
    except (TimeFormatError, QuerySyntaxError) as exc:
        raise DatadogError(400, str(exc)) from None
    if tier not in (None, *STORAGE_TIERS):
        raise DatadogError(400, f"Invalid storage_tier: {tier}")
    descending = sort_order(sort)
    size = page_limit(limit)
    after = decode_cursor(cursor)
    wanted = None if not indexes or "*" in indexes else set(indexes)

    def keep(record: dict[str, Any]) -> bool:
        return (wanted is None or record["index"] in wanted) and predicate(log_view(record))

    # Only the standard indexes hold the seeded logs; Flex and online archives are empty in this org.
    found, more = ([], False) if tier not in (None, "indexes") else matching(
        state.logs.scan(lo, hi, after, descending), keep, size)
    answer: dict[str, Any] = {
        "data": [public_log(record, iso_ms) for _, record in found],
        "meta": {"elapsed": int((time.perf_counter() - started) * 1000), "request_id": f"pddv1{uuid.uuid4().hex}",
                 "status": "done"},
    }
    if more:
        next_cursor = encode_cursor(found[-1][0])
        answer["meta"]["page"] = {"after": next_cursor}
        params = {"filter[query]": query or "*", "filter[from]": iso_ms(lo), "filter[to]": iso_ms(hi),
                  "sort": "-timestamp" if descending else "timestamp", "page[limit]": str(size)}
        if wanted is not None:
            params["filter[indexes]"] = ",".join(sorted(wanted))
        answer["links"] = {"next": next_link(str(request.base_url).rstrip("/"), "/api/v2/logs/events", params,
                                             next_cursor)}
    return answer
