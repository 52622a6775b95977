"""Bulk API 2.0 query jobs (connectors layer): create, wait, and read the result pages as Arrow tables.

`BulkQuery` creates a `query`/`queryAll` job and polls it with growing delays (0.2 s, growing by a
quarter, at most 2 s apart in the first minute and 5 s after; `settings.bulk_max_wait()` in all),
aborting it when the run is canceled. It then reads the result pages (`maxRecords` =
`settings.bulk_page_records()`, following `Sforce-Locator` until `null`): a background thread
downloads the next page into Arrow memory while the caller parses the current one with
`parse_page` (`pyarrow.csv`, in C). At most two pages are held, whatever the number of records,
and no Python object is built per record.

Bulk API 2.0 cannot query compound fields (address, location); callers leave them out of the
SOQL (AppFlow documents that Bulk API 2.0 does not transfer them).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from sluice.connectors.base import ConnectorError
from sluice.connectors.salesforce import settings, types
from sluice.connectors.salesforce.client import SalesforceClient

log = logging.getLogger(__name__)

FIRST_POLL = 0.2
POLL_GROWTH = 1.25
# Polls are API calls: at most every 2 s during a job's first minute (most jobs finish by then,
# and a late look delays the whole run), then every 5 s.
MAX_POLL_EARLY = 2.0
MAX_POLL = 5.0
EARLY_SECONDS = 60.0
# Result pages held at once: the one being parsed and the next one downloading.
PAGES_IN_MEMORY = 2
CSV_BLOCK_SIZE = 1024 * 1024
_DONE = object()


class Page:
    """One result page: its CSV body in an Arrow buffer, and the record count Salesforce announced."""

    def __init__(self, body: pa.Buffer, records: int | None) -> None:
        self.body = body
        self.records = records
        self.size = body.size


class BulkQuery:
    """One Bulk API 2.0 query job, from creation to its last result page."""

    def __init__(
        self,
        client: SalesforceClient,
        soql: str,
        *,
        include_deleted: bool = False,
        should_stop: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.soql = soql
        self.operation = "queryAll" if include_deleted else "query"
        self.should_stop = should_stop
        self.sleep = sleep
        self.job_id: str | None = None
        self.bytes_read = 0
        self.pages_read = 0

    def _job_path(self, suffix: str = "") -> str:
        return self.client.data_path(f"jobs/query/{self.job_id}{suffix}")

    def create(self) -> str:
        """Create the job; its id."""
        body = self.client.request(
            "POST",
            self.client.data_path("jobs/query"),
            json={"operation": self.operation, "query": self.soql, "contentType": "CSV",
                  "columnDelimiter": "COMMA", "lineEnding": "LF"},
        ).json()
        if not isinstance(body, dict) or not body.get("id"):
            raise ConnectorError("ServerError", "Salesforce did not answer the Bulk query job with a job id")
        self.job_id = str(body["id"])
        return self.job_id

    def wait(self) -> bool:
        """Poll until the job completes; False when the run was canceled (the job is aborted)."""
        started = time.monotonic()
        deadline = started + settings.bulk_max_wait()
        delay = FIRST_POLL
        while True:
            if self.should_stop():
                self.abort()
                return False
            info = self.client.request("GET", self._job_path()).json()
            state = str(info.get("state") or "")
            if state == "JobComplete":
                return True
            if state in ("Failed", "Aborted"):
                message = info.get("errorMessage") or f"the job ended in state {state}"
                raise ConnectorError(
                    "ServerError", f"the Salesforce Bulk API 2.0 query job {self.job_id} {state.lower()}: {message}"
                )
            if time.monotonic() + delay > deadline:
                self.abort()
                raise ConnectorError(
                    "ConnectorTimeout",
                    f"the Salesforce Bulk API 2.0 query job {self.job_id} did not complete within "
                    f"{settings.bulk_max_wait():.0f} s (last state {state or 'unknown'}); it was aborted",
                )
            self.sleep(delay)
            cap = MAX_POLL_EARLY if time.monotonic() - started < EARLY_SECONDS else MAX_POLL
            delay = min(cap, delay * POLL_GROWTH)

    def abort(self) -> None:
        """Ask Salesforce to stop the job (best effort: the run is ending anyway)."""
        if self.job_id is None:
            return
        try:
            self.client.request("PATCH", self._job_path(), json={"state": "Aborted"})
        except ConnectorError as exc:
            log.info("could not abort Bulk query job %s: %s", self.job_id, exc.code)

    # -- results ------------------------------------------------------------------------------

    def _fetch_page(self, locator: str | None, stop: threading.Event) -> tuple[Page, str | None]:
        params: dict[str, Any] = {"maxRecords": settings.bulk_page_records()}
        if locator:
            params["locator"] = locator
        # The body goes straight into Arrow-allocated memory: many page-sized Python `bytes` would
        # fragment the C heap (glibc keeps such memory), and pyarrow parses the buffer without a copy.
        sink = pa.BufferOutputStream()
        with self.client.stream("GET", self._job_path("/results"), params=params,
                                headers={"Accept": "text/csv"}) as response:
            next_locator = response.headers.get("Sforce-Locator")
            announced = response.headers.get("Sforce-NumberOfRecords")
            for chunk in response.iter_bytes():
                if stop.is_set():
                    break
                sink.write(chunk)
        body = sink.getvalue()
        records = int(announced) if announced and announced.isdigit() else None
        if not next_locator or next_locator == "null":
            next_locator = None
        return Page(body, records), next_locator

    def pages(self) -> Iterator[Page]:
        """The result pages in order; the next page downloads while the caller uses the current one.

        At most PAGES_IN_MEMORY pages exist at once: the fetcher takes a permit per page, and a
        permit comes back when the caller asks for the following page (it is done with this one).
        """
        pending: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()
        budget = threading.Semaphore(PAGES_IN_MEMORY)

        def fetch() -> None:
            locator: str | None = None
            try:
                while not stop.is_set():
                    if not budget.acquire(timeout=0.1):
                        continue
                    page, locator = self._fetch_page(locator, stop)
                    pending.put(page)
                    if locator is None:
                        break
                pending.put(_DONE)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                pending.put(exc)

        worker = threading.Thread(target=fetch, name=f"sf-bulk-{self.job_id}", daemon=True)
        worker.start()
        try:
            while True:
                item = pending.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                self.pages_read += 1
                self.bytes_read += item.size
                yield item
                del item
                budget.release()
        finally:
            stop.set()
            worker.join()


def parse_page(page: Page, schema: pa.Schema) -> pa.Table:
    """A result page's CSV as a table of `schema` (columns in the schema's order)."""
    if page.records == 0 or page.size == 0:
        return schema.empty_table()
    try:
        table = pacsv.read_csv(
            pa.BufferReader(page.body),
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_SIZE, use_threads=False),
            parse_options=types.csv_parse_options(),
            convert_options=types.csv_convert_options(schema),
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            return schema.empty_table()
        raise ConnectorError("ServerError", f"a Bulk API 2.0 result page could not be read as CSV: {exc}") from None
    return table.select(schema.names).cast(schema)
