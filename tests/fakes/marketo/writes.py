"""Sync Leads (`POST /rest/v1/leads.json`) and Delete Leads (`POST /rest/v1/leads/delete.json`) of the fake.

Per the Leads and Error Codes pages: up to 300 records a call; `action` is createOnly, updateOnly,
createOrUpdate (default) or createDuplicate; `lookupField` defaults to email; `id` may only be sent with
updateOnly. Each input record gets a result in input order: `{id, status: created|updated}` or
`{status: skipped, reasons: [{code, message}]}` with record-level codes 1001 (type), 1003 (invalid data),
1004 (not found), 1005 (already exists), 1006 (unknown field), 1007 (several leads match).
"""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request

from .protocol import json_body, ok
from .schema import FIELDS_BY_NAME
from .state import MarketoError, MarketoState

ACTIONS = ("createOnly", "updateOnly", "createOrUpdate", "createDuplicate")
MAX_INPUT = 300


def skipped(code: str, message: str) -> dict:
    """A record-level failure."""
    return {"status": "skipped", "reasons": [{"code": code, "message": message}]}


def type_error(name: str, value: object) -> str | None:
    """1001's message when `value` does not fit field `name`'s data type, else None."""
    if value is None:
        return None
    kind = FIELDS_BY_NAME[name].data_type
    fits = True
    if kind in ("integer", "score"):
        fits = (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value.isdigit())
    elif kind in ("float", "currency"):
        fits = isinstance(value, int | float) and not isinstance(value, bool)
        if isinstance(value, str):
            try:
                float(value)
                fits = True
            except ValueError:
                fits = False
    elif kind == "boolean":
        fits = isinstance(value, bool) or str(value).lower() in ("true", "false")
    elif kind == "email":
        fits = isinstance(value, str) and value.isascii() and "@" in value
    elif kind in ("date", "datetime"):
        try:
            (dt.date.fromisoformat if kind == "date" else dt.datetime.fromisoformat)(str(value).replace("Z", "+00:00"))
        except ValueError:
            fits = False
    if fits:
        return None
    return f"Invalid value '{value}'. Required of type '{kind}'"


def batch_input(body: dict) -> list:
    """The `input` array of a write request, as Marketo checks it: not blank, at most MAX_INPUT records."""
    records = body.get("input")
    if not isinstance(records, list) or not records:
        raise MarketoError("701", "input cannot be blank")
    if len(records) > MAX_INPUT:
        raise MarketoError("1003", f"Batch size {len(records)} exceeds the maximum of {MAX_INPUT}")
    return records


def sync_record(state: MarketoState, action: str, lookup: str, record: dict) -> dict:
    """Apply one input record; its result entry."""
    for name in record:
        if name not in FIELDS_BY_NAME:
            return skipped("1006", f"Field '{name}' not found")
    rejection = state.rejection_for(record)
    if rejection is not None:
        return skipped(rejection.code, rejection.message)
    for name, value in record.items():
        problem = type_error(name, value)
        if problem:
            return skipped("1001", problem)
        if name != "id" and FIELDS_BY_NAME[name].read_only:
            return skipped("1003", f"Field '{name}' is read only")
    if "id" in record and action != "updateOnly":
        return skipped("1003", "Invalid data")
    values = {k: v for k, v in record.items() if k != "id"}
    if action == "createDuplicate":
        return {"id": state.create_lead(values)["id"], "status": "created"}
    key = record.get(lookup)
    if key in (None, ""):
        return skipped("1003", f"Value for lookup field '{lookup}' not found")
    matches = state.find(lookup, key)
    if len(matches) > 1 and action != "createOnly":
        return skipped("1007", "Multiple leads match the lookup criteria")
    if action == "createOnly":
        if matches:
            return skipped("1005", "Lead already exists")
        return {"id": state.create_lead(values)["id"], "status": "created"}
    if not matches:
        if action == "updateOnly":
            return skipped("1004", "Lead not found")
        return {"id": state.create_lead(values)["id"], "status": "created"}
    lead_id = matches[0]["id"]
    state.update_lead(lead_id, **values)
    return {"id": lead_id, "status": "updated"}


def sync_leads(state: MarketoState):
    """The Sync Leads handler."""

    async def handler(request: Request, found: dict[str, str]) -> dict:
        body = json_body(await request.body(), request.headers.get("content-type", ""))
        action = body.get("action") or "createOrUpdate"
        if action not in ACTIONS:
            raise MarketoError("1003", f"Invalid action '{action}'")
        lookup = body.get("lookupField") or "email"
        if lookup not in FIELDS_BY_NAME:
            raise MarketoError("1006", f"Field '{lookup}' not found")
        records = batch_input(body)
        results = []
        for record in records:
            if not isinstance(record, dict):
                results.append(skipped("1003", "Invalid data"))
                continue
            results.append(sync_record(state, action, lookup, record))
        return ok(results)

    return handler


def delete_leads(state: MarketoState):
    """The Delete Leads handler (JSON body `{input: [{id}]}`)."""

    async def handler(request: Request, found: dict[str, str]) -> dict:
        body = json_body(await request.body(), request.headers.get("content-type", ""))
        records = batch_input(body)
        results = []
        for record in records:
            lead_id = record.get("id") if isinstance(record, dict) else None
            if not isinstance(lead_id, int):
                results.append(skipped("1003", "Invalid data"))
                continue
            rejection = state.rejection_for(record)
            if rejection is not None:
                results.append({"id": lead_id, **skipped(rejection.code, rejection.message)})
            elif state.delete_lead(lead_id):
                results.append({"id": lead_id, "status": "deleted"})
            else:
                results.append({"id": lead_id, **skipped("1004", "Lead not found")})
        return ok(results)

    return handler
