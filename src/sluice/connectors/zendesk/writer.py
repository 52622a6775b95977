"""Writing records to Zendesk through its bulk endpoints and job statuses (connectors layer, Zendesk).

`ZendeskDestinationProperties.writeOperationType` maps to the documented bulk endpoints (at most
100 records a call; each answers a `job_status` that `GET /api/v2/job_statuses/{id}` reports
until it is "completed", with one result per record carrying its `index`):

* INSERT - `POST /api/v2/{object}/create_many`;
* UPDATE - `PUT /api/v2/{object}/update_many`, each record naming its target by the
  `idFieldNames` field: `id`, or `external_id` for users and organizations;
* UPSERT - users keyed by `email` or `external_id`: `POST /api/v2/users/create_or_update_many`
  (Zendesk matches them itself); otherwise update_many first, then create_many for the records
  Zendesk did not find (tickets and organizations have no bulk create-or-update).

Records are sent as Zendesk objects: `custom_field_<id>` columns go back into `custom_fields`,
`user_field_<key>` into `user_fields`; read-only attributes are left out; a new ticket without a
`comment` gets its `description` as the first comment (Zendesk makes the description from it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.destination import RecordResult, WritePlan
from sluice.connectors.zendesk.fields import READ_ONLY, TICKET_PREFIX, USER_PREFIX

CHUNK = 100
SINGULAR = {"tickets": "ticket", "users": "user", "organizations": "organization"}
KEYS = {"tickets": ("id",), "users": ("id", "external_id", "email"), "organizations": ("id", "external_id")}
POLL_LIMIT = 600.0  # seconds a job may take before the chunk is reported failed


def coerce(value: Any, kind: str) -> Any:
    """A value of a declared field in the JSON type Zendesk expects (text from CSV sources becomes
    a number, boolean or list when it reads as one; anything else is sent as it is)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if kind == "integer" and text.lstrip("-").isdigit():
            return int(text)
        if kind == "double":
            return float(text)
        if kind == "boolean" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind in ("array", "struct", "json") and text[:1] in ("[", "{"):
            return orjson.loads(text)
    except (ValueError, orjson.JSONDecodeError):
        pass
    return value


