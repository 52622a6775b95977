"""An SAP OData entity set as a flow destination (connectors layer, SAP OData).

`SAPODataDestinationProperties`: `objectPath` (the entity set), `writeOperationType`,
`idFieldNames`, `errorHandlingConfig` and `successResponseHandlingConfig`. The spooling, chunking
and per-record accounting are the REST layer's (`rest.destination.RestDestination`: records are
sent once the source was read completely; each refused record counts in `putFailuresCount` and
goes to the error bucket's `errors.jsonl` with SAP's code and message; `failOnFirstDestinationError`
stops at the first refusal). This module adds AppFlow's success responses: for every record SAP
accepted, one JSON line - the entry's key, its URI, the HTTP status and the entry SAP answered
(INSERT) - in `s3://<bucketName>/<bucketPrefix>/<flowName>/<executionId>/success.jsonl`, written
when the records have been sent (also when the run then fails: what SAP accepted stays accepted).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.error_records import ErrorSink, record_json
from sluice.connectors.rest.destination import RecordResult, RestDestination
from sluice.connectors.sapodata.writer import SapResult
from sluice.connectors.spooled_destination import CommitProgress

if TYPE_CHECKING:
    from sluice.connectors.rest.connector import RestConnector

SUCCESS_FILE = "success.jsonl"
SPILL_BYTES = 8 * 1024 * 1024


class SuccessSink:
    """Collects SAP's answers for accepted records and writes them once (when a bucket is named)."""

    def __init__(self, config: Mapping[str, Any] | None, ctx: RunContext) -> None:
        # The error sink's layout and storage rules are AppFlow's for this bucket too.
        self.target = ErrorSink(config, ctx)
        self._buffer: Any = None
        self.count = 0

    @property
    def configured(self) -> bool:
        return self.target.bucket is not None

    def check(self) -> None:
        """`ResourceNotFound` when the named bucket does not exist."""
        self.target.check()

    def add(self, object_path: str, operation: str, result: SapResult) -> None:
        if not self.configured:
            return
        if self._buffer is None:
            self._buffer = tempfile.SpooledTemporaryFile(max_size=SPILL_BYTES, mode="w+b")  # noqa: SIM115
        row = {"objectPath": object_path, "writeOperationType": operation, "status": result.status,
               "key": dict(result.key or {}), "uri": result.uri, "response": result.response}
        self._buffer.write(record_json(row).encode() + b"\n")
        self.count += 1

    def commit(self) -> str | None:
        """Write `success.jsonl`; its `s3://` location, or None when nothing was written."""
        if self._buffer is None or self.target.bucket is None:
            return None
        storage, bucket = self.target.storage, self.target.bucket
        key = f"{self.target.folder}/{SUCCESS_FILE}"
        with storage.errors(storage.location(bucket, key)):
            self._buffer.seek(0)
            stream = storage.open_output_stream(bucket, key)
            try:
                while chunk := self._buffer.read(1024 * 1024):
                    stream.write(chunk)
            finally:
                stream.close()
        self.discard()
        return storage.location(bucket, key)

    def discard(self) -> None:
        if self._buffer is not None:
            self._buffer.close()
            self._buffer = None


class SapDestination(RestDestination):
    """`base.Destination` writing a flow's records into one SAP OData entity set."""

    def __init__(self, connector: RestConnector, profile: ProfileView, props: Mapping[str, Any],
                 ctx: RunContext) -> None:
        object_path = str(props.get("objectPath") or "").strip()
        if not object_path:
            raise ConnectorError("InvalidArgument", "SAPODataDestinationProperties need an objectPath")
        super().__init__(connector, profile, {**props, "object": object_path}, ctx)
        self.success = SuccessSink(props.get("successResponseHandlingConfig"), ctx)
        self.success.check()

    def _count(self, progress: CommitProgress, records: Sequence[dict[str, Any]],
               results: Sequence[RecordResult]) -> None:
        super()._count(progress, records, results)
        for result in results:
            if result.ok and isinstance(result, SapResult):
                self.success.add(self.plan.entity.name, self.plan.operation, result)

    def _send(self, progress: CommitProgress) -> bool:
        try:
            return super()._send(progress)
        finally:
            try:
                self.success.commit()
            except ConnectorError:
                self.success.discard()
                raise

    def abort(self) -> None:
        self.success.discard()
        super().abort()
