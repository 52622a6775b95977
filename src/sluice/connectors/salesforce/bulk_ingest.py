"""Writing records through Bulk API 2.0 ingest jobs (connectors layer).

Per job: `POST /jobs/ingest` (CSV, LF), one `PUT /jobs/ingest/{id}/batches` with the CSV data,
`PATCH {"state": "UploadComplete"}`, poll `GET /jobs/ingest/{id}` (growing pauses, checking
`should_stop`) until `JobComplete`, `Failed` or `Aborted`, then read `successfulResults/`,
`failedResults/` and `unprocessedrecords/`.

Salesforce accepts one upload per job and advises uploads of at most 100 MB (they are base64
encoded to at most 150 MB), so records are cut into uploads of about `max_upload_bytes` and each
upload is its own job, sent one after the other (a fail-fast run stops between jobs).

Nulls: the empty CSV field. Bulk API 2.0 treats it as "not given": on insert the field is not set,
on update and upsert it is left unchanged (only `#N/A` would clear it). This differs from sObject
Collections, where null clears the field; AppFlow documents the same difference between its two
APIs. Sluice does not send `#N/A`, so a Bulk write never erases data it was not given.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa

from sluice.connectors.base import ConnectorError
from sluice.connectors.error_records import ErrorSink
from sluice.connectors.salesforce import settings
from sluice.connectors.salesforce.write_common import Progress, WritePlan, csv_text

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
ROWS_PER_SLICE = 5_000  # rows converted to Python at once (bounded memory)
TERMINAL = {"JobComplete", "Failed", "Aborted"}


class BulkWriter:
    """Sends spooled batches as Bulk API 2.0 ingest jobs and tallies their per-record results."""

    def __init__(self, client: Any, plan: WritePlan, progress: Progress, sink: ErrorSink,
                 should_stop: Callable[[], bool], max_upload_bytes: int = MAX_UPLOAD_BYTES,
                 first_pause: float = 0.5, max_pause: float = 10.0, max_wait: float | None = None) -> None:
        self.client, self.plan, self.progress, self.sink = client, plan, progress, sink
        self.should_stop = should_stop
        self.max_upload_bytes = max_upload_bytes
        self.first_pause, self.max_pause = first_pause, max_pause
        self.max_wait = settings.bulk_max_wait() if max_wait is None else max_wait
        self.jobs: list[str] = []

    def send(self, batches: Iterator[pa.RecordBatch]) -> None:
        """Upload every row, one job per ~`max_upload_bytes` of CSV; stop early when fail-fast trips."""
        for upload in self._uploads(batches):
            if self.should_stop():
                upload.close()
                raise ConnectorError("ServerError", "the run was canceled between Bulk API jobs")
            try:
                self._run_job(upload)
            finally:
                upload.close()
            if self.sink.fail_fast and self.progress.failed:
                return

    # -- CSV ---------------------------------------------------------------------------------

    def _uploads(self, batches: Iterator[pa.RecordBatch]) -> Iterator[Any]:
        """Temporary files of CSV (header + rows), each at most about `max_upload_bytes`."""
        columns: list[str] | None = None
        current: Any = None
        for batch in batches:
            for start in range(0, batch.num_rows, ROWS_PER_SLICE):
                records = [self.plan.record(row) for row in batch.slice(start, ROWS_PER_SLICE).to_pylist()]
                if records and list(records[0]) != columns:
                    # Another column set (a spool segment of another schema) needs its own header.
                    columns = list(records[0])
                    if current is not None:
                        yield current
                        current = None
                for record in records:
                    line = _csv_line([csv_text(record.get(name)) for name in columns or []])
                    if current is not None and current.tell() + len(line) > self.max_upload_bytes:
                        yield current
                        current = None
                    if current is None:
                        current = tempfile.TemporaryFile()  # noqa: SIM115 - closed by send() after the job
                        current.write(_csv_line(columns or []))
                    current.write(line)
        if current is not None:
            yield current

    # -- one job -----------------------------------------------------------------------------

    def _run_job(self, upload: Any) -> None:
        client, plan = self.client, self.plan
        spec: dict[str, Any] = {"object": plan.object_name, "operation": plan.operation, "contentType": "CSV",
                                "lineEnding": "LF"}
        if plan.operation == "upsert":
            spec["externalIdFieldName"] = plan.external_id
        job = client.request("POST", client.data_path("jobs/ingest"), json=spec, expect=(200, 201)).json()
        job_id = str(job["id"])
        self.jobs.append(job_id)
        upload.seek(0)
        data = upload.read()
        client.request("PUT", client.data_path(f"jobs/ingest/{job_id}/batches"), content=data,
                       headers={"Content-Type": "text/csv"}, expect=(201, 200))
        self.progress.bytes_sent += len(data)
        del data
        client.request("PATCH", client.data_path(f"jobs/ingest/{job_id}"), json={"state": "UploadComplete"},
                       expect=(200,))
        info = self._wait(job_id)
        self._read_results(job_id)
        if info.get("state") != "JobComplete":
            reason = info.get("errorMessage") or f"the job ended {info.get('state')}"
            raise ConnectorError("ServerError", f"Salesforce Bulk API job {job_id} did not complete: {reason}")

    def _wait(self, job_id: str) -> dict[str, Any]:
        pause, waited = self.first_pause, 0.0
        path = self.client.data_path(f"jobs/ingest/{job_id}")
        while True:
            info: dict[str, Any] = self.client.request("GET", path, expect=(200,)).json()
            if info.get("state") in TERMINAL:
                return info
            if self.should_stop():
                # What Salesforce already processed stays written; the rest is not processed.
                with contextlib.suppress(ConnectorError):  # finished meanwhile: its results still count
                    self.client.request("PATCH", path, json={"state": "Aborted"}, expect=(200,))
                self._settle(path)
                self._read_results(job_id)
                raise ConnectorError("ServerError", f"the run was canceled while Bulk API job {job_id} ran; "
                                     "Salesforce aborted the job")
            if waited >= self.max_wait:
                raise ConnectorError("ConnectorTimeout",
                                     f"Bulk API job {job_id} did not finish within {self.max_wait:.0f} s")
            time.sleep(pause)
            waited += pause
            pause = min(self.max_pause, pause * 1.5)

    def _settle(self, path: str, polls: int = 10) -> None:
        """After an abort, wait until the processed count stops moving: a chunk Salesforce had already
        started still completes, and the results must include it for the written count to be right."""
        last = None
        for _ in range(polls):
            info = self.client.request("GET", path, expect=(200,)).json()
            processed = info.get("numberRecordsProcessed")
            if processed == last:
                return
            last = processed
            time.sleep(max(self.first_pause, 0.05))

    def _read_results(self, job_id: str) -> None:
        base = f"jobs/ingest/{job_id}"
        for row in self._result_rows(f"{base}/successfulResults/"):
            self.progress.wrote(row.pop("sf__Id", None) or row.get("Id"))
        for row in self._result_rows(f"{base}/failedResults/"):
            row.pop("sf__Id", None)
            code, message = bulk_error(str(row.pop("sf__Error", "") or ""))
            self.progress.failed += 1
            self.sink.add([row], code, message)
        for row in self._result_rows(f"{base}/unprocessedrecords/"):
            self.progress.failed += 1
            self.sink.add([row], "UNPROCESSED", f"Bulk API job {job_id} ended before processing this record")

    def _result_rows(self, suffix: str) -> Iterator[dict[str, Any]]:
        """A result CSV's rows, streamed (a job's results can be as large as its upload)."""
        with self.client.stream("GET", self.client.data_path(suffix), expect=(200,)) as response:
            for row in csv.DictReader(_lines(response.iter_bytes())):
                row.pop("sf__Created", None)
                yield {key: value for key, value in row.items() if key is not None}


def bulk_error(text: str) -> tuple[str, str]:
    """(statusCode, message) of an `sf__Error` value, `STATUS_CODE:message:fields --` on Salesforce."""
    code, _, rest = text.strip().partition(":")
    if rest.endswith("--"):
        # The trailing ":<field names> --" repeats what the message says; keep the message only.
        head, sep, _fields = rest[:-2].rstrip().rpartition(":")
        rest = head if sep else rest[:-2].rstrip()
    return code.strip() or "UNKNOWN_EXCEPTION", rest.strip() or code.strip() or "Salesforce gave no reason"


def _lines(chunks: Iterator[bytes]) -> Iterator[str]:
    """UTF-8 text split after each LF, endings kept (so quoted multi-line values survive csv parsing)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    tail = ""
    for chunk in chunks:
        parts = (tail + decoder.decode(chunk)).split("\n")
        tail = parts.pop()
        yield from (part + "\n" for part in parts)
    tail += decoder.decode(b"", final=True)
    if tail:
        yield tail


def _csv_line(values: list[str]) -> bytes:
    """One CSV row: comma, `"` quoting where needed, LF (the job's lineEnding)."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(values)
    return text.getvalue().encode()
