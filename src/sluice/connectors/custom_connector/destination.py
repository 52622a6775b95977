"""A custom connector as a flow destination (connectors layer): spool the run, WriteData at commit.

`CustomConnectorDestination(profile, props, ctx)` implements `CustomConnectorDestinationProperties`
{entityName, writeOperationType, idFieldNames, customProperties, errorHandlingConfig}:

* `writeOperationType` INSERT (default), UPSERT, UPDATE or DELETE - one the registration's
  `supportedWriteOperations` lists; all but INSERT need `idFieldNames`, which every record must
  carry. DELETE sends only the id fields;
* records go to the connector as `WriteDataRequest` {entityIdentifier, operation, idFieldNames,
  records: [JSON strings], allOrNone: false, connectorContext (with the entity's definition)},
  at most `write_batch_limit` records per request (a `maxBatchSize`-like runtime setting, else
  100) and about 5 MB (Lambda's synchronous payload limit is 6 MB). Null values are left out of
  a record, so the connector's defaults apply;
* each request's `writeRecordResults` [{isSuccess, recordId, errorMessage}] say which records
  were written; refused ones go to the `ErrorSink` (`errorHandlingConfig`) and count as
  `put_failures`. An answer that fails as a whole (no per-record results) stops the commit;
* with `failOnFirstDestinationError` the request holding the first refused record is the last
  one sent, and commit fails saying exactly how many records were written before the stop.

Writes cannot be rolled back, so `write()` only spools batches to Arrow IPC stream files,
`<data_dir>/.sluice-spool/<execution_id>/custom-<n>.arrow`, and `commit()` sends them once the
source was read completely. `abort()` and `cleanup_staging()` delete the spool.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.custom_connector import sdk
from sluice.connectors.custom_connector.limits import call_timeout
from sluice.connectors.custom_connector.metadata import describe
from sluice.connectors.custom_connector.profile import Session, configuration
from sluice.connectors.custom_connector.types import json_value
from sluice.connectors.error_records import ErrorSink
from sluice.connectors.spool import spool_cleanup
from sluice.connectors.spooled_destination import CommitProgress, SpooledDestination

log = logging.getLogger(__name__)

PREFIX = "custom"
DEFAULT_BATCH = 100
MAX_REQUEST_BYTES = 5 * 1024 * 1024
WRITE_TIMEOUT = 900.0
OPERATIONS = ("INSERT", "UPSERT", "UPDATE", "DELETE")
# Runtime settings (profile or flow) a connector may use to declare how many records one call takes.
BATCH_SETTINGS = ("maxBatchSize", "maxWriteBatchSize", "writeBatchSize", "batchSize", "maxRecordsPerRequest")


# `ConnectorSpec.cleanup_destination`: delete what a (killed) run spooled; nothing there is fine.
cleanup_staging = spool_cleanup(PREFIX)


def write_batch_limit(settings: Mapping[str, Any], config: Mapping[str, Any]) -> int:
    """Records per WriteData call: a declared batch-size setting or configuration entry, else 100."""
    for source in (settings, config):
        for key in BATCH_SETTINGS:
            value = source.get(key)
            try:
                if value is not None and int(value) > 0:
                    return int(value)
            except (TypeError, ValueError):
                continue
    return DEFAULT_BATCH


@dataclass(slots=True)
class Progress(CommitProgress):
    """What a commit has done so far, and how many WriteData calls it made."""

    requests: int = 0


class CustomConnectorDestination(SpooledDestination[Progress]):
    """`base.Destination` writing a flow's records into one entity of a registered custom connector."""

    def __init__(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext, *, invoker: Any = None,
                 sink: ErrorSink | None = None) -> None:
        self.entity_name = str(props.get("entityName") or "")
        if not self.entity_name:
            raise ConnectorError("InvalidArgument", "CustomConnectorDestinationProperties.entityName is required")
        self.operation = str(props.get("writeOperationType") or "INSERT").upper()
        supported = [str(o) for o in configuration(profile).get("supportedWriteOperations") or OPERATIONS]
        if self.operation not in OPERATIONS or self.operation not in supported:
            raise ConnectorError("InvalidArgument", f"writeOperationType {self.operation} is not one the connector "
                                 f"supports ({', '.join(supported)})")
        self.id_fields = [str(name) for name in props.get("idFieldNames") or []]
        if self.operation != "INSERT" and not self.id_fields:
            raise ConnectorError("InvalidArgument", f"writeOperationType {self.operation} needs idFieldNames: the "
                                 "fields that identify the records to change")
        custom = props.get("customProperties") or {}
        self.settings = custom if isinstance(custom, Mapping) else {}
        self.profile, self._invoker = profile, invoker
        self.session: Session | None = None  # opened at commit: spooling needs no connector
        profile_settings = (profile.properties or {}).get("profileProperties") or {}
        self.limit = write_batch_limit({**profile_settings, **self.settings}, configuration(profile))
        super().__init__(ctx, sink or ErrorSink(props.get("errorHandlingConfig"), ctx), PREFIX, self.entity_name)

    def _check_columns(self, schema: pa.Schema) -> None:
        missing = [name for name in self.id_fields if name not in schema.names]
        if missing:
            raise ConnectorError(
                "InvalidArgument",
                f"writeOperationType {self.operation} needs the field(s) {', '.join(map(repr, missing))} in every "
                f"record, but the flow's output has only {', '.join(schema.names) or 'no fields'}",
            )

    # -- sending -------------------------------------------------------------------------------

    def _progress(self) -> Progress:
        return Progress()

    def _send(self, progress: Progress) -> bool:
        """Send all records; True when fail-fast stopped the commit."""
        if not self.rows:
            return False
        self.session = Session(self.profile, settings=self.settings, data_dir=self.ctx.data_dir,
                               invoker=self._invoker)
        definition = describe(self.session, self.entity_name)
        for rows, texts in self._requests():
            self._send_one(definition, rows, texts, progress)
            if self.sink.fail_fast and progress.failed:
                return True
            if self.ctx.should_stop():
                raise ConnectorError("InvalidArgument", "the run was canceled while records were being written")
        return False

    def _send_one(self, definition: Mapping[str, Any], rows: list[dict[str, Any]], texts: list[str],
                  progress: Progress) -> None:
        assert self.session is not None
        progress.requests += 1
        answer = self.session.call(
            sdk.WRITE_DATA, "WriteData", timeout=call_timeout(WRITE_TIMEOUT), entity_definition=definition,
            accept=lambda a: isinstance(a.get("writeRecordResults"), list) and bool(a["writeRecordResults"]),
            entityIdentifier=self.entity_name, operation=self.operation,
            idFieldNames=self.id_fields or None, records=texts, allOrNone=False,
        )
        progress.bytes_sent += sum(len(t.encode()) for t in texts)
        results = answer.get("writeRecordResults") or []
        if len(results) > len(rows):
            raise ConnectorError("ServerError", f"the connector answered {len(results)} writeRecordResults for "
                                 f"{len(rows)} records")
        if len(results) < len(rows) and results:
            log.warning("run %s: the connector answered %d writeRecordResults for %d records; the rest count as "
                        "written", self.ctx.execution_id, len(results), len(rows))
        details = answer.get("errorDetails") or {}
        code = str(details.get("errorCode") or "WriteFailed") if isinstance(details, Mapping) else "WriteFailed"
        for index, row in enumerate(rows):
            result = results[index] if index < len(results) else {"isSuccess": True}
            if isinstance(result, Mapping) and result.get("isSuccess"):
                progress.written += 1
                record_id = result.get("recordId")
                if record_id is not None:
                    progress.first_id = progress.first_id or str(record_id)
                    progress.last_id = str(record_id)
                continue
            progress.failed += 1
            message = str((result or {}).get("errorMessage") or "the connector refused the record")
            self.sink.add([row], code, message)

    def _requests(self) -> Iterator[tuple[list[dict[str, Any]], list[str]]]:
        """The spooled records, as (rows, JSON texts) groups of at most `limit` records / ~5 MB."""
        rows: list[dict[str, Any]] = []
        texts: list[str] = []
        size = 0
        for batch in self.spool.batches():
            if self.operation == "DELETE":
                batch = batch.select(self.id_fields)
            for record in batch.to_pylist():
                row = {name: json_value(value) for name, value in record.items() if value is not None}
                text = json.dumps(row, separators=(",", ":"), ensure_ascii=False)
                if rows and (len(rows) >= self.limit or size + len(text) > MAX_REQUEST_BYTES):
                    yield rows, texts
                    rows, texts, size = [], [], 0
                rows.append(row)
                texts.append(text)
                size += len(text) + 3
        if rows:
            yield rows, texts

    # -- reporting -----------------------------------------------------------------------------

    def _written(self, progress: Progress, *, stopped: bool) -> str:
        if not progress.written:
            return "no record was written"
        ids = ""
        if progress.first_id:
            ids = (f" (record id {progress.first_id})" if progress.written == 1
                   else f" (first record id {progress.first_id}, last {progress.last_id})")
        return f"{progress.written} record(s) were written to {self.entity_name}{ids} and cannot be rolled back"


def open_destination(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> CustomConnectorDestination:
    """`ConnectorSpec.open_destination` for custom connectors."""
    return CustomConnectorDestination(profile, props, ctx)
