"""Writing records through sObject Collections, 200 per call (connectors layer).

insert `POST /composite/sobjects`, update `PATCH /composite/sobjects` (records carry `Id`),
upsert `PATCH /composite/sobjects/{Object}/{ExternalIdField}`, delete
`DELETE /composite/sobjects?ids=...&allOrNone=false`. Every call uses `allOrNone: false`, so one
refused record does not roll back the others; the answer lists one result per record, in order.

Nulls: on insert a null field is left out (the platform's default applies); on update and upsert
it is sent as JSON null, which clears the field in Salesforce.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa

from sluice.connectors.base import ConnectorError
from sluice.connectors.error_records import ErrorSink
from sluice.connectors.salesforce.write_common import Progress, WritePlan, error_parts, json_value

CHUNK = 200  # Salesforce's limit of records per sObject Collections call


def _chunks(batches: Iterator[pa.RecordBatch]) -> Iterator[list[dict[str, Any]]]:
    """Rows in lists of at most CHUNK, across batch boundaries (so calls stay full)."""
    pending: list[dict[str, Any]] = []
    for batch in batches:
        for start in range(0, batch.num_rows, CHUNK):
            pending.extend(batch.slice(start, CHUNK).to_pylist())
            while len(pending) >= CHUNK:
                yield pending[:CHUNK]
                pending = pending[CHUNK:]
    if pending:
        yield pending


def send(
    client: Any,
    plan: WritePlan,
    batches: Iterator[pa.RecordBatch],
    progress: Progress,
    sink: ErrorSink,
    should_stop: Callable[[], bool],
) -> None:
    """Send every row; stops after the first call with a refused record when the sink is fail-fast.

    Raises `ConnectorError` when a call fails as a whole (transport, session, a field Salesforce
    does not know); `progress` then still says what earlier calls wrote.
    """
    for rows in _chunks(batches):
        if should_stop():
            raise ConnectorError("ServerError", "the run was canceled while records were being sent to Salesforce")
        records = [plan.record(row) for row in rows]
        if plan.operation == "delete":
            _delete(client, records, progress, sink)
        else:
            _save(client, plan, records, progress, sink)
        if sink.fail_fast and progress.failed:
            return


def _save(client: Any, plan: WritePlan, records: list[dict[str, Any]], progress: Progress, sink: ErrorSink) -> None:
    body_records = []
    for record in records:
        fields = {
            name: json_value(value)
            for name, value in record.items()
            if not (value is None and plan.operation == "insert")
        }
        body_records.append({"attributes": {"type": plan.object_name}, **fields})
    body = json.dumps({"allOrNone": False, "records": body_records}, ensure_ascii=False).encode()
    if plan.operation == "insert":
        method, path = "POST", client.data_path("composite/sobjects")
    elif plan.operation == "update":
        method, path = "PATCH", client.data_path("composite/sobjects")
    else:
        method, path = "PATCH", client.data_path(f"composite/sobjects/{plan.object_name}/{plan.external_id}")
    response = client.request(method, path, content=body, headers={"Content-Type": "application/json"},
                              expect=(200,))
    progress.bytes_sent += len(body)
    _tally(response.json(), records, progress, sink)


def _delete(client: Any, records: list[dict[str, Any]], progress: Progress, sink: ErrorSink) -> None:
    ids = [record.get("Id") for record in records]
    missing = [record for record, record_id in zip(records, ids, strict=True) if not record_id]
    if missing:
        # Without an id there is nothing to name in the URL: refused here, as Salesforce would.
        progress.failed += len(missing)
        sink.add(missing, "MISSING_ARGUMENT", "the record has no Id to delete")
    present = [record for record in records if record.get("Id")]
    if not present:
        return
    joined = ",".join(str(record["Id"]) for record in present)
    response = client.request("DELETE", client.data_path("composite/sobjects"),
                              params={"ids": joined, "allOrNone": "false"}, expect=(200,))
    progress.bytes_sent += len(joined)
    _tally(response.json(), present, progress, sink)


def _tally(results: Any, records: list[dict[str, Any]], progress: Progress, sink: ErrorSink) -> None:
    if not isinstance(results, list) or len(results) != len(records):
        raise ConnectorError(
            "ServerError",
            f"Salesforce answered {len(results) if isinstance(results, list) else 'no'} results for "
            f"{len(records)} records; the outcome of this call is unknown",
        )
    for record, result in zip(records, results, strict=True):
        if result.get("success"):
            progress.wrote(result.get("id") or record.get("Id"))
        else:
            progress.failed += 1
            code, message = error_parts(result.get("errors"))
            sink.add([{key: json_value(value) for key, value in record.items()}], code, message)
