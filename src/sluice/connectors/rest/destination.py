"""A REST entity as a flow destination (connectors layer, shared REST layer).

`RestDestination(connector, profile, props, ctx)` implements the vendor's
`<Type>DestinationProperties` (`object`, `writeOperationType`, `idFieldNames`,
`errorHandlingConfig`) on the shared spool protocol (`spooled_destination.py`): `write()` spools,
`commit()` sends the records in chunks through the connector's `Writer` once the source was read
completely, and each record's outcome feeds `putFailuresCount`, the error bucket
(`errors.jsonl`) and `failOnFirstDestinationError`.

A `Writer` is the vendor's code: it sends one chunk (Zendesk's bulk endpoints and job status
polling, Marketo's lead sync) and returns one `RecordResult` per record, in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.error_records import ErrorSink, json_value
from sluice.connectors.rest.client import RestClient
from sluice.connectors.rest.entities import Entity
from sluice.connectors.spool import cleanup
from sluice.connectors.spooled_destination import CommitProgress, SpooledDestination

if TYPE_CHECKING:
    from sluice.connectors.rest.connector import RestConnector


@dataclass(frozen=True, slots=True)
class WritePlan:
    """What a run writes: the entity, the operation and the fields that identify records."""

    entity: Entity
    operation: str
    id_fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordResult:
    """One record's outcome: written (with the id the vendor gave it) or refused (code, message)."""

    ok: bool
    id: str | None = None
    code: str = ""
    message: str = ""


class Writer(Protocol):
    """Sends chunks of records to the vendor."""

    chunk_size: int

    def check(self, plan: WritePlan) -> None:
        """`InvalidArgument` when the vendor cannot do `plan` (e.g. UPSERT without an id field)."""
        ...

    def send(self, client: RestClient, plan: WritePlan, records: list[dict[str, Any]]) -> list[RecordResult]:
        """Write `records`; one result per record, in order."""
        ...


def plain(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record as JSON-able values (instants as ISO text, nested values as they are); nulls dropped."""
    result: dict[str, Any] = {}
    for key, value in record.items():
        if value is None:
            continue
        if isinstance(value, str | int | float | bool | list | dict):
            result[key] = value
        else:
            result[key] = json_value(value)
    return result


def spool_prefix(connector_type: str) -> str:
    """The spool file prefix of a connector type's destination."""
    return f"rest-{connector_type.lower()}"


class RestDestination(SpooledDestination[CommitProgress]):
    """`base.Destination` writing a flow's records into one entity of a REST connector."""

    def __init__(self, connector: RestConnector, profile: ProfileView, props: Mapping[str, Any],
                 ctx: RunContext, *, sink: ErrorSink | None = None) -> None:
        if connector.writer is None:
            raise ConnectorError("InvalidArgument", f"{connector.api.vendor} is not a destination")
        self.connector = connector
        self.writer = connector.writer
        self.profile = profile
        object_name = str(props.get("object") or "").strip()
        if not object_name:
            raise ConnectorError("InvalidArgument", f"{connector.api.vendor} destination properties need an object")
        operation = str(props.get("writeOperationType") or "INSERT").upper()
        ids = tuple(str(n) for n in props.get("idFieldNames") or [])
        with connector.client(profile) as client:
            entity = connector.catalog.entity(client, object_name)
        if operation not in entity.writes:
            raise ConnectorError("InvalidArgument", f"{connector.api.vendor} object {object_name} takes "
                                 f"{', '.join(entity.writes) or 'no writes'}, not {operation}")
        self.plan = WritePlan(entity, operation, ids)
        self.writer.check(self.plan)
        super().__init__(ctx, sink or ErrorSink(props.get("errorHandlingConfig"), ctx),
                         spool_prefix(connector.api.connector_type), object_name)

    def _check_columns(self, schema: pa.Schema) -> None:
        missing = [name for name in self.plan.id_fields if name not in schema.names]
        if missing and self.plan.operation != "INSERT":
            raise ConnectorError(
                "InvalidArgument",
                f"writeOperationType {self.plan.operation} needs the field(s) {', '.join(missing)} (idFieldNames) in "
                f"every record, but the flow's output has only {', '.join(schema.names)}; map them in the tasks")

    def _progress(self) -> CommitProgress:
        return CommitProgress()

    def _send(self, progress: CommitProgress) -> bool:
        if not self.rows:
            return False
        size = max(1, self.writer.chunk_size)
        with self.connector.client(self.profile, self.ctx) as client:
            for batch in self.spool.batches():
                for start in range(0, batch.num_rows, size):
                    records = [plain(r) for r in batch.slice(start, size).to_pylist()]
                    results = self.writer.send(client, self.plan, records)
                    if len(results) != len(records):
                        raise ConnectorError("ServerError", f"{self.connector.api.vendor} answered "
                                             f"{len(results)} results for {len(records)} records")
                    self._count(progress, records, results)
                    if self.sink.fail_fast and progress.failed:
                        return True
        return False

    def _count(self, progress: CommitProgress, records: Sequence[dict[str, Any]],
               results: Sequence[RecordResult]) -> None:
        for record, result in zip(records, results, strict=True):
            if result.ok:
                progress.written += 1
                if result.id is not None:
                    progress.first_id = progress.first_id or result.id
                    progress.last_id = result.id
            else:
                progress.failed += 1
                self.sink.add([record], result.code, result.message)

    def _written(self, progress: CommitProgress, *, stopped: bool) -> str:
        told = "were written before the stop" if stopped else "had already been written"
        ids = ""
        if progress.first_id:
            ids = f"; the first written id is {progress.first_id} and the last {progress.last_id}"
        return f"{progress.written} record(s) {told} to {self.target} and cannot be rolled back{ids}"


def cleanup_for(connector_type: str, data_dir: str, execution_id: str) -> None:
    """Delete what a (killed) run spooled for a connector type's destination."""
    cleanup(data_dir, execution_id, spool_prefix(connector_type))
