"""Writing records to HubSpot CRM objects in batches (connectors layer, HubSpot).

One call per 100 records (https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/
objects/batch/create-objects and the update / upsert pages):

* INSERT - `POST /crm/v3/objects/{objectType}/batch/create`, `{"inputs": [{"properties"}]}`;
* UPDATE - `.../batch/update`, `{"id", "properties"}`: by record id when `idFieldNames` is `id` or
  `hs_object_id`, else by that unique property (`idProperty`);
* UPSERT - `.../batch/upsert`, `{"idProperty", "id", "properties"}` (e.g. contacts by `email`).

Every column but the record's own (`id`, `createdAt`, `updatedAt`, `archived`) and the id field is
a property; values go as HubSpot's text (booleans `true`/`false`, nested values as JSON). Each
input carries an `objectWriteTraceId` (its place in the call), so HubSpot answers a partial failure
with 207 Multi-Status: the inputs its `errors` name (`context.objectWriteTraceId`, or the `ids`
of an update) are refused with the error's `category` and `message`, the others written. A call
HubSpot refuses whole (400 VALIDATION_ERROR) refuses each of its records with that message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.destination import RecordResult, WritePlan

from .catalog import OBJECTS, RECORD_FIELDS

BATCH = 100
PATHS = {"INSERT": "create", "UPDATE": "update", "UPSERT": "upsert"}
RECORD_IDS = ("id", "hs_object_id")


def text(value: Any) -> str:
    """A value as HubSpot's property text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


@dataclass
class BatchWriter:
    """`rest.destination.Writer` for HubSpot's batch endpoints."""

    chunk_size: int = BATCH

    def check(self, plan: WritePlan) -> None:
        if plan.entity.name not in OBJECTS:
            raise ConnectorError("InvalidArgument", f"HubSpot object {plan.entity.name} cannot be written")
        if plan.operation in ("UPDATE", "UPSERT") and len(plan.id_fields) != 1:
            raise ConnectorError("InvalidArgument", f"writeOperationType {plan.operation} to HubSpot needs exactly one "
                                 "idFieldNames entry: id (the record id) or a unique property such as email")
        if plan.operation == "UPSERT" and plan.id_fields[0] in RECORD_IDS:
            raise ConnectorError("InvalidArgument", "HubSpot upserts by a unique property (idProperty), such as a "
                                 "contact's email; use UPDATE to write by record id")

    def send(self, client: RestClient, plan: WritePlan, records: list[dict[str, Any]]) -> list[RecordResult]:
        results: list[RecordResult | None] = [None] * len(records)
        inputs: list[dict[str, Any]] = []
        id_field = plan.id_fields[0] if plan.id_fields else None
        for index, record in enumerate(records):
            item = _input(plan.operation, id_field, record)
            if item is None:
                results[index] = RecordResult(False, code="MISSING_ID",
                                              message=f"the record has no {id_field} to {plan.operation.lower()} by")
                continue
            item["objectWriteTraceId"] = str(index)
            inputs.append(item)
        if inputs:
            self._call(client, plan, inputs, results)
        return [r if r is not None else RecordResult(True) for r in results]

    def _call(self, client: RestClient, plan: WritePlan, inputs: list[dict[str, Any]],
              results: list[RecordResult | None]) -> None:
        kind = OBJECTS[plan.entity.name][0]
        request = Request("POST", f"/crm/v3/objects/{kind}/batch/{PATHS[plan.operation]}", json={"inputs": inputs})
        try:
            answer = client.call(request, expect=(200, 201, 207))
        except ConnectorError as exc:
            if exc.code != "InvalidArgument":
                raise
            for item in inputs:  # HubSpot refused the call whole: every record of it is refused
                results[int(item["objectWriteTraceId"])] = RecordResult(False, code="VALIDATION_ERROR",
                                                                        message=exc.message)
            return
        body = answer.body if isinstance(answer.body, Mapping) else {}
        by_id = {str(item["id"]): int(item["objectWriteTraceId"]) for item in inputs if "id" in item}
        for error in body.get("errors") or []:
            if not isinstance(error, Mapping):
                continue
            refused = RecordResult(False, code=str(error.get("category") or "ERROR"),
                                   message=str(error.get("message") or "HubSpot refused the record"))
            for index in _named(error.get("context"), by_id):
                if 0 <= index < len(results):
                    results[index] = refused
        for written in body.get("results") or []:
            if isinstance(written, Mapping) and str(written.get("objectWriteTraceId") or "").isdigit():
                index = int(written["objectWriteTraceId"])
                if 0 <= index < len(results) and results[index] is None:
                    results[index] = RecordResult(True, id=str(written.get("id") or "") or None)


def _named(context: Any, by_id: Mapping[str, int]) -> Sequence[int]:
    """The inputs an error's context names: by trace id, else by the ids of an update or upsert."""
    if not isinstance(context, Mapping):
        return ()
    traces = [str(t) for t in context.get("objectWriteTraceId") or [] if str(t).isdigit()]
    if traces:
        return [int(t) for t in traces]
    return [by_id[str(i)] for i in context.get("ids") or [] if str(i) in by_id]


def _input(operation: str, id_field: str | None, record: Mapping[str, Any]) -> dict[str, Any] | None:
    skip = set(RECORD_FIELDS)
    if id_field:
        skip.add(id_field)
    properties = {k: text(v) for k, v in record.items() if k not in skip and v is not None}
    if operation == "INSERT":
        return {"properties": properties}
    assert id_field is not None
    value = record.get(id_field)
    if value is None or str(value).strip() == "":
        return None
    if operation == "UPDATE" and id_field in RECORD_IDS:
        return {"id": text(value), "properties": properties}
    return {"idProperty": id_field, "id": text(value), "properties": properties}
