"""Records a destination could not write, kept for the flow's owner (connectors layer).

AppFlow's `ErrorHandlingConfig` (`bucketName`, `bucketPrefix`, `failOnFirstDestinationError`) says
where a destination puts the records its system refused, and whether the first refusal fails the
run. `ErrorSink` implements it once, for every destination that writes record by record
(Salesforce now, custom connectors later).

Layout (as AppFlow lays out its own error files, one folder per execution)::

    s3://<bucketName>/<bucketPrefix>/<flowName>/<executionId>/errors.jsonl
    s3://<bucketName>/<bucketPrefix>/<flowName>/<executionId>/<manifest name>   (e.g. written.csv)

`errors.jsonl` holds one JSON object per refused record: the record's fields as sent, plus
`errorCode` and `errorMessage` (the vendor's status code and message). Objects are written through
`sluice.connectors.s3.storage.open_storage(data_dir)`, so they land in the embedded store
(`<data_dir>/s3/<bucket>/...`) by default and in real S3 when configured. Without a `bucketName`
nothing is written: failures are only counted, and the first few messages kept for the execution
record. Only record data and vendor messages are written, never profile credentials.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import posixpath
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sluice.connectors.base import ConnectorError, RunContext
from sluice.connectors.s3.storage import Storage, open_storage

ERRORS_FILE = "errors.jsonl"
# Failed records stay in memory up to this size, then spill to a temporary file (bounded memory).
SPILL_BYTES = 8 * 1024 * 1024
KEPT_MESSAGES = 5


def json_value(value: Any) -> Any:
    """A JSON-compatible form of a record value (dates and times as ISO strings)."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


_dumps = json.JSONEncoder(default=json_value, ensure_ascii=False, separators=(",", ":")).encode


def record_json(record: Mapping[str, Any]) -> str:
    """One record as compact JSON text (UTF-8 kept; dates as ISO strings), as error files write it."""
    return _dumps(record)


class ErrorSink:
    """Collects refused records and writes them, once, to the error bucket (if one is configured)."""

    def __init__(
        self, config: Mapping[str, Any] | None, ctx: RunContext, storage: Storage | None = None
    ) -> None:
        config = config or {}
        self.bucket: str | None = str(config["bucketName"]) if config.get("bucketName") else None
        self.fail_fast_enabled = bool(config.get("failOnFirstDestinationError"))
        self.ctx = ctx
        folder = [str(config.get("bucketPrefix") or "").strip("/"), ctx.flow_name, ctx.execution_id]
        self.folder = posixpath.join(*[part for part in folder if part])
        self._storage = storage
        self.count = 0
        self.messages: list[str] = []
        self._buffer: Any = None  # a SpooledTemporaryFile once the first record failed
        self._committed: str | None = None

    # -- configuration ----------------------------------------------------------------------

    @property
    def fail_fast(self) -> bool:
        """True when the first refused record must stop the run (`failOnFirstDestinationError`)."""
        return self.fail_fast_enabled

    @property
    def configured(self) -> bool:
        """True when an error bucket is named, so refused records are written somewhere."""
        return self.bucket is not None

    @property
    def storage(self) -> Storage:
        """The S3 backend (opened on first use, so a run without failures never touches it)."""
        if self._storage is None:
            self._storage = open_storage(self.ctx.data_dir, self.ctx.aws, self.ctx.buckets)
        return self._storage

    def location(self, name: str = ERRORS_FILE) -> str | None:
        """The `s3://` location of one file of this execution's error folder (None without a bucket)."""
        if self.bucket is None:
            return None
        return self.storage.location(self.bucket, f"{self.folder}/{name}")

    def check(self) -> None:
        """Fail early (`ResourceNotFound`) when the configured error bucket does not exist."""
        if self.bucket is not None:
            with self.storage.errors(self.storage.location(self.bucket)):
                self.storage.require_bucket(self.bucket)

    # -- collecting -------------------------------------------------------------------------

    def add(self, records: Sequence[Mapping[str, Any]], error_code: str, message: str) -> None:
        """Record that `records` were refused with the vendor's `error_code` and `message`."""
        if not records:
            return
        self.count += len(records)
        if len(self.messages) < KEPT_MESSAGES:
            self.messages.append(f"{error_code}: {message}" if error_code else message)
        if self.bucket is None:
            return
        if self._buffer is None:
            # Lives until commit() or discard(), across many add() calls.
            self._buffer = tempfile.SpooledTemporaryFile(max_size=SPILL_BYTES, mode="w+b")  # noqa: SIM115
        for record in records:
            row = dict(record)
            row["errorCode"] = error_code
            row["errorMessage"] = message
            self._buffer.write(_dumps(row).encode() + b"\n")

    def summary(self) -> str:
        """A sentence for the execution record: how many records failed, first messages, the file."""
        if not self.count:
            return "no record was refused"
        text = f"{self.count} record(s) were refused (first errors: {'; '.join(self.messages)})"
        where = self._committed or self.location()
        return f"{text}; the refused records are in {where}" if where else text

    # -- writing ----------------------------------------------------------------------------

    def commit(self) -> str | None:
        """Write `errors.jsonl` and return its `s3://` location; None when nothing was written."""
        if self._committed is not None:
            return self._committed
        if self.bucket is None or self._buffer is None:
            return None
        key = f"{self.folder}/{ERRORS_FILE}"
        storage = self.storage
        with storage.errors(storage.location(self.bucket, key)):
            self._buffer.seek(0)
            stream = storage.open_output_stream(self.bucket, key)
            try:
                while chunk := self._buffer.read(1024 * 1024):
                    stream.write(chunk)
            finally:
                stream.close()
        self._buffer.close()
        self._buffer = None
        self._committed = storage.location(self.bucket, key)
        return self._committed

    def where(self) -> str:
        """Write what was refused and say where it went, for a failure message (never raises)."""
        try:
            location = self.commit()
        except ConnectorError as exc:
            return f"the refused records could not be saved ({exc.message})"
        if location:
            return f"the refused records are in {location}"
        return "no error bucket is configured (errorHandlingConfig.bucketName), so refused records were not saved"

    def write_manifest(self, name: str, rows: Iterable[Mapping[str, Any]]) -> str | None:
        """Write a side file (`*.csv` as CSV with a header row, else JSON lines) next to the errors.

        Used for lists such as "which records were written before the run stopped". Returns the
        file's `s3://` location, or None when no error bucket is configured.
        """
        if self.bucket is None:
            return None
        key = f"{self.folder}/{name}"
        storage = self.storage
        with storage.errors(storage.location(self.bucket, key)):
            stream = storage.open_output_stream(self.bucket, key)
            try:
                if name.endswith(".csv"):
                    _write_csv(stream, rows)
                else:
                    for row in rows:
                        stream.write(_dumps(dict(row)).encode() + b"\n")
            finally:
                stream.close()
        return storage.location(self.bucket, key)

    def discard(self) -> None:
        """Drop buffered records without writing them."""
        if self._buffer is not None:
            self._buffer.close()
            self._buffer = None


def _write_csv(stream: Any, rows: Iterable[Mapping[str, Any]]) -> None:
    """CSV through a small text buffer, flushed to the binary stream every ~1 MB."""
    text = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(text, fieldnames=list(row), lineterminator="\n", extrasaction="ignore")
            writer.writeheader()
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
        if text.tell() > 1024 * 1024:
            stream.write(text.getvalue().encode())
            text.seek(0)
            text.truncate()
    stream.write(text.getvalue().encode())
