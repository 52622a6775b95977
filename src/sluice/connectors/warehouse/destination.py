"""The `Destination` every warehouse shares: conform, stage, then one bulk load (connectors layer).

`write()` fits each batch to the table (`conform.py`): refused rows go to the run's `ErrorSink`
(AppFlow's `errorHandlingConfig`: counted as `putFailuresCount`, kept in `errors.jsonl` in the
error bucket, fatal at once with `failOnFirstDestinationError`), accepted rows are staged as
Parquet (`staging.py`). Nothing reaches the table before `commit()`, which records the staging
folder with `RunContext.before_publish`, calls the connector's `_load` - one transaction that
loads every staged row or none - and then deletes the staged parts. `abort()` deletes them too,
so a failed, canceled or killed run leaves the table as it was and no staged objects behind
(`cleanup_staged` removes a killed run's parts at restart).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from sluice.connectors.aws_identity import AwsIdentity
from sluice.connectors.base import ConnectorError, RunContext, WriteResult, report
from sluice.connectors.error_records import ErrorSink
from sluice.connectors.s3.storage import Storage, open_storage
from sluice.connectors.warehouse.columns import Column
from sluice.connectors.warehouse.conform import Conformer, conform_or_refuse
from sluice.connectors.warehouse.staging import StagedParts, staging_folder

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Staged:
    """What a run staged: Parquet objects `s3://bucket/<key>`, all under `s3://bucket/<folder>`.

    Every part has exactly `columns` (target names, in this order, typed as `Column.arrow_type`).
    """

    bucket: str
    folder: str
    keys: list[str]
    columns: list[str]
    rows: int
    bytes: int

    @property
    def url(self) -> str:
        """`s3://bucket/folder/`, the prefix a `COPY` reads."""
        return f"s3://{self.bucket}/{self.folder}"


class WarehouseDestination(ABC):
    """`base.Destination` for a table loaded from S3-staged Parquet; a connector adds `_load`."""

    def __init__(self, ctx: RunContext, *, error_config: Mapping[str, Any] | None, storage: Storage,
                 bucket: str, prefix: str | None, target: str, columns: Sequence[Column]) -> None:
        self.ctx = ctx
        self.target = target
        self.sink = ErrorSink(error_config, ctx)
        self.sink.check()
        self.conformer = Conformer(target, columns)
        with storage.errors(storage.location(bucket)):
            storage.require_bucket(bucket)
        self.parts = StagedParts(storage, bucket, staging_folder(prefix, ctx.execution_id))
        self._state = "open"

    # -- what a connector provides -----------------------------------------------------------

    @abstractmethod
    def _load(self, staged: Staged) -> None:
        """Load every staged row into the target in one transaction; on failure raise
        `ConnectorError` and leave the table as it was."""

    def _release(self) -> None:
        """Close what the load held (connections); called however the run ended."""
        return None

    # -- the Destination protocol ------------------------------------------------------------

    def write(self, batch: pa.RecordBatch, partition: Mapping[str, str] | None = None) -> None:
        """Fit one batch to the table and stage the rows it accepts (partition values are ignored)."""
        self._require("open")
        if batch.num_rows == 0:
            return
        self.parts.write(conform_or_refuse(self.conformer, batch, self.sink, f"Nothing was loaded into {self.target}"))

    def commit(self) -> WriteResult:
        """Load everything staged in one transaction, then delete the staged parts."""
        self._require("open")
        self._state = "committing"
        try:
            keys = self.parts.close()
            schema = self.parts.schema
            staged = Staged(self.parts.bucket, self.parts.folder, keys, list(schema.names) if schema else [],
                            self.parts.rows, self.parts.bytes)
            if staged.rows:
                if self.ctx.before_publish is not None:
                    self.ctx.before_publish({"kind": "warehouse", "target": self.target,
                                             "bucket": staged.bucket, "folder": staged.folder})
                if self.ctx.should_stop():
                    raise ConnectorError("InvalidArgument", f"The run was stopped before loading {self.target}")
                self._load(staged)
            report(self.ctx, "publish", f"loaded {staged.rows} record(s) into {self.target} from {staged.url}")
            self.parts.drop()
            if self.sink.count:
                self.sink.commit()
                log.warning("run %s: %s: %s", self.ctx.execution_id, self.target, self.sink.summary())
                report(self.ctx, "warning", f"{self.target}: {self.sink.summary()}", "warning")
            self._state = "committed"
            return WriteResult(bytes_written=staged.bytes, records_written=staged.rows,
                               put_failures=self.sink.count, location=self.target)
        except ConnectorError as exc:
            self._state = "failed"
            if self.sink.count:
                raise ConnectorError(exc.code, f"{exc.message}. {self.sink.count} record(s) had been refused "
                                     f"before the load ({self.sink.where()})", exc.retry_after) from exc
            raise
        finally:
            if self._state != "committed":
                self._drop_parts()
            self._release()

    def abort(self) -> None:
        """Delete the staged parts and forget refused records; the table is untouched."""
        if self._state == "aborted":
            return
        if self._state == "open":
            self._release()
        self._drop_parts()
        self.sink.discard()
        self._state = "aborted"

    # -- internals ------------------------------------------------------------------------

    def _require(self, state: str) -> None:
        if self._state != state:
            raise ConnectorError("InvalidArgument", f"the destination is already {self._state}")

    def _drop_parts(self) -> None:
        try:
            self.parts.drop()
        except ConnectorError as exc:  # the run's own outcome matters more; restart cleanup retries
            log.warning("run %s: could not delete staged parts in %s: %s", self.ctx.execution_id,
                        self.parts.location, exc.message)


def cleanup_staged(props: Mapping[str, Any], data_dir: str, execution_id: str, aws: AwsIdentity | None = None) -> None:
    """Delete what a killed run staged under `intermediateBucketName`/`bucketPrefix` (restart recovery)."""
    bucket = props.get("intermediateBucketName")
    if not bucket:
        return
    storage = open_storage(data_dir, aws)
    folder = staging_folder(props.get("bucketPrefix"), execution_id)
    try:
        with storage.errors(storage.location(str(bucket), folder)):
            storage.delete_prefix(str(bucket), folder)
    except ConnectorError as exc:
        if exc.code != "ResourceNotFound":
            raise
