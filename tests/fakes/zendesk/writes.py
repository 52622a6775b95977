"""Bulk writes of the fake Zendesk and the Job Statuses API that reports them.

Single creates (`POST /api/v2/{tickets,users,organizations}`) answer 201 with the record, or 422
`{"error": "RecordInvalid", "description": "Record validation errors", "details": {field: [{description, error}]}}`.

Endpoints (Tickets, Users, Organizations API references): `POST /api/v2/{tickets,users,organizations}/create_many`,
`POST /api/v2/users/create_or_update_many` (matches an existing user by `email` or `external_id`),
`PUT /api/v2/{tickets,users,organizations}/update_many` (each object carries `id`, or `external_id`
for users and organizations; or `?ids=` / `?external_ids=` with one `{singular: {...}}` applied
to all). Each accepts at most 100 records (more: 400 `TooManyValues`) and answers a `job_status`
(https://developer.zendesk.com/api-reference/ticketing/ticket-management/job_statuses/) whose
`status` goes "queued" -> "working" -> "completed"; `GET /api/v2/job_statuses/{id}` shows it and,
once completed, its `results`: one entry per submitted record, in order, with `index`, `id`,
`action`, `status` ("Created"/"Updated"/"Failed"), `success`, and for failures `error` and a
`details` string (the shape Zendesk returns for bulk user writes).

The fake applies a job's records when it is submitted; only the reported status lags, so a
client must poll until "completed" to see results, as with the real API.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import seed
from .account import Account
from .http import ZendeskError, base_url, guarded, json_body, json_response

BULK_MAX = 100
SINGULAR = {"tickets": "ticket", "users": "user", "organizations": "organization"}
TICKET_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = (None, "urgent", "high", "normal", "low")
TYPES = (None, "problem", "incident", "question", "task")
ROLES = ("end-user", "agent", "admin")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Invalid(Exception):
    """One record failed: `error` code and a `details` sentence."""

    def __init__(self, error: str, details: str) -> None:
        super().__init__(details)
        self.error = error
        self.details = details


def routes(account: Account) -> list[Route]:
    """The bulk write and job status routes."""
    out: list[Route] = []
    for entity in SINGULAR:
        out += _both(f"/api/v2/{entity}/create_many", guarded(account, _bulk(account, entity, "create"), True),
                     "POST")
        out += _both(f"/api/v2/{entity}/update_many", guarded(account, _bulk(account, entity, "update"), True),
                     "PUT")
    out += _both("/api/v2/users/create_or_update_many", guarded(account, _bulk(account, "users", "upsert"), True),
                 "POST")
    for entity in SINGULAR:
        out += _both(f"/api/v2/{entity}", guarded(account, _create_one(account, entity), True), "POST")
    out += _both("/api/v2/job_statuses/show_many", guarded(account, _show_many(account)), "GET")
    out += _both("/api/v2/job_statuses/{job_id:str}", guarded(account, _show(account)), "GET")
    return out


def _both(path: str, endpoint: Any, method: str) -> list[Route]:
    return [Route(path + ".json", endpoint, methods=[method]), Route(path, endpoint, methods=[method])]


# --- jobs -----------------------------------------------------------------------------------------------------------
class Job:
    """A bulk job: its results are known at submission; `polls` paces the reported status."""

    def __init__(self, job_type: str, results: list[dict[str, Any]]) -> None:
        self.id = secrets.token_hex(16)
        self.job_type = job_type
        self.results = results
        self.polls = 0

    def json(self, url: str, polls_before_done: int, fresh: bool = False) -> dict[str, Any]:
        """The job_status object; each non-fresh call counts as a poll."""
        if not fresh:
            self.polls += 1
        total = len(self.results)
        if fresh:
            status, progress, results, message = "queued", None, None, None
        elif self.polls <= polls_before_done:
            status, progress, results, message = "working", total // 2, None, None
        else:
            status, progress, results, message = "completed", total, self.results, "Completed"
        return {"id": self.id, "url": f"{url}/api/v2/job_statuses/{self.id}.json", "total": total,
                "progress": progress, "status": status, "message": message, "results": results,
                "job_type": self.job_type}


def _show(account: Account) -> Any:
    async def handler(request: Request) -> Response:
        job_id = request.path_params["job_id"].removesuffix(".json")
        job = account.jobs.get(job_id)
        if job is None:
            raise ZendeskError(404, "RecordNotFound", "Not found")
        return json_response({"job_status": job.json(base_url(request), account.job_polls_before_done)})

    return handler


def _show_many(account: Account) -> Any:
    async def handler(request: Request) -> Response:
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        url = base_url(request)
        return json_response({"job_statuses": [account.jobs[i].json(url, account.job_polls_before_done)
                                               for i in ids if i in account.jobs]})

    return handler


# --- single writes --------------------------------------------------------------------------------------------------
def _create_one(account: Account, entity: str) -> Any:
    """`POST /api/v2/{entity}`: 201 with the record (tickets: with an `audit`), or 422 `RecordInvalid`."""

    async def handler(request: Request) -> Response:
        body = await json_body(request)
        item = body.get(SINGULAR[entity])
        if not isinstance(item, dict):
            raise ZendeskError(400, "InvalidValue", f"Expected a '{SINGULAR[entity]}' object")
        url = base_url(request)
        result = _apply(account, entity, "create", 0, item, url)
        if not result["success"]:
            # "Email: x is not properly formatted" is reported under the attribute it names.
            field = str(result["details"]).partition(": ")[0].lower().replace(" ", "_") or "base"
            raise ZendeskError(422, "RecordInvalid", "Record validation errors",
                               details={field: [{"description": result["details"], "error": "InvalidValue"}]})
        record = account.collections[entity].get(result["id"], url)
        answer: dict[str, Any] = {SINGULAR[entity]: record}
        if entity == "tickets" and record is not None:
            answer["audit"] = {"id": record["id"] * 1000, "ticket_id": record["id"], "created_at": record["created_at"],
                               "author_id": record.get("requester_id"), "metadata": {}, "events": [],
                               "via": record["via"]}
        return json_response(answer, 201, {"Location": f"{url}/api/v2/{entity}/{result['id']}.json"})

    return handler


# --- bulk writes ----------------------------------------------------------------------------------------------------
def _bulk(account: Account, entity: str, action: str) -> Any:
    async def handler(request: Request) -> Response:
        body = await json_body(request)
        items = _items(entity, action, body, request)
        if len(items) > BULK_MAX:
            raise ZendeskError(400, "TooManyValues", f"You can submit at most {BULK_MAX} {entity} at a time")
        url = base_url(request)
        results = [_apply(account, entity, action, index, item, url) for index, item in enumerate(items)]
        job = Job(f"Bulk {action.title()} {entity.title()}", results)
        account.jobs[job.id] = job
        return json_response({"job_status": job.json(url, account.job_polls_before_done, fresh=True)})

    return handler


def _items(entity: str, action: str, body: dict[str, Any], request: Request) -> list[dict[str, Any]]:
    """The records a bulk request carries, including the `?ids=` form of update_many."""
    params = request.query_params
    if action == "update" and ("ids" in params or "external_ids" in params):
        one = body.get(SINGULAR[entity])
        if not isinstance(one, dict):
            raise ZendeskError(400, "InvalidValue", f"Expected a '{SINGULAR[entity]}' object")
        key = "id" if "ids" in params else "external_id"
        values = [v for v in params.get("ids" if key == "id" else "external_ids", "").split(",") if v]
        return [{**one, key: int(v) if key == "id" and v.isdigit() else v} for v in values]
    items = body.get(entity)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ZendeskError(400, "InvalidValue", f"Expected '{entity}' to be an array of objects")
    return items


def _apply(account: Account, entity: str, action: str, index: int, item: dict[str, Any], url: str) -> dict[str, Any]:
    """Write one record; its entry in the job's results."""
    collection = account.collections[entity]
    existing = _find(account, entity, item) if action in ("update", "upsert") else None
    verb = "update" if existing is not None else "create"
    try:
        if action == "update" and existing is None:
            raise Invalid("RecordNotFound", f"{SINGULAR[entity].title()} not found")
        rule = account.rejection_for(entity, item)
        if rule is not None:
            raise Invalid("RecordInvalid", rule.details or f"{rule.field.title()}: is invalid")
        old = collection.get(existing, url) if existing is not None else None
        record = _merged(account, entity, item, old, url)
    except Invalid as exc:
        failed: dict[str, Any] = {"index": index, "action": verb, "status": "Failed", "success": False,
                                  "error": exc.error, "details": exc.details}
        if existing is not None:
            failed["id"] = existing
        return failed
    stamp = int(account.now())
    if entity == "tickets":
        record["generated_timestamp"] = stamp
    collection.put(record, stamp)
    account.remember(entity, record, old)
    done = {"index": index, "id": record["id"], "action": verb, "status": "Updated" if old else "Created",
            "success": True}
    if entity == "users":
        done.update(email=record.get("email"), external_id=record.get("external_id"))
    return done


