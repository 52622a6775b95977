"""Bulk Lead Extract and Bulk Activity Extract of the fake (`/bulk/v1/{leads|activities}/export/...`).

Per the Bulk Extract pages: create a job (fields, one filter, format) -> `Created`; enqueue -> `Queued`; the job
runs (`Processing`) and ends `Completed` with numberOfRecords, fileSize and a `sha256:` fileChecksum; the file
is CSV (or TSV/SSV) with a header row, `null` for empty values, and honours a `Range: bytes=` header. A
createdAt/updatedAt range may span at most 31 days; 2 jobs process at once and 10 may be queued ("1029, Too
many jobs in queue"); the daily export allowance (500 MB by default) ends in "1029, Export daily quota exceeded".
Marketo refreshes a job's status once a minute; the fake moves a queued job one step per status poll and
completes it after `status_polls_to_complete` polls.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import uuid
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .protocol import endpoint, error_response, json_body, ok
from .schema import FIELDS_BY_NAME, iso, parse_datetime
from .state import MarketoError, MarketoState, activity_moment

MAX_SPAN = dt.timedelta(days=31)
MAX_QUEUED = 10
MAX_PROCESSING = 2
DELIMITERS = {"CSV": ",", "TSV": "\t", "SSV": " "}
ACTIVITY_COLUMNS = ("marketoGUID", "leadId", "activityDate", "activityTypeId", "campaignId",
                    "primaryAttributeValueId", "primaryAttributeValue", "attributes")
LEAD_FILTERS = ("createdAt", "updatedAt", "staticListName", "staticListId", "smartListName", "smartListId")


@dataclass
class ExportJob:
    """One export job and, once completed, its file."""

    export_id: str
    entity: str
    fields: list[str]
    filter: dict
    format: str
    headers: dict[str, str]
    status: str = "Created"
    created_at: str = ""
    queued_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    polls: int = 0
    number_of_records: int | None = None
    file: bytes | None = None
    extra: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        out: dict = {"exportId": self.export_id, "format": self.format, "status": self.status,
                     "createdAt": self.created_at}
        for key, value in (("queuedAt", self.queued_at), ("startedAt", self.started_at),
                           ("finishedAt", self.finished_at)):
            if value:
                out[key] = value
        if self.status == "Completed" and self.file is not None:
            out.update(numberOfRecords=self.number_of_records, fileSize=len(self.file),
                       fileChecksum="sha256:" + hashlib.sha256(self.file).hexdigest())
        return out


def date_range(spec: object, name: str) -> tuple[dt.datetime, dt.datetime]:
    """A `{startAt, endAt}` filter of at most 31 days."""
    if not isinstance(spec, dict) or not spec.get("startAt") or not spec.get("endAt"):
        raise MarketoError("1003", f"{name} filter requires startAt and endAt")
    try:
        low, high = parse_datetime(str(spec["startAt"])), parse_datetime(str(spec["endAt"]))
    except ValueError as exc:
        raise MarketoError("1003", f"Invalid date format in {name} filter") from exc
    if high < low:
        raise MarketoError("1003", "endAt must be after startAt")
    if high - low > MAX_SPAN:
        raise MarketoError("1003", "endAt date cannot be more than 31 days after startAt")
    return low, high


def check_lead_job(body: dict) -> tuple[list[str], dict]:
    """Fields and filter of a lead export request."""
    fields = body.get("fields")
    if not isinstance(fields, list) or not fields:
        raise MarketoError("1003", "fields cannot be blank")
    for name in fields:
        if name not in FIELDS_BY_NAME:
            raise MarketoError("1003", f"Invalid field '{name}'")
    spec = body.get("filter")
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in LEAD_FILTERS:
        raise MarketoError("1003", "Exactly one filter type is required: " + ", ".join(LEAD_FILTERS))
    kind = next(iter(spec))
    if kind in ("createdAt", "updatedAt"):
        date_range(spec[kind], kind)
    elif kind.startswith("smartList"):
        raise MarketoError("1035", "Unsupported filter type for target subscription")
    else:
        raise MarketoError("1013", "Static list not found")
    return fields, spec


def check_activity_job(body: dict) -> tuple[list[str], dict]:
    """Fields and filter of an activity export request."""
    fields = body.get("fields") or list(ACTIVITY_COLUMNS)
    for name in fields:
        if name not in (*ACTIVITY_COLUMNS, "actionResult"):
            raise MarketoError("1003", f"Invalid field '{name}'")
    spec = body.get("filter")
    if not isinstance(spec, dict) or "createdAt" not in spec:
        raise MarketoError("1003", "createdAt filter is required")
    date_range(spec["createdAt"], "createdAt")
    types = spec.get("activityTypeIds")
    if types is not None and (not isinstance(types, list) or not all(isinstance(t, int) for t in types)):
        raise MarketoError("1003", "activityTypeIds must be an array of integers")
    return fields, spec


def cell(value: object) -> str:
    """A value as the export file writes it (`null` for empty)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def build_file(state: MarketoState, job: ExportJob) -> tuple[bytes, int]:
    """The job's file and record count, from the data as it is now."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITERS[job.format], lineterminator="\n")
    writer.writerow([job.headers.get(f, f) for f in job.fields])
    count = 0
    if job.entity == "leads":
        kind = next(iter(job.filter))
        low, high = date_range(job.filter[kind], kind)
        for record in state.leads_in_range(kind, low, high):
            writer.writerow([cell(record.get(f)) for f in job.fields])
            count += 1
    else:
        low, high = date_range(job.filter["createdAt"], "createdAt")
        types = set(job.filter.get("activityTypeIds") or [])
        total = state.activity_count()
        activity_id = state.first_activity_at_or_after(low)
        while activity_id <= total:
            activity = state.activity(activity_id)
            activity_id += 1
            if activity_moment(activity) > high:
                break
            if types and activity["activityTypeId"] not in types:
                continue
            activity.setdefault("actionResult", "succeeded")
            writer.writerow([cell(activity.get(f)) for f in job.fields])
            count += 1
    return buffer.getvalue().encode(), count


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) of a `Range: bytes=first-last` header, or None."""
    if not header or not header.startswith("bytes="):
        return None
    first_text, _, last_text = header[6:].partition("-")
    first = int(first_text) if first_text else max(size - int(last_text), 0)
    last = int(last_text) if first_text and last_text else size - 1
    return first, min(last, size - 1)


