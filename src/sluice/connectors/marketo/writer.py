"""Writing leads: Sync Leads and Delete Leads (connectors layer, Marketo).

`MarketoDestinationProperties` carries only `object` and `errorHandlingConfig`, so an AppFlow flow writes
with the default operation, INSERT, which is Sync Leads' `createOnly` (a lead whose email already exists is
refused, code 1005, like an insert of a duplicate key). The writer also maps the other write operations,
for flows whose plan names one: UPDATE -> `updateOnly`, UPSERT -> `createOrUpdate` (lookupField: the
first idFieldNames member, else Marketo's default, email), DELETE -> Delete Leads by `id`.

Each call sends at most 300 records (the Leads page's limit); Marketo answers one result per record, in
order: `created` / `updated` / `deleted`, or `skipped` with `reasons: [{code, message}]`
(https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#record-level).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.destination import RecordResult, WritePlan

ACTIONS = {"INSERT": "createOnly", "UPDATE": "updateOnly", "UPSERT": "createOrUpdate"}
DONE = {"created", "updated", "deleted"}


def outcome(result: Any) -> RecordResult:
    """One record's result entry as a RecordResult."""
    if not isinstance(result, Mapping):
        return RecordResult(False, code="ServerError", message="Marketo gave no result for the record")
    lead_id = str(result["id"]) if result.get("id") is not None else None
    if result.get("status") in DONE:
        return RecordResult(True, id=lead_id)
    reasons = result.get("reasons") or [{}]
    first = reasons[0] if isinstance(reasons[0], Mapping) else {}
    return RecordResult(False, id=lead_id, code=str(first.get("code") or result.get("status") or "skipped"),
                        message=str(first.get("message") or "Marketo skipped the record"))


class LeadWriter:
    """The `Writer` of the leads object."""

    chunk_size = 300

    def check(self, plan: WritePlan) -> None:
        """Refuse what Marketo's lead endpoints cannot do."""
        if plan.entity.name != "leads":
            raise ConnectorError("InvalidArgument", f"Sluice writes only Marketo leads, not {plan.entity.name}")
        if plan.operation not in (*ACTIONS, "DELETE"):
            raise ConnectorError("InvalidArgument", f"Marketo leads take INSERT, UPDATE, UPSERT or DELETE, "
                                 f"not {plan.operation}")
        if plan.operation == "DELETE" and plan.id_fields not in ((), ("id",)):
            raise ConnectorError("InvalidArgument", "Marketo deletes leads by id; idFieldNames must be [\"id\"]")

    def send(self, client: RestClient, plan: WritePlan, records: list[dict[str, Any]]) -> list[RecordResult]:
        """Write one chunk; one result per record, in order."""
        if plan.operation == "DELETE":
            return self._delete(client, records)
        body: dict[str, Any] = {"action": ACTIONS[plan.operation], "input": records}
        if plan.operation != "INSERT" and plan.id_fields:
            body["lookupField"] = plan.id_fields[0]
        answer = client.json(Request("POST", "/rest/v1/leads.json", json=body))
        return [outcome(r) for r in _results(answer, len(records))]

    def _delete(self, client: RestClient, records: list[dict[str, Any]]) -> list[RecordResult]:
        results: list[RecordResult | None] = []
        ids: list[int] = []
        for record in records:
            try:
                ids.append(int(record["id"]))
                results.append(None)
            except (KeyError, TypeError, ValueError):
                results.append(RecordResult(False, code="1003", message="the record has no numeric lead id"))
        if ids:
            answer = client.json(Request("POST", "/rest/v1/leads/delete.json",
                                         json={"input": [{"id": i} for i in ids]}))
            sent = iter(outcome(r) for r in _results(answer, len(ids)))
            results = [r if r is not None else next(sent) for r in results]
        return [r for r in results if r is not None]


def _results(answer: Any, expected: int) -> list[Any]:
    results = answer.get("result") if isinstance(answer, Mapping) else None
    if not isinstance(results, list) or len(results) != expected:
        raise ConnectorError("ServerError", f"Marketo answered {len(results or [])} results for {expected} records")
    return results
