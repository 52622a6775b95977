"""Reading leads through Marketo's Bulk Lead Extract (connectors layer, Marketo).

Marketo offers no call that lists every lead (Get Leads by Filter Type needs the values to match), so
leads are read the way Marketo recommends for ETL: export jobs
(https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/bulk-extract/bulk-lead-extract).
Per span of at most 31 days: `POST /bulk/v1/leads/export/create.json` with the flow's fields and one date
filter, `.../enqueue.json`, `.../status.json` until `Completed`, then `.../file.json` (CSV, `null` for
empty values).

Which filter: `updatedAt` when the run is incremental on updatedAt or a Filter task bounds updatedAt;
else `createdAt` (bounded by a Filter task, or the whole history: from the oldest lead's creation, found
by asking for the first lead ids, to now). Marketo refreshes a job's status once a minute, so polls
back off from `SLUICE_REST_BACKOFF_BASE` seconds up to a minute.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.marketo import windows
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Page, Query
from sluice.settings import current

PAGE_ROWS = 5_000
MAX_POLL_WAIT = 60.0
PROBE_IDS = 300
FINAL = ("Completed", "Failed", "Cancelled", "Canceled")


def lead_range(client: RestClient, query: Query, now: dt.datetime) -> tuple[str, dt.datetime, dt.datetime]:
    """(filter type, low, high) of the export: see the module docstring."""
    kind = "updatedAt"
    low_s, high_s = query.time_range("updatedAt")
    if low_s is None and high_s is None:
        kind = "createdAt"
        low_s, high_s = query.time_range("createdAt")
    low = windows.floor_second(low_s) if low_s is not None else oldest_lead(client)
    high = windows.ceil_second(high_s) if high_s is not None else now
    return kind, low, high


def oldest_lead(client: RestClient) -> dt.datetime:
    """When the oldest lead was created, judged from the first lead ids (ids grow with creation)."""
    body = client.json(Request("GET", "/rest/v1/leads.json", {
        "filterType": "id", "filterValues": ",".join(str(i) for i in range(1, PROBE_IDS + 1)),
        "fields": "id,createdAt"}))
    found = [windows.parse(str(r.get("createdAt") or "")) for r in body.get("result") or []]
    moments = [m for m in found if m is not None]
    if not moments:
        return windows.EARLIEST
    oldest = min(moments)
    return oldest.replace(hour=0, minute=0, second=0, microsecond=0)


class ExportJob:
    """One bulk export job (leads or activities): create, enqueue, wait, download."""

    def __init__(self, client: RestClient, entity: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.entity = entity
        self.sleep = sleep
        self.export_id = ""

    def run(self, body: Mapping[str, Any]) -> bytes:
        """The file of a job created with `body`, once Marketo completed it."""
        created = self._result(self.client.json(Request("POST", f"/bulk/v1/{self.entity}/export/create.json",
                                                        json=dict(body))))
        self.export_id = str(created["exportId"])
        base = f"/bulk/v1/{self.entity}/export/{self.export_id}"
        self._result(self.client.json(Request("POST", f"{base}/enqueue.json", json={})))
        wait = max(current().rest.backoff_base, 0.01)
        while True:
            status = self._result(self.client.get(f"{base}/status.json"))
            state = str(status.get("status"))
            if state == "Completed":
                break
            if state in FINAL:
                reason = status.get("errorMsg") or "no reason given"
                raise ConnectorError("ServerError", f"Marketo's {self.entity} export {self.export_id} ended "
                                     f"{state}: {reason}")
            self.sleep(wait)
            wait = min(wait * 2, MAX_POLL_WAIT)
        answer = self.client.call(Request("GET", f"{base}/file.json", headers={"Accept": "text/csv"}))
        return answer.response.content

    def _result(self, body: Any) -> Mapping[str, Any]:
        results = body.get("result") if isinstance(body, Mapping) else None
        if not results or not isinstance(results[0], Mapping):
            raise ConnectorError("ServerError", f"Marketo's {self.entity} export answer has no job")
        return results[0]


def csv_records(content: bytes) -> Iterator[list[dict[str, Any]]]:
    """The rows of an export file, in pages of PAGE_ROWS; Marketo writes `null` for an empty value."""
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    page: list[dict[str, Any]] = []
    for row in reader:
        page.append({k: (None if v == "null" else v) for k, v in row.items()})
        if len(page) >= PAGE_ROWS:
            yield page
            page = []
    if page:
        yield page


def read_leads(client: RestClient, query: Query, request: Request) -> Iterator[Page]:
    """Every lead the query asks for, span by span (`Entity.read` of leads)."""
    columns = list(dict.fromkeys(["id", *query.columns]))
    kind, low, high = lead_range(client, query, dt.datetime.now(dt.UTC).replace(microsecond=0))
    for start, end in windows.spans(low, high):
        job = ExportJob(client, "leads")
        content = job.run({"fields": columns, "format": "CSV",
                           "filter": {kind: {"startAt": windows.text(start), "endAt": windows.text(end)}}})
        for number, records in enumerate(csv_records(content)):
            # The whole file's size is counted once, with its first page.
            yield Page(records, len(content) if number == 0 else 0)