def routes(state: MarketoState) -> list[Route]:
    """The export-job routes for leads and activities."""

    def job_for(request: Request) -> ExportJob:
        job = state.exports.get(request.path_params["export_id"])
        if job is None or job.entity != request.path_params["entity"]:
            raise MarketoError("1003", f"Export id '{request.path_params['export_id']}' not found")
        return job

    def active(status: str) -> int:
        return sum(1 for j in state.exports.values() if j.status == status)

    async def create(request: Request, found: dict[str, str]) -> dict:
        entity = request.path_params["entity"]
        body = json_body(await request.body(), request.headers.get("content-type", ""))
        fields, spec = check_lead_job(body) if entity == "leads" else check_activity_job(body)
        file_format = body.get("format") or "CSV"
        if file_format not in DELIMITERS:
            raise MarketoError("1003", f"Invalid format '{file_format}'")
        if state.exported_bytes >= state.export_quota_bytes:
            raise MarketoError("1029", "Export daily quota exceeded")
        job = ExportJob(str(uuid.uuid4()), entity, list(fields), spec, file_format,
                        dict(body.get("columnHeaderNames") or {}), created_at=iso(state.now()))
        state.exports[job.export_id] = job
        return ok([job.as_json()])

    async def enqueue(request: Request, found: dict[str, str]) -> dict:
        job = job_for(request)
        if job.status != "Created":
            raise MarketoError("1029", "Job already queued")
        if active("Queued") + active("Processing") >= MAX_QUEUED:
            raise MarketoError("1029", "Too many jobs in queue")
        if state.exported_bytes >= state.export_quota_bytes:
            raise MarketoError("1029", "Export daily quota exceeded")
        job.status, job.queued_at = "Queued", iso(state.now())
        return ok([job.as_json()])

    async def status(request: Request, found: dict[str, str]) -> dict:
        job = job_for(request)
        if job.status == "Queued" and active("Processing") < MAX_PROCESSING:
            job.status, job.started_at = "Processing", iso(state.now())
        if job.status == "Processing":
            job.polls += 1
            if job.polls >= state.status_polls_to_complete:
                job.file, job.number_of_records = build_file(state, job)
                state.exported_bytes += len(job.file)
                job.status, job.finished_at = "Completed", iso(state.now())
        return ok([job.as_json()])

    async def file(request: Request, found: dict[str, str]) -> Response | dict:
        job = job_for(request)
        if job.status != "Completed" or job.file is None:
            raise MarketoError("1003", f"Export '{job.export_id}' is not completed (status {job.status})")
        content_type = "text/csv" if job.format == "CSV" else "text/plain"
        wanted = byte_range(request.headers.get("range"), len(job.file))
        if wanted is None:
            return Response(job.file, media_type=content_type)
        first, last = wanted
        return Response(job.file[first:last + 1], status_code=206, media_type=content_type,
                        headers={"Content-Range": f"bytes {first}-{last}/{len(job.file)}"})

    async def cancel(request: Request, found: dict[str, str]) -> dict:
        job = job_for(request)
        if job.status in ("Completed", "Failed"):
            raise MarketoError("1003", f"Export '{job.export_id}' cannot be cancelled (status {job.status})")
        job.status = "Cancelled"
        return ok([job.as_json()])

    async def list_jobs(request: Request, found: dict[str, str]) -> dict:
        wanted = {s for s in (found.get("status") or "").split(",") if s}
        jobs = [j.as_json() for j in state.exports.values() if j.entity == request.path_params["entity"]
                and (not wanted or j.status in wanted)]
        return ok(jobs)

    base = "/bulk/v1/{entity:str}/export"

    def route(path: str, handler, method: str) -> Route:
        wrapped = endpoint(state, handler)

        async def only_known(request: Request) -> Response:
            if request.path_params["entity"] not in ("leads", "activities"):
                return error_response(MarketoError("610", "Requested resource not found"))
            return await wrapped(request)

        return Route(path, only_known, methods=[method])

    return [
        route(base + ".json", list_jobs, "GET"),
        route(base + "/create.json", create, "POST"),
        route(base + "/{export_id:str}/enqueue.json", enqueue, "POST"),
        route(base + "/{export_id:str}/status.json", status, "GET"),
        route(base + "/{export_id:str}/file.json", file, "GET"),
        route(base + "/{export_id:str}/cancel.json", cancel, "POST"),
    ]
