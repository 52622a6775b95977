"""Salesforce as a flow destination (connectors layer): spool the run, then send it at commit.

`SalesforceDestination(profile, props, ctx)` implements `SalesforceDestinationProperties`:

* `object`; `writeOperationType` INSERT (default), UPSERT, UPDATE or DELETE. UPSERT needs exactly
  one `idFieldNames` entry, the external id field; UPDATE and DELETE take the record id from the
  column `idFieldNames[0]` (default `Id`). DELETE sends only the ids.
* `dataTransferApi`: REST_SYNC -> sObject Collections (`sobject_collections.py`, 200 records per
  call); BULKV2 -> Bulk API 2.0 ingest jobs (`bulk_ingest.py`); AUTOMATIC (default) -> Collections
  below 1,000 records and Bulk API 2.0 from 1,000 records, as the AppFlow reference documents.
* `errorHandlingConfig`: refused records go to `sluice.connectors.error_records.ErrorSink`
  (`s3://<bucketName>/<bucketPrefix>/<flow>/<execution>/errors.jsonl`); with
  `failOnFirstDestinationError` the first call (Collections) or job (Bulk) holding a refused
  record is the last one sent, and commit fails with a message that says how many records were
  written and where their ids are (`written.csv` next to the errors, when a bucket is configured).

Salesforce writes cannot be rolled back, so `write()` only spools batches to an Arrow IPC stream
file, `<data_dir>/.sluice-spool/<execution_id>/salesforce-<n>.arrow` (bounded memory), and
`commit()` sends them once the source has been read completely; a run that fails while reading
sends nothing. `abort()` and `cleanup_staging()` delete the spool; records already sent by a
commit that then failed stay in Salesforce (the failure message counts them).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from sluice.connectors.base import ConnectorError, ProfileView, RunContext, retry_reporter
from sluice.connectors.error_records import ErrorSink
from sluice.connectors.salesforce import sobject_collections
from sluice.connectors.salesforce.bulk_ingest import BulkWriter
from sluice.connectors.salesforce.client import SalesforceClient
from sluice.connectors.salesforce.write_common import Progress, WritePlan
from sluice.connectors.spool import spool_cleanup
from sluice.connectors.spooled_destination import SpooledDestination

log = logging.getLogger(__name__)

BULK_THRESHOLD = 1_000  # AUTOMATIC: Bulk API 2.0 from this many records (AppFlow reference)
OPERATIONS = {"INSERT": "insert", "UPSERT": "upsert", "UPDATE": "update", "DELETE": "delete"}
APIS = {"AUTOMATIC", "BULKV2", "REST_SYNC"}
MANIFEST = "written.csv"


# `ConnectorSpec.cleanup_destination`: delete what a (killed) run spooled; nothing there is fine.
cleanup_staging = spool_cleanup("salesforce")


def plan_of(props: Mapping[str, Any]) -> WritePlan:
    """Validate `SalesforceDestinationProperties` into a `WritePlan` (`InvalidArgument` when wrong)."""
    object_name = str(props.get("object") or "").strip()
    if not object_name:
        raise ConnectorError("InvalidArgument", "SalesforceDestinationProperties.object is required")
    operation = str(props.get("writeOperationType") or "INSERT").upper()
    if operation not in OPERATIONS:
        raise ConnectorError("InvalidArgument", f"writeOperationType {operation!r} is not INSERT, UPSERT, UPDATE "
                             "or DELETE")
    ids = [str(name) for name in props.get("idFieldNames") or []]
    if operation == "UPSERT":
        if len(ids) != 1:
            raise ConnectorError(
                "InvalidArgument",
                "writeOperationType UPSERT needs exactly one idFieldNames entry: the external id field Salesforce "
                f"matches records on (got {len(ids)})",
            )
        return WritePlan(object_name, "upsert", external_id=ids[0])
    if operation in {"UPDATE", "DELETE"}:
        if len(ids) > 1:
            raise ConnectorError("InvalidArgument", f"writeOperationType {operation} identifies records by their "
                                 f"Salesforce Id: give one idFieldNames entry (or none for Id), not {len(ids)}")
        return WritePlan(object_name, OPERATIONS[operation], id_field=ids[0] if ids else "Id")
    return WritePlan(object_name, "insert")


class SalesforceDestination(SpooledDestination[Progress]):
    """`base.Destination` writing a flow's records into one Salesforce object."""

    def __init__(self, profile: ProfileView, props: Mapping[str, Any], ctx: RunContext, *,
                 client: Any = None, sink: ErrorSink | None = None) -> None:
        self.plan = plan_of(props)
        self.api = str(props.get("dataTransferApi") or "AUTOMATIC").upper()
        if self.api not in APIS:
            raise ConnectorError("InvalidArgument", f"dataTransferApi {self.api!r} is not AUTOMATIC, BULKV2 or "
                                 "REST_SYNC")
        self.profile = profile
        super().__init__(ctx, sink or ErrorSink(props.get("errorHandlingConfig"), ctx), "salesforce",
                         self.plan.object_name)
        self._client = client
        self._owns_client = False  # a client passed in (tests) is the caller's to close
        self.used_api: str | None = None
        self.bulk_options: dict[str, Any] = {}  # BulkWriter keyword overrides (tests: short pauses)

    # -- sending -------------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The Salesforce client (opened at commit: spooling needs no connection)."""
        if self._client is None:
            self._client = SalesforceClient(self.profile, on_retry=retry_reporter(self.ctx))
            self._owns_client = True
        return self._client

    def _progress(self) -> Progress:
        return Progress()

    def _release(self, progress: Progress) -> None:
        progress.close()
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    def _send(self, progress: Progress) -> bool:
        if not self.rows:
            return False
        bulk = self.api == "BULKV2" or (self.api == "AUTOMATIC" and self.rows >= BULK_THRESHOLD)
        self.used_api = "BULKV2" if bulk else "REST_SYNC"
        if bulk:
            writer = BulkWriter(self.client, self.plan, progress, self.sink, self.ctx.should_stop,
                                **self.bulk_options)
            writer.send(self.spool.batches())
        else:
            sobject_collections.send(self.client, self.plan, self.spool.batches(), progress, self.sink,
                                     self.ctx.should_stop)
        return self.sink.fail_fast and progress.failed > 0

    # -- reporting -----------------------------------------------------------------------------

    def _written(self, progress: Progress, *, stopped: bool) -> str:
        told = (f"were written to {self.plan.object_name} before the stop" if stopped
                else f"had already been written to {self.plan.object_name}")
        return f"{progress.written} record(s) {told} and cannot be rolled back ({self._written_where(progress)})"

    def _written_where(self, progress: Progress) -> str:
        """Where the ids of written records are: the manifest, else the first and last id."""
        if progress.written and self.sink.configured:
            try:
                location = self.sink.write_manifest(MANIFEST, progress.written_rows())
                return f"their ids are listed in {location}"
            except ConnectorError as exc:
                log.warning("run %s: could not write %s: %s", self.ctx.execution_id, MANIFEST, exc.message)
        if not progress.written:
            return "none was written"
        if progress.written == 1:
            return f"its id is {progress.first_id}"
        return f"the first written id is {progress.first_id} and the last {progress.last_id}"

    # -- spool ---------------------------------------------------------------------------------

    def _check_columns(self, schema: pa.Schema) -> None:
        names = set(schema.names)
        needed = self.plan.external_id if self.plan.operation == "upsert" else self.plan.id_field
        if needed and needed not in names:
            raise ConnectorError(
                "InvalidArgument",
                f"writeOperationType {self.plan.operation.upper()} needs the field {needed!r} in every record, but "
                f"the flow's output has only {', '.join(sorted(names)) or 'no fields'}; map it in the flow's tasks",
            )


def open_destination(profile: ProfileView, props: Mapping[str, Any], ctx: RunContext) -> SalesforceDestination:
    """`ConnectorSpec.open_destination` for Salesforce."""
    return SalesforceDestination(profile, props, ctx)

