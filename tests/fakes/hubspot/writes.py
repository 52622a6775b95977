"""The fake's batch writes: create, update and upsert, 100 inputs a call, 207 for partial failures (state.py)."""

from __future__ import annotations

from typing import Any

from .schema import definitions
from .state import HubSpotState, iso

MAX_INPUTS = 100


def _refused(category: str, message: str, extra: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    return 400, {"category": category, "message": message, "extra": extra or {}}


def batch(state: HubSpotState, kind: str, operation: str, body: Any) -> tuple[int, dict[str, Any]]:
    """(status, body) of one batch call; a status >= 400 carries `category` and `message` for the error body."""
    if operation not in ("create", "update", "upsert"):
        return 404, {"category": "OBJECT_NOT_FOUND", "message": f"Unknown batch operation {operation}"}
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not inputs:
        return _refused("VALIDATION_ERROR", "inputs must be a non-empty list")
    if len(inputs) > MAX_INPUTS:
        return _refused("VALIDATION_ERROR", f"inputs may hold at most {MAX_INPUTS} records, not {len(inputs)}")
    started = iso(state.now_ms())
    traced = all(isinstance(i, dict) and i.get("objectWriteTraceId") for i in inputs)
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for item in inputs:
        outcome = _one(state, kind, operation, item if isinstance(item, dict) else {})
        if "category" in outcome:
            context: dict[str, list[str]] = {}
            if isinstance(item, dict) and item.get("objectWriteTraceId"):
                context["objectWriteTraceId"] = [str(item["objectWriteTraceId"])]
            if isinstance(item, dict) and item.get("id") is not None:
                context["ids"] = [str(item["id"])]
            errors.append({"status": "error", "category": outcome["category"], "message": outcome["message"],
                           "context": context})
        else:
            if isinstance(item, dict) and item.get("objectWriteTraceId"):
                outcome["objectWriteTraceId"] = str(item["objectWriteTraceId"])
            results.append(outcome)
    if errors and not traced:
        # Without trace ids HubSpot cannot say which input failed: the whole call is refused.
        first = errors[0]
        return _refused(first["category"], first["message"], {"context": first["context"]})
    answer: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                              "completedAt": iso(state.now_ms())}
    if errors:
        answer.update(numErrors=len(errors), errors=errors)
        return 207, answer
    return (201 if operation == "create" else 200), answer


def _one(state: HubSpotState, kind: str, operation: str, item: dict[str, Any]) -> dict[str, Any]:
    properties = item.get("properties")
    if not isinstance(properties, dict):
        return {"category": "VALIDATION_ERROR", "message": "properties must be an object"}
    if operation == "create":
        refused = state.refusal(kind, properties)
        if refused:
            return {"category": refused[0], "message": refused[1]}
        return state.create(kind, properties)
    object_id = str(item.get("id") or "")
    if not object_id:
        return {"category": "VALIDATION_ERROR", "message": "id is required"}
    id_property = str(item.get("idProperty") or "hs_object_id")
    known = definitions(kind)
    if id_property != "hs_object_id" and not (id_property in known and known[id_property].unique):
        return {"category": "VALIDATION_ERROR",
                "message": f"{id_property} is not a unique identifier property of {kind}"}
    current = state.find(kind, id_property, object_id)
    written = {k: v for k, v in properties.items() if k != id_property}
    refused = state.refusal(kind, written)
    if refused:
        return {"category": refused[0], "message": refused[1]}
    if current is None:
        if operation == "update":
            return {"category": "OBJECT_NOT_FOUND", "message": f"Could not find object with {id_property} {object_id}"}
        created = state.create(kind, {**written, **({id_property: object_id} if id_property != "hs_object_id" else {})})
        return {**created, "new": True}
    updated = state.update(kind, current, written)
    return {**updated, "new": False} if operation == "upsert" else updated
