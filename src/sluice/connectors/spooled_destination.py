"""Destinations that spool a run and send it at commit (connectors layer).

Salesforce and custom connectors write to systems that cannot roll back, so both follow one
protocol, kept here once: `write()` spools batches (`spool.py`), `commit()` sends them after the
source was read completely, counts per-record refusals into the `ErrorSink` (fatal only with
`failOnFirstDestinationError`), and fails with a message that says how many records were written
before the stop or the failure, how many were refused and where those went; `abort()` drops the
spool. A subclass says how to send (`_send`) and how to describe what it wrote (`_written`).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import pyarrow as pa

from sluice.connectors.base import ConnectorError, RunContext, WriteResult
from sluice.connectors.error_records import ErrorSink
from sluice.connectors.spool import Spool

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CommitProgress:
    """What a commit has done so far; a destination's own progress type adds what it tracks."""

    written: int = 0
    failed: int = 0
    bytes_sent: int = 0
    first_id: str | None = None  # ids the system gave the first and last written records
    last_id: str | None = None


P = TypeVar("P", bound=CommitProgress)


class SpooledDestination(ABC, Generic[P]):
    """`base.Destination` that spools in `write()` and sends in `commit()`; `P` is its progress type."""

    def __init__(self, ctx: RunContext, sink: ErrorSink, prefix: str, target: str) -> None:
        self.ctx = ctx
        self.sink = sink
        self.sink.check()
        self.target = target  # the object or entity written, as messages name it
        self.spool = Spool(ctx.data_dir, ctx.execution_id, prefix)
        self.folder = self.spool.folder
        self._state = "open"

    @property
    def rows(self) -> int:
        """Records spooled so far."""
        return self.spool.rows

    # -- what a subclass provides ----------------------------------------------------------------

    @abstractmethod
    def _check_columns(self, schema: pa.Schema) -> None:
        """ConnectorError when a batch lacks a field the write needs."""

    @abstractmethod
    def _progress(self) -> P:
        """A fresh progress record for one commit."""

    @abstractmethod
    def _send(self, progress: P) -> bool:
        """Send every spooled record, counting into `progress`; True when fail-fast stopped it."""

    @abstractmethod
    def _written(self, progress: P, *, stopped: bool) -> str:
        """What was written and cannot be rolled back, e.g. `3 record(s) were written to X (...)`."""

    def _release(self, progress: P) -> None:
        """Free what the commit held (clients, temporary files); called however it ended."""

    # -- the Destination protocol --------------------------------------------------------------

    def write(self, batch: pa.RecordBatch, partition: Mapping[str, str] | None = None) -> None:
        """Spool one batch (partition values mean nothing to these systems and are ignored)."""
        if self._state != "open":
            raise ConnectorError("InvalidArgument", f"the destination is already {self._state}")
        if batch.num_rows == 0:
            return
        self._check_columns(batch.schema)
        self.spool.write(batch)

    def commit(self) -> WriteResult:
        """Send every spooled record; per-record refusals are counted, not fatal (unless fail-fast)."""
        if self._state != "open":
            raise ConnectorError("InvalidArgument", f"the destination is already {self._state}")
        self.spool.close()
        self._state = "committing"
        progress = self._progress()
        try:
            try:
                stopped = self._send(progress)
                if not stopped:
                    self.sink.commit()
            except ConnectorError as exc:
                self._state = "failed"
                raise self._interrupted(exc, progress) from exc
            if stopped:
                self._state = "failed"
                raise self._stopped(progress)
            if progress.failed:
                log.warning("run %s: %s: %s", self.ctx.execution_id, self.target, self.sink.summary())
            self.spool.drop()
            self._state = "committed"
            return WriteResult(bytes_written=progress.bytes_sent, records_written=progress.written,
                               put_failures=progress.failed)
        finally:
            self._release(progress)

    def abort(self) -> None:
        """Delete the spool. Records a failed commit had already sent stay where they went."""
        if self._state == "aborted":
            return
        self.spool.close()
        self.sink.discard()
        self.spool.drop()
        self._state = "aborted"

    # -- reporting -----------------------------------------------------------------------------

    def _stopped(self, progress: P) -> ConnectorError:
        first = self.sink.messages[0] if self.sink.messages else "a record was refused"
        unsent = max(0, self.rows - progress.written - progress.failed)
        return ConnectorError(
            "InvalidArgument",
            f"Stopped at the first refused record (failOnFirstDestinationError): {first}. "
            f"{self._written(progress, stopped=True)}; {progress.failed} record(s) were refused "
            f"({self.sink.where()}); {unsent} record(s) were not sent.",
        )

    def _interrupted(self, exc: ConnectorError, progress: P) -> ConnectorError:
        if not progress.written and not progress.failed:
            return ConnectorError(exc.code, f"{exc.message}. No record was written to {self.target}.",
                                  exc.retry_after)
        return ConnectorError(
            exc.code,
            f"{exc.message}. {self._written(progress, stopped=False)}; {progress.failed} record(s) were refused "
            f"({self.sink.where()}).",
            exc.retry_after,
        )
