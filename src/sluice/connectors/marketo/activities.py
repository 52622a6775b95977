"""Reading activities (connectors layer, Marketo): paging tokens for bounded reads, Bulk Activity Extract for
the whole history.

A read with a lower bound (an incremental window, or a GREATER_THAN/BETWEEN filter on activityDate) uses
Get Lead Activities, per the Activities and Paging Tokens pages: `pagingtoken.json?sinceDatetime=...` gives
a token for a moment (the lower bound is pushed down there); `activities.json?nextPageToken&activityTypeIds
&batchSize` returns up to 300 activities after it, a new `nextPageToken` and `moreResult`. A call takes at
most ten activity type ids, so the types (`activities/types.json`) are read in groups of ten, each group
from its own token. A page may hold fewer than `batchSize` activities (even none) while `moreResult` is
true; the read goes on until `moreResult` is false or a page passes the range's upper bound.

A read without a lower bound (a full pull) uses Bulk Activity Extract instead (bulk.py's ExportJob, one
job per 31 days of `createdAt` from the oldest lead's creation to now), as Marketo recommends for large
pulls: a few calls per month of history instead of one per 300 activities. Its CSV has the REST answer's
columns except `id`, with `attributes` as JSON text; both are restored so either path gives the same rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from sluice.connectors.marketo import windows
from sluice.connectors.marketo.bulk import ExportJob, csv_records, oldest_lead
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
    high = windows.ceil_second(high_s) if high_s is not None else None
    if low_s is None:
        yield from bulk_activities(client, high)
        return
    since = windows.floor_second(low_s)
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


def bulk_activities(client: RestClient, high: dt.datetime | None) -> Iterator[Page]:
    """Every activity up to `high` (or now), by export jobs of at most 31 days."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    end = high or now
    for start, stop in windows.spans(oldest_lead(client), end):
        content = ExportJob(client, "activities").run({"format": "CSV", "filter": {
            "createdAt": {"startAt": windows.text(start), "endAt": windows.text(stop)}}})
        for number, records in enumerate(csv_records(content)):
            yield Page([restored(r) for r in records], len(content) if number == 0 else 0)


def restored(row: dict[str, Any]) -> dict[str, Any]:
    """An export row shaped like a Get Lead Activities record: `attributes` parsed, `id` from the GUID
    (Marketo's numeric GUIDs are the activity ids; the Activities page says the GUID replaces the id)."""
    text = row.get("attributes")
    if isinstance(text, str) and text:
        # Unreadable text stays as it is; the converter stores a value that is not a list as null.
        with contextlib.suppress(ValueError):
            row["attributes"] = json.loads(text)
    guid = row.get("marketoGUID")
    if isinstance(guid, str) and guid.isdigit():
        row["id"] = int(guid)
    return row