def _find(account: Account, entity: str, item: dict[str, Any]) -> int | None:
    """The id of the existing record an update or upsert item names (id, external_id, or a user's email)."""
    collection = account.collections[entity]
    rid = item.get("id")
    if isinstance(rid, str) and rid.isdigit():  # Zendesk reads ids sent as JSON text too
        rid = int(rid)
    if isinstance(rid, int) and collection.get(rid, "") is not None:
        return rid
    if rid is None and item.get("external_id") and entity != "tickets":
        found = account.by_external_id(entity, str(item["external_id"]))
        if found is not None:
            return found
    if rid is None and entity == "users" and item.get("email"):
        return account.user_by_email(str(item["email"]))
    return None


def _merged(account: Account, entity: str, item: dict[str, Any], old: dict[str, Any] | None,
            url: str) -> dict[str, Any]:
    """The record after applying `item` to `old` (or to a blank record), validated."""
    now = seed.iso(int(account.now()))
    if old is None:
        record = _blank(account, entity, url)
        record["id"] = account.collections[entity].new_id()
        record["url"] = f"{url}/api/v2/{entity}/{record['id']}.json"
        record["created_at"] = now
    else:
        record = {**old}
        if entity == "tickets" and old.get("status") == "closed":
            raise Invalid("RecordInvalid", "Status: closed prevents ticket update")
    for key, value in item.items():
        if key in ("id", "url", "created_at", "updated_at", "generated_timestamp"):
            continue
        if key == "comment" and entity == "tickets":
            if old is None and isinstance(value, dict):
                record["description"] = value.get("body") or value.get("html_body")
            continue
        if key in ("custom_fields", "fields") and entity == "tickets":
            record["custom_fields"] = record["fields"] = _merge_custom(record.get("custom_fields") or [], value)
            continue
        if key == "user_fields" and entity == "users" and isinstance(value, dict):
            record["user_fields"] = {**(record.get("user_fields") or {}), **value}
            continue
        if key == "organization_fields" and entity == "organizations" and isinstance(value, dict):
            record["organization_fields"] = {**(record.get("organization_fields") or {}), **value}
            continue
        record[key] = value
    record["updated_at"] = now
    _validate(account, entity, record, old, url)
    return record


