"""Bulk API 2.0 query jobs (connectors layer): create, wait, and stream the result pages as Arrow batches.

`BulkQuery` creates a `query`/`queryAll` job and polls it with growing delays (0.2 s, growing by a
quarter, at most 0.25 s apart in the first 5 s, 1 s in the first minute, 2 s up to five minutes,
then 5 s; at most
`settings.bulk_max_wait()` in all), aborting it when the run is canceled. `pages()` then reads
the result pages (`maxRecords` = `settings.bulk_page_records()`, following `Sforce-Locator`
until `null`): one thread downloads, the caller parses each page as it arrives with `parse_page`
(`pyarrow.csv.open_csv`, in C), and the download runs at most `QUEUE_CHUNKS` MiB ahead. Memory
stays flat whatever the number of records, and no Python object is built per record.

Bulk API 2.0 cannot query compound fields (address, location); callers leave them out of the
SOQL (AppFlow documents that Bulk API 2.0 does not transfer them).
"""

from __future__ import annotations

import io
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.csv as pacsv

from sluice.connectors.base import ConnectorError
from sluice.connectors.salesforce import settings, types
from sluice.connectors.salesforce.client import SalesforceClient

log = logging.getLogger(__name__)

FIRST_POLL = 0.2
POLL_GROWTH = 1.25
# Polls are API calls, but a late look delays the whole run: most jobs finish within seconds or
# minutes, so polls are at most 0.25 s apart in a job's first 5 s (about 20 calls), 1 s in its
# first minute, 2 s until five minutes, then 5 s.
POLL_CAPS = ((5.0, 0.25), (60.0, 1.0), (300.0, 2.0))
MAX_POLL = 5.0
# Downloaded bytes waiting for the parser, in chunks of about CHUNK_BYTES: the download runs
# ahead of parsing by at most QUEUE_CHUNKS * CHUNK_BYTES.
CHUNK_BYTES = 1024 * 1024
QUEUE_CHUNKS = 16
CSV_BLOCK_SIZE = 1024 * 1024
_DONE = object()
_END = object()


class Page(io.RawIOBase):
    """One result page as it downloads: a read-only stream over its CSV body (fed by the download
    thread), and the record count Salesforce announced."""

    def __init__(self, feed: queue.Queue[Any], records: int | None, stop: threading.Event) -> None:
        super().__init__()
        self.records = records
        self.size = 0
        self._feed = feed
        self._stop = stop
        self._buffer = memoryview(b"")
        self._ended = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> bool:
        item = self._feed.get()
        if item is _END:
            self._ended = True
            return False
        if isinstance(item, BaseException):
            self._ended = True
            raise item
        self.size += len(item)
        self._buffer = memoryview(item)
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            if self._ended or not self._next_chunk():
                return 0
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count

    def read(self, size: int = -1) -> bytes:
        """`size` bytes, fewer only at the page's end (Arrow reads blocks like a file's)."""
        if size is None or size < 0:
            return self.readall()
        parts: list[bytes] = []
        while size > 0 and (self._buffer or (not self._ended and self._next_chunk())):
            take = self._buffer[:size]
            self._buffer = self._buffer[len(take):]
            parts.append(take.tobytes())
            size -= len(take)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def drain(self) -> None:
        """Skip what the caller did not read, so the next page starts where it should."""
        self._buffer = memoryview(b"")
        while not self._ended:
            self._next_chunk()
            self._buffer = memoryview(b"")


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
            elapsed = time.monotonic() - started
            cap = next((most for until, most in POLL_CAPS if elapsed < until), MAX_POLL)
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

    def _download(self, feed: queue.Queue[Any], stop: threading.Event) -> None:
        """Download every result page into `feed`: ("page", records), chunks, _END per page, then _DONE."""
        locator: str | None = None
        while not stop.is_set():
            locator = self._download_page(feed, stop, locator)
            if not locator or locator == "null":
                break
        _put(feed, _DONE, stop)

    def _download_page(self, feed: queue.Queue[Any], stop: threading.Event, locator: str | None) -> str | None:
        """One page into `feed`; the next page's locator. A connection that breaks mid-body is
        asked again for the same page, and the bytes already passed on are skipped."""
        params: dict[str, Any] = {"maxRecords": settings.bulk_page_records()}
        if locator:
            params["locator"] = locator
        delivered = 0
        announced = False
        attempt = 0
        while True:
            attempt += 1
            try:
                with self.client.stream("GET", self._job_path("/results"), params=params,
                                        headers={"Accept": "text/csv"}) as response:
                    next_locator = response.headers.get("Sforce-Locator")
                    if not announced:
                        count = response.headers.get("Sforce-NumberOfRecords")
                        _put(feed, ("page", int(count) if count and count.isdigit() else None), stop)
                        announced = True
                    skip = delivered
                    for chunk in response.iter_bytes(CHUNK_BYTES):
                        if stop.is_set():
                            return None
                        if skip:
                            chunk, skip = chunk[skip:], max(0, skip - len(chunk))
                            if not chunk:
                                continue
                        delivered += len(chunk)
                        self.bytes_read += len(chunk)
                        _put(feed, chunk, stop)
                _put(feed, _END, stop)
                return next_locator
            except httpx.HTTPError as exc:
                if attempt >= settings.max_attempts():
                    raise ConnectorError(
                        "ServerError",
                        f"downloading a result page of the Salesforce Bulk API 2.0 query job {self.job_id} broke off "
                        f"{attempt} times ({type(exc).__name__}); run the flow again",
                    ) from None
                log.info("Bulk query job %s: result page download broke off (%s); asking again",
                         self.job_id, type(exc).__name__)
                self.sleep(min(settings.BACKOFF_CAP, settings.backoff_base() * 2 ** (attempt - 1)))

    def pages(self) -> Iterator[Page]:
        """The result pages in order, each a stream read while it downloads (one thread downloads,
        the caller parses); the caller reads each page (or not) before asking for the next."""
        feed: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_CHUNKS)
        stop = threading.Event()

        def download() -> None:
            try:
                self._download(feed, stop)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                _put(feed, exc, stop)

        worker = threading.Thread(target=download, name=f"sf-bulk-{self.job_id}", daemon=True)
        worker.start()
        try:
            while True:
                item = feed.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                page = Page(feed, item[1], stop)
                self.pages_read += 1
                yield page
                page.drain()
        finally:
            stop.set()
            # A download stuck in a slow read ends when the caller closes the client; don't wait on it.
            worker.join(timeout=5)


def _put(feed: queue.Queue[Any], item: Any, stop: threading.Event) -> None:
    """Queue `item`, waiting for room, unless the consumer has gone (then drop it)."""
    while not stop.is_set():
        try:
            feed.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def parse_page(page: Page, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """A result page's CSV as batches of `schema` (columns in the schema's order), parsed as it arrives."""
    if page.records == 0:
        return
    options = {
        "read_options": pacsv.ReadOptions(block_size=CSV_BLOCK_SIZE, use_threads=False),
        "parse_options": types.csv_parse_options(),
        "convert_options": types.csv_convert_options(schema),
    }
    try:
        reader = pacsv.open_csv(page, **options)
        for batch in reader:
            yield batch.select(schema.names) if batch.schema.names != schema.names else batch
    except pa.ArrowInvalid as exc:
        if page.size == 0:  # no body at all, not even a header: no records
            return
        raise ConnectorError("ServerError", f"a Bulk API 2.0 result page could not be read as CSV: {exc}") from None
