"""Reading Amplitude's Export API without holding an export in memory (connectors layer, Amplitude).

https://amplitude.com/docs/apis/analytics/export : `GET /api/2/export?start=YYYYMMDDTHH&end=YYYYMMDDTHH`
answers a zip archive holding one gzipped JSON-lines file per hour of data (`<project>_<date>_<hour>#<n>.json.gz`);
both hours are inclusive and are hours of `server_upload_time` (UTC). A range holding no data is answered
404, an export over 4 GB is refused with 400, a range may not span more than 365 days, and data is
exportable about two hours after Amplitude received it.

How Sluice reads it:

* the hours come from the run: a BETWEEN filter on `server_upload_time` and the incremental
  window, narrowed together (`Query.time_range`); without either, the last 365 days;
* the range is asked for in slices of `SLICE_HOURS` hours, oldest first; a slice Amplitude refuses
  as too large (400) is asked for again in halves, down to one hour;
* each answer is streamed to a temporary file (`RestClient.call(into=...)`), then its members are
  read in name (hour) order, each gunzipped and split into lines as it is read: memory holds one
  page of `PAGE` events, whatever the export's size;
* the source keeps only events inside the incremental window, so an event lands exactly once.
"""

from __future__ import annotations

import gzip
import tempfile
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

import orjson

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Page, Query

FIELD = "server_upload_time"
SLICE_HOURS = 24
PAGE = 2000  # events per page: ~20 MB of Python objects at ~1.5 KB of JSON each
MAX_DAYS = 365
HOUR = timedelta(hours=1)


def hour_text(hour: datetime) -> str:
    """An hour as the Export API writes it: `20240301T05`."""
    return hour.strftime("%Y%m%dT%H")


def hours_of(query: Query, now: float | None = None) -> tuple[datetime, datetime]:
    """(first hour, last hour), both inclusive, that hold every event the run may want."""
    lower, upper = query.time_range(FIELD)
    upper = time.time() if upper is None else upper
    lower = upper - MAX_DAYS * 86400 if lower is None else lower
    first = datetime.fromtimestamp(lower, UTC).replace(minute=0, second=0, microsecond=0)
    last = datetime.fromtimestamp(upper, UTC).replace(minute=0, second=0, microsecond=0)
    return first, max(first, last)


def slices(first: datetime, last: datetime, size: int = SLICE_HOURS) -> Iterator[tuple[datetime, datetime]]:
    """Inclusive hour ranges of at most `size` hours covering first..last."""
    start = first
    while start <= last:
        end = min(last, start + (size - 1) * HOUR)
        yield start, end
        start = end + HOUR


def read_export(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
    """`Entity.read` of `events`: every event of the run's hours, one page of `PAGE` events at a time."""
    first, last = hours_of(query)
    pending = list(slices(first, last))
    pending.reverse()
    with tempfile.TemporaryFile(prefix="sluice-amplitude-") as spool:
        while pending:
            start, end = pending.pop()
            status = _download(client, request, start, end, spool)
            if status == 404:  # no data in these hours
                continue
            if status == 400:
                reason = _text(spool)
                if not _too_large(reason):
                    raise ConnectorError("InvalidArgument", f"Amplitude refused the export of {hour_text(start)}.."
                                         f"{hour_text(end)}: {reason}")
                if start == end:
                    raise ConnectorError("InvalidArgument", "Amplitude refused the export of the hour "
                                         f"{hour_text(start)} as too large (over 4 GB): {reason}; "
                                         "use Amplitude's S3 export")
                middle = start + ((end - start) // HOUR // 2) * HOUR
                pending += [(middle + HOUR, end), (start, middle)]  # popped oldest first
                continue
            yield from events_in(spool)


def _download(client: RestClient, request: Request, start: datetime, end: datetime, spool: BinaryIO) -> int:
    """Stream one range's answer into `spool`; its HTTP status (200, 400 or 404)."""
    ranged = request.replace(params={**request.params, "start": hour_text(start), "end": hour_text(end)})
    answer = client.call(ranged, expect=(200, 400, 404), into=spool)
    return answer.response.status_code


def _too_large(reason: str) -> bool:
    """Amplitude's 400 for an export over its size limit (a 400 for a malformed range is not split)."""
    lowered = reason.lower()
    return "too large" in lowered or "size" in lowered or "4gb" in lowered.replace(" ", "")


def _text(spool: BinaryIO) -> str:
    spool.seek(0)
    return spool.read(300).decode("utf-8", "replace").strip()


def events_in(spool: BinaryIO) -> Iterator[Page]:
    """The events of a spooled export archive, in pages; each member gunzipped line by line."""
    spool.seek(0)
    try:
        archive = zipfile.ZipFile(spool)
    except zipfile.BadZipFile:
        raise ConnectorError("ServerError", "Amplitude's export answer is not a zip archive") from None
    with archive:
        page: list[dict[str, Any]] = []
        size = 0
        for member in sorted(archive.infolist(), key=lambda m: m.filename):
            if member.is_dir():
                continue
            with archive.open(member) as raw, gzip.GzipFile(fileobj=raw) as lines:
                try:
                    for line in lines:
                        if not line.strip():
                            continue
                        page.append(orjson.loads(line))
                        size += len(line)
                        if len(page) >= PAGE:
                            yield Page(page, size)
                            page, size = [], 0
                except (OSError, EOFError, orjson.JSONDecodeError) as exc:
                    raise ConnectorError("ServerError", f"Amplitude's export member {member.filename} could not be "
                                         f"read ({type(exc).__name__})") from None
        if page:
            yield Page(page, size)