def _merge_custom(current: list[dict[str, Any]], given: Any) -> list[dict[str, Any]]:
    if not isinstance(given, list):
        raise Invalid("RecordInvalid", "Custom fields: must be an array of {id, value}")
    values = {f["id"]: f.get("value") for f in current}
    for entry in given:
        if not isinstance(entry, dict) or "id" not in entry:
            raise Invalid("RecordInvalid", "Custom fields: each entry needs an id")
        values[int(entry["id"])] = entry.get("value")
    return [{"id": fid, "value": value} for fid, value in values.items()]


def _blank(account: Account, entity: str, url: str) -> dict[str, Any]:
    """A new record with every attribute of the entity's JSON format, empty."""
    sample = account.collections[entity].make(0, url)
    blank: dict[str, Any] = {k: ([] if isinstance(v, list) else None) for k, v in sample.items()}
    if entity == "tickets":
        custom = [{"id": f.id, "value": None} for f in seed.TICKET_CUSTOM]
        blank.update(status="new", custom_fields=custom, fields=custom, is_public=True, has_incidents=False,
                     via={"channel": "api", "source": {"from": {}, "to": {}, "rel": None}})
    elif entity == "users":
        blank.update(role="end-user", active=True, verified=False, shared=False, suspended=False,
                     user_fields={f.key: None for f in seed.USER_CUSTOM})
    elif entity == "organizations":
        blank.update(shared_tickets=False, shared_comments=False, organization_fields={})
    return blank


def _validate(account: Account, entity: str, record: dict[str, Any], old: dict[str, Any] | None, url: str) -> None:
    """Zendesk's record validations that a connector can trip over."""
    if entity == "tickets":
        if not record.get("description"):
            raise Invalid("RecordInvalid", "Description: cannot be blank")
        for key, allowed in (("status", TICKET_STATUSES), ("priority", PRIORITIES), ("type", TYPES)):
            if record.get(key) not in allowed:
                raise Invalid("RecordInvalid", f"{key.title()}: {record.get(key)!r} is not a valid value")
        for key in ("requester_id", "assignee_id"):
            value = record.get(key)
            if value is not None and (not isinstance(value, int)
                                      or account.collections["users"].get(value, url) is None):
                raise Invalid("RecordInvalid", f"{key.removesuffix('_id').title()}: is invalid")
    elif entity == "users":
        if not str(record.get("name") or "").strip():
            raise Invalid("RecordInvalid", "Name: is too short (minimum one character)")
        email = record.get("email")
        if email is not None:
            if not isinstance(email, str) or not EMAIL.match(email):
                raise Invalid("RecordInvalid", f"Email: {email} is not properly formatted")
            owner = account.user_by_email(email)
            if owner is not None and owner != record["id"]:
                raise Invalid("RecordInvalid", f"Email: {email} is already being used by another user")
        if record.get("role") not in ROLES:
            raise Invalid("RecordInvalid", f"Role: {record.get('role')!r} is not a valid value")
    elif entity == "organizations" and not str(record.get("name") or "").strip():
        raise Invalid("RecordInvalid", "Name: cannot be blank")
    external = record.get("external_id")
    if old is None and external and entity != "tickets" and account.by_external_id(entity, str(external)) is not None:
        raise Invalid("RecordInvalid", "External: has already been taken")
