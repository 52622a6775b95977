"""Reading activities through Get Lead Activities and date-based paging tokens (connectors layer, Marketo).

Per the Activities and Paging Tokens pages: `GET /rest/v1/activities/pagingtoken.json?sinceDatetime=...`
gives a token for a moment; `GET /rest/v1/activities.json?nextPageToken&activityTypeIds&batchSize` returns up
to 300 activities after it, a new `nextPageToken` and `moreResult`. A call takes at most ten activity type
ids, so the types (`/rest/v1/activities/types.json`) are read in groups of ten, each group from its own
token. A page may hold fewer than `batchSize` activities (even none) while `moreResult` is true; the read
goes on until `moreResult` is false or a page passes the range's upper bound.

The lower bound is the incremental window's start or a GREATER_THAN/BETWEEN filter on activityDate
(pushed down as `sinceDatetime`); without one the read starts at the beginning of Marketo time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sluice.connectors.marketo import windows
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Page, Query

BATCH = 300
TYPES_PER_CALL = 10


def activity_types(client: RestClient) -> list[int]:
    """The subscription's activity type ids."""
    body = client.get("/rest/v1/activities/types.json")
    return sorted(int(t["id"]) for t in body.get("result") or [] if isinstance(t, dict) and "id" in t)


def read_activities(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
    """The activities in the query's range (`Entity.read` of activities)."""
    low_s, high_s = query.time_range("activityDate")
    since = windows.floor_second(low_s) if low_s is not None else windows.EARLIEST
    high = windows.ceil_second(high_s) if high_s is not None else None
    types = activity_types(client)
    for first in range(0, len(types), TYPES_PER_CALL):
        group = ",".join(str(t) for t in types[first:first + TYPES_PER_CALL])
        token = client.get("/rest/v1/activities/pagingtoken.json", sinceDatetime=windows.text(since))
        next_token = token.get("nextPageToken")
        while next_token:
            answer = client.call(Request("GET", "/rest/v1/activities.json", {
                "nextPageToken": next_token, "activityTypeIds": group, "batchSize": BATCH}))
            body = answer.body or {}
            records = body.get("result") or []
            past = high is not None and any(_after(r.get("activityDate"), high) for r in records)
            yield Page(records, len(answer.response.content))
            if past or not body.get("moreResult"):
                break
            next_token = body.get("nextPageToken")


def _after(value: object, high: dt.datetime) -> bool:
    moment = windows.parse(str(value)) if value else None
    return moment is not None and moment > high