def to_object(entity: str, record: Mapping[str, Any], creating: bool,
              types: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A flow record as the Zendesk object the bulk endpoints take (`types`: declared field types)."""
    types = types or {}
    record = {k: coerce(v, types[k]) if k in types else v for k, v in record.items()}
    out: dict[str, Any] = {}
    custom: list[dict[str, Any]] = []
    user_fields: dict[str, Any] = {}
    for key, value in record.items():
        if key in READ_ONLY or (creating and key == "id"):
            continue
        if entity == "tickets" and key.startswith(TICKET_PREFIX) and key[len(TICKET_PREFIX):].isdigit():
            custom.append({"id": int(key[len(TICKET_PREFIX):]), "value": value})
        elif entity == "users" and key.startswith(USER_PREFIX):
            user_fields[key[len(USER_PREFIX):]] = value
        else:
            out[key] = value
    if custom:
        out["custom_fields"] = [*(out.get("custom_fields") or []), *custom] if isinstance(
            out.get("custom_fields"), list) else custom
    if user_fields:
        out["user_fields"] = {**(out.get("user_fields") or {}), **user_fields} if isinstance(
            out.get("user_fields"), dict) else user_fields
    if entity == "tickets" and creating and "comment" not in out and out.get("description"):
        out["comment"] = {"body": out["description"]}
    return out


class ZendeskWriter:
    """`rest.destination.Writer` for tickets, users and organizations."""

    chunk_size = CHUNK

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sleep = sleep

    def check(self, plan: WritePlan) -> None:
        """Refuse a plan Zendesk cannot carry out (the key field must be one it matches records by)."""
        entity = plan.entity.name
        if plan.operation == "INSERT":
            return
        # Zendesk finds users by e-mail only when creating or updating (create_or_update_many).
        keys = KEYS[entity] if plan.operation == "UPSERT" else tuple(k for k in KEYS[entity] if k != "email")
        if len(plan.id_fields) != 1 or plan.id_fields[0] not in keys:
            raise ConnectorError("InvalidArgument", f"{plan.operation} of Zendesk {entity} needs exactly one "
                                 f"idFieldNames entry: {' or '.join(keys)}")

    def send(self, client: RestClient, plan: WritePlan, records: list[dict[str, Any]]) -> list[RecordResult]:
        """Write one chunk; a result per record, in order."""
        entity = plan.entity.name
        types = {f.name: f.type for f in plan.entity.fields}

        def objects(chosen: list[dict[str, Any]], creating: bool) -> list[dict[str, Any]]:
            return [to_object(entity, r, creating, types) for r in chosen]

        if plan.operation == "INSERT":
            return self._job(client, "POST", f"/api/v2/{entity}/create_many.json", entity, objects(records, True))
        key = plan.id_fields[0]
        if plan.operation == "UPSERT" and entity == "users" and key in ("email", "external_id"):
            return self._job(client, "POST", "/api/v2/users/create_or_update_many.json", entity,
                             objects(records, False))
        results: list[RecordResult | None] = [None] * len(records)
        keyed = [i for i, r in enumerate(records) if r.get(key) not in (None, "")]
        for i, r in enumerate(records):
            if r.get(key) in (None, "") and plan.operation == "UPDATE":
                results[i] = RecordResult(False, code="MissingId", message=f"the record has no {key}")
        if keyed:
            updated = self._job(client, "PUT", f"/api/v2/{entity}/update_many.json", entity,
                                objects([records[i] for i in keyed], False))
            for i, result in zip(keyed, updated, strict=True):
                results[i] = result
        if plan.operation == "UPSERT":
            # What Zendesk did not find (and records without a key) is created.
            missing = [i for i, r in enumerate(results) if r is None or (not r.ok and r.code == "RecordNotFound")]
            if missing:
                created = self._job(client, "POST", f"/api/v2/{entity}/create_many.json", entity,
                                    objects([records[i] for i in missing], True))
                for i, result in zip(missing, created, strict=True):
                    results[i] = result
        return [r if r is not None else RecordResult(False, code="NoResult", message="Zendesk reported nothing")
                for r in results]

    def _job(self, client: RestClient, method: str, path: str, entity: str,
             objects: list[dict[str, Any]]) -> list[RecordResult]:
        """Submit one bulk call and wait for its job; the per-record results by `index`."""
        body = client.json(Request(method, path, json={entity: objects}))
        job = _job_status(body)
        job_id = job.get("id")
        if not job_id:
            raise ConnectorError("ServerError", f"Zendesk answered {method} {path} without a job_status")
        job = self._wait(client, str(job_id), job)
        if job.get("status") != "completed":
            message = str(job.get("message") or f"the Zendesk job {job_id} {job.get('status')}")
            return [RecordResult(False, code="JobFailed", message=message) for _ in objects]
        by_index: dict[int, Mapping[str, Any]] = {}
        for position, result in enumerate(job.get("results") or []):
            if isinstance(result, Mapping):
                index = result.get("index")
                by_index[int(index) if isinstance(index, int) else position] = result
        return [_result(by_index.get(i)) for i in range(len(objects))]

    def _wait(self, client: RestClient, job_id: str, job: Mapping[str, Any]) -> Mapping[str, Any]:
        delay, waited = 0.05, 0.0
        while job.get("status") in ("queued", "working", None):
            if waited > POLL_LIMIT:
                return {"status": "timed out", "message": f"the Zendesk job {job_id} did not finish in "
                        f"{int(POLL_LIMIT)} s"}
            self.sleep(delay)
            waited += delay
            delay = min(delay * 2, 2.0)
            job = _job_status(client.get(f"/api/v2/job_statuses/{job_id}.json"))
        return job


def _job_status(body: Any) -> Mapping[str, Any]:
    """The `job_status` object of an answer ({} when the answer has none)."""
    job = body.get("job_status") if isinstance(body, Mapping) else None
    return job if isinstance(job, Mapping) else {}


def _result(entry: Mapping[str, Any] | None) -> RecordResult:
    if entry is None:
        return RecordResult(False, code="NoResult", message="Zendesk's job reported nothing for this record")
    failed = entry.get("error") or entry.get("success") is False or str(entry.get("status", "")).lower() == "failed"
    if failed:
        details = entry.get("details")
        message = details if isinstance(details, str) else str(details or entry.get("error") or "failed")
        return RecordResult(False, code=str(entry.get("error") or "Failed"), message=message)
    rid = entry.get("id")
    return RecordResult(True, id=None if rid is None else str(rid))
