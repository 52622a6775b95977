"""Bulk API 2.0 of the fake org: query and ingest jobs under `/services/data/vXX.X/jobs/`.

Follows the Bulk API 2.0 Developer Guide as pinned by docs/salesforce-wire.md:

- A query job is validated when created (bad SOQL, aggregates and compound fields answer 400 like
  Salesforce) and then runs on a worker thread: SQLite renders each row as a CSV line (every value
  quoted, null empty, as Salesforce does) into a temp file, and results pages are byte ranges of that
  file, so a million-row job is ready in seconds. The same query over unchanged data reuses that file.
  The job reports `UploadComplete`/`InProgress` until the CSV is written and the client has polled
  twice (or 0.3 s passed), so clients must really poll.
- Results pages hold `maxRecords` rows, `DEFAULT_PAGE_SIZE` (50,000) when absent (Salesforce picks its
  own size; clients must follow `Sforce-Locator`). A locator is the base64 of the next row offset
  without padding, as Salesforce's look (`MTAwMDA` = row 10000); the last page says `null`.
- An ingest job takes exactly one `PUT .../batches` upload, as Salesforce does (a second one is
  rejected with "Found multiple contents for job"). After `UploadComplete` a worker pushes every row
  through `org.write` in chunks of 200, so each row succeeds or fails on its own. CSV text goes to
  `org.write` as is (it types values from the describe); an empty value means "leave unchanged" and
  `#N/A` sets null.
- Tests can fail a job while it runs: `org.faults.add("JOB", "job:query" | "job:ingest", 500,
  message=...)` ends the next job of that kind `Failed` with that `errorMessage`.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from . import soql as soql_mod
from .errors import SalesforceError
from .schema import make_id

DEFAULT_PAGE_SIZE = 50_000
CHUNK_ROWS = 2_000  # rows per file append; a page boundary inside a chunk is found by scanning that chunk only
WRITE_BATCH = 200  # rows per org.write call, the sObject Collections limit
MAX_UPLOAD_BYTES = 150 * 1024 * 1024
MIN_POLLS, MIN_SECONDS = 2, 0.3
DELIMITERS = {"COMMA": ",", "TAB": "\t", "SEMICOLON": ";", "PIPE": "|", "CARET": "^", "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
INGEST_OPERATIONS = {"insert": "insert", "upsert": "upsert", "update": "update", "delete": "delete",
                     "hardDelete": "delete"}  # the fake keeps no recycle bin, so hardDelete is a delete
# printf's %w doubles quote characters but prints NULL as "(NULL)", so nulls travel as this control character and
# their quoted form is removed afterwards (no real value is exactly "\x01").
NULL_MARK = "\x01"
TERMINAL = ("JobComplete", "Failed", "Aborted")
RESULT_KINDS = {"successfulresults": ("success", ["sf__Id", "sf__Created"]),
                "failedresults": ("failed", ["sf__Id", "sf__Error"]), "unprocessedrecords": ("unprocessed", [])}


def _bad(code: str, message: str, status: int = 400) -> SalesforceError:
    return SalesforceError(status, code, message)


def _csv_arg(name: str, kind: str) -> str:
    """SQL for one printf argument: the stored value as Bulk CSV text, NULL_MARK for null."""
    column = f'"{name}"'
    if kind == "boolean":
        return f"CASE {column} WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE '{NULL_MARK}' END"
    if kind in ("double", "currency", "percent"):  # whole numbers without SQLite's ".0"
        whole = f"{column} = CAST({column} AS INTEGER) AND abs({column}) < 1e15"
        column = f"iif({whole}, CAST({column} AS INTEGER), {column})"
    return f"COALESCE({column}, '{NULL_MARK}')"


def _encode_locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _decode_locator(locator: str) -> int:
    try:
        return int(base64.b64decode(locator + "=" * (-len(locator) % 4)).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise _bad("INVALIDLOCATOR", f"Invalid locator: {locator}") from exc


class _Job:
    """What both kinds of job share; the worker thread sets `done`, `error`, `processed`, `failed`."""

    kind = ""

    def __init__(self, info: dict[str, Any]) -> None:
        self.id: str = info["id"]
        self.info = info
        self.started = time.monotonic()
        self.finished: float | None = None
        self.polls = 0
        self.done = self.aborted = False
        self.error: str | None = None
        self.processed = self.failed = 0

    def state(self) -> str:
        """The public state: completion waits for the worker and for the client's polling."""
        if self.aborted:
            return "Aborted"
        if self.done and self.error is not None:
            return "Failed"
        if self.done and (self.polls >= MIN_POLLS or time.monotonic() - self.started >= MIN_SECONDS):
            return "JobComplete"
        return self.info["state"] if self.polls == 0 else "InProgress"

    def describe(self) -> dict[str, Any]:
        """Job info as `GET /jobs/{kind}/{id}` answers it."""
        body = {**self.info, "state": self.state(), "numberRecordsProcessed": self.processed, "retries": 0}
        elapsed = ((self.finished or time.monotonic()) - self.started) if self.info["state"] != "Open" else 0
        body["totalProcessingTime"] = int(elapsed * 1000)
        if self.kind == "ingest":
            body.update(jobType="V2Ingest", numberRecordsFailed=self.failed, apexProcessingTime=0,
                        apiActiveProcessingTime=body["totalProcessingTime"])
        else:
            body.update(jobType="V2Query", isPkChunkingSupported=True)
        if body["state"] == "Failed":
            body["errorMessage"] = self.error
        return body


class _QueryJob(_Job):
    """A query job's CSV file (shared by jobs of the same unchanged query) and where every CHUNK_ROWS-th row starts."""

    kind = "query"

    def __init__(self, info: dict[str, Any]) -> None:
        super().__init__(info)
        self.file = tempfile.TemporaryFile(prefix="sf-bulk-query-")  # noqa: SIM115 - closed when the last job goes
        self.flock = threading.Lock()  # one file position for the worker's appends and the pages' reads
        self.header = b""
        self.newline = LINE_ENDINGS[info["lineEnding"]].encode()
        self.chunk_starts: list[int] = []
        self.size = 0

    def share(self, source: _QueryJob) -> None:
        """Serve `source`'s finished CSV instead of running the same query again."""
        self.file, self.flock, self.header = source.file, source.flock, source.header
        self.chunk_starts, self.size, self.processed = source.chunk_starts, source.size, source.processed
        self.finished, self.done = time.monotonic(), True

    def read(self, start: int, end: int) -> bytes:
        with self.flock:
            self.file.seek(start)
            return self.file.read(end - start)

    def row_start(self, row: int) -> int:
        """Byte offset where `row` starts (the file size for the row past the last)."""
        if row >= self.processed:
            return self.size
        chunk, index = divmod(row, CHUNK_ROWS)
        start = self.chunk_starts[chunk]
        data = self.read(start, self.chunk_starts[chunk + 1] if chunk + 1 < len(self.chunk_starts) else self.size)
        # A line break ends a row only outside quotes, i.e. after an even number of quote characters.
        pos = quotes = 0
        while index:
            end = data.index(self.newline, pos)
            quotes += data.count(b'"', pos, end)
            pos = end + len(self.newline)
            index -= quotes % 2 == 0
        return start + pos

    def append(self, lines: list[str]) -> None:
        newline = self.newline.decode()
        data = (newline.join(lines) + newline).replace(f'"{NULL_MARK}"', "").encode()
        with self.flock:
            self.file.seek(self.size)
            self.file.write(data)
        self.chunk_starts.append(self.size)
        self.size += len(data)
        self.processed += len(lines)


class _IngestJob(_Job):
    """An ingest job: its one upload, the upload's columns and the per-row outcomes (raw CSV values)."""

    kind = "ingest"

    def __init__(self, info: dict[str, Any]) -> None:
        super().__init__(info)
        self.upload: bytes | None = None
        self.columns: list[str] = []
        self.results: dict[str, list[list[str]]] = {"success": [], "failed": [], "unprocessed": []}


JobT = TypeVar("JobT", bound=_Job)


class Bulk:
    """The Bulk API 2.0 resources of one org."""

    def __init__(self, org: Any) -> None:
        self.org = org
        self.jobs: dict[str, _Job] = {}
        self.lock = threading.Lock()
        self.seq = 0
        self.cache: dict[tuple[Any, ...], _QueryJob] = {}

    def _job(self, request: Request, cls: type[JobT]) -> JobT:
        job = self.jobs.get(request.path_params["job_id"])
        if not isinstance(job, cls):  # a query job's id on an ingest URL is unknown too
            raise _bad("NOT_FOUND", "The requested resource does not exist", 404)
        return job

    def _info(self, request: Request, user: str, body: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """The job-info fields every job has, after checking the CSV options."""
        delimiter, line_ending = body.get("columnDelimiter", "COMMA"), body.get("lineEnding", "LF")
        if delimiter not in DELIMITERS or line_ending not in LINE_ENDINGS or body.get("contentType", "CSV") != "CSV":
            raise _bad("INVALIDJOB", f"Invalid CSV options: {delimiter}, {line_ending}, {body.get('contentType')}")
        with self.lock:
            self.seq += 1
            job_id = make_id("750", self.seq)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        return {"id": job_id, **fields, "createdById": self.org.auth.user_id(user), "createdDate": now,
                "systemModstamp": now, "concurrencyMode": "Parallel", "contentType": "CSV",
                "apiVersion": request.path_params["version"], "lineEnding": line_ending,
                "columnDelimiter": delimiter}

    # -- query jobs --------------------------------------------------------------------------------------------------

    def create_query(self, request: Request, user: str, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /jobs/query`: check the SOQL now, as Salesforce does, then run it on a worker thread."""
        operation, soql = body.get("operation"), body.get("query")
        if operation not in ("query", "queryAll"):
            raise _bad("INVALIDJOB", f"Invalid operation: {operation}")
        if not isinstance(soql, str) or not soql.strip():
            raise _bad("INVALIDJOB", "The query is required")
        parsed = soql_mod.translate(soql, objects=self.org.objects)  # MALFORMED_QUERY, INVALID_FIELD, ...
        if parsed.is_count:
            raise _bad("API_ERROR", "Aggregate queries are not supported by Bulk API 2.0")
        if any(f.type in ("address", "location") for f in parsed.fields):
            raise _bad("API_ERROR", "Selecting compound data not supported in Bulk Query")  # Salesforce's words
        job = _QueryJob(self._info(request, user, body, operation=operation, object=parsed.obj.name,
                                   state="UploadComplete"))
        self.jobs[job.id] = job
        # The same query over unchanged data (neither SQLite's change counter nor its schema version, which a
        # reseed bumps, moved) reuses the CSV already made: repeated benchmark runs don't wait for it again.
        with self.org.lock:
            db = self.org.db
            version = (id(db), db.total_changes, db.execute("PRAGMA schema_version").fetchone()[0])
        key = (*version, operation, soql, job.info["columnDelimiter"], job.info["lineEnding"])
        source, failure = self.cache.get(key), self._injected_failure("query")
        if failure is not None:
            job.error, job.finished, job.done = failure, time.monotonic(), True
        elif source is not None:
            job.share(source)
        else:
            self.cache = {k: v for k, v in self.cache.items() if k[:3] == version}
            args = (job, parsed, operation == "queryAll", key)
            threading.Thread(target=self._run_query, args=args, name=f"bulk-{job.id}", daemon=True).start()
        return dict(job.info)

    def _run_query(self, job: _QueryJob, parsed: Any, include_deleted: bool, key: tuple[Any, ...]) -> None:
        """Write the result as CSV, CHUNK_ROWS rows at a time."""
        try:
            delimiter = DELIMITERS[job.info["columnDelimiter"]]
            job.header = (delimiter.join(f'"{c}"' for c in parsed.columns) + job.newline.decode()).encode()
            sql, params = parsed.sql(include_deleted)
            # SQLite renders each row as one CSV line (every value quoted, as Salesforce does); Python only joins.
            line = "printf('" + delimiter.join('"%w"' for _ in parsed.fields) + "', " + ", ".join(
                _csv_arg(f.name, f.type) for f in parsed.fields) + ")"
            prefix = "SELECT " + ", ".join(f'"{c}"' for c in parsed.columns) + " FROM "
            sql = f"SELECT {line} FROM {sql[len(prefix):]}" if sql.startswith(prefix) else f"SELECT {line} FROM ({sql})"
            with self.org.lock:
                cursor = self.org.db.execute(sql, params)
            while not job.aborted:
                with self.org.lock:
                    rows = cursor.fetchmany(CHUNK_ROWS)
                if not rows:
                    self.cache[key] = job
                    break
                job.append([r[0] for r in rows])
        except SalesforceError as exc:
            job.error = exc.message
        except Exception as exc:  # a bug in the fake must fail the job visibly, not leave it in progress forever
            job.error = f"UNKNOWN_EXCEPTION: {exc!r}"
        finally:
            job.finished = time.monotonic()
            job.done = True

    def _injected_failure(self, kind: str) -> str | None:
        """Let tests fail a job: a fault with method "JOB" matching `job:query` or `job:ingest` ends the next job
        of that kind `Failed`, its `errorMessage` being the fault's message."""
        fault = self.org.faults.take("JOB", f"job:{kind}")
        return fault.error().message if fault is not None and fault.status else None

    def query_job(self, request: Request, user: str, body: Any) -> dict[str, Any]:
        """`GET /jobs/query/{id}`: each poll moves the job along."""
        job = self._job(request, _QueryJob)
        job.polls += 1
        return job.describe()

    def query_results(self, request: Request, user: str, body: Any) -> Response:
        """`GET /jobs/query/{id}/results`: one page of CSV and the locator of the next."""
        job = self._job(request, _QueryJob)
        if job.state() != "JobComplete":  # the documented answer, status names as Salesforce spells them there
            state = {"UploadComplete": "UPLOAD_COMPLETE", "InProgress": "IN_PROGRESS"}.get(job.state(), job.state())
            raise _bad("JOB_NOT_COMPLETE", "can only download query results of successfully completed bulk job with "
                       f"status: JOB_COMPLETE. Current status: {state.upper()}", 412)
        locator, max_records = request.query_params.get("locator"), request.query_params.get("maxRecords")
        first = 0 if locator in (None, "", "null") else _decode_locator(locator)
        try:
            size = int(max_records) if max_records else DEFAULT_PAGE_SIZE
        except ValueError:
            size = 0
        if size <= 0:
            raise _bad("INVALIDMAXRECORDS", f"Invalid maxRecords: {max_records}")
        if not 0 <= first <= job.processed:
            raise _bad("INVALIDLOCATOR", f"Invalid locator: {locator}")
        last = min(first + size, job.processed)
        start, end = job.row_start(first), job.row_start(last)
        headers = {"Sforce-Locator": _encode_locator(last) if last < job.processed else "null",
                   "Sforce-NumberOfRecords": str(last - first), **self.org.limit_header()}
        return StreamingResponse(self._stream(job, start, end), media_type="text/csv", headers=headers)

    @staticmethod
    def _stream(job: _QueryJob, start: int, end: int) -> Iterator[bytes]:
        yield job.header
        while start < end:
            block = job.read(start, min(end, start + (1 << 20)))
            if not block:
                return
            start += len(block)
            yield block

    # -- ingest jobs -------------------------------------------------------------------------------------------------

    def create_ingest(self, request: Request, user: str, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /jobs/ingest`: an Open job waiting for its one CSV upload."""
        operation, name, external_id = body.get("operation"), body.get("object"), body.get("externalIdFieldName")
        if operation not in INGEST_OPERATIONS:
            raise _bad("INVALIDJOB", f"Invalid operation: {operation}")
        try:
            describe = self.org.describe(str(name or ""))
        except SalesforceError as exc:
            raise _bad("INVALIDENTITY", f"Entity '{name}' is not supported by the Bulk API.") from exc
        if operation == "upsert":
            field = next((f for f in describe["fields"] if f["name"].lower() == str(external_id).lower()), None)
            if field is None or not (field["externalId"] or field["name"] == "Id"):
                raise _bad("INVALIDJOB", f"External ID field is required and must be an external ID field of "
                           f"{describe['name']}: {external_id}")
            external_id = field["name"]
        info = self._info(request, user, body, operation=operation, object=describe["name"],
                          externalIdFieldName=external_id if operation == "upsert" else None, state="Open")
        info["contentUrl"] = f"services/data/v{request.path_params['version']}/jobs/ingest/{info['id']}/batches"
        job = _IngestJob(info)
        self.jobs[job.id] = job
        return dict(job.info)

    def upload(self, request: Request, user: str, body: bytes) -> Response:
        """`PUT /jobs/ingest/{id}/batches`: the job's CSV, once."""
        job = self._job(request, _IngestJob)
        if job.info["state"] != "Open":
            raise _bad("INVALIDJOBSTATE", f"Job {job.id} is not Open")
        if job.upload is not None:  # Salesforce's answer to a second upload
            raise _bad("INVALIDJOBSTATE", f"Found multiple contents for job: <{job.id}>, please 'Close' / 'Abort' / "
                       "'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a "
                       "given Job.")
        if len(body) > MAX_UPLOAD_BYTES:
            raise _bad("INVALIDBATCH", "The upload is larger than 150 MB")
        job.upload = body
        return Response(status_code=201, headers=self.org.limit_header())

    def patch_job(self, request: Request, user: str, body: dict[str, Any]) -> dict[str, Any]:
        """`PATCH /jobs/{kind}/{id}`: `UploadComplete` (ingest) or `Aborted`."""
        job = self._job(request, _QueryJob if "/jobs/query/" in request.url.path else _IngestJob)
        state, current = body.get("state"), job.state()
        if state == "Aborted" and current not in TERMINAL:
            job.aborted = True
        elif state == "UploadComplete" and isinstance(job, _IngestJob) and current == "Open":
            job.info["state"] = "UploadComplete"
            job.started = time.monotonic()
            threading.Thread(target=self._run_ingest, args=(job,), name=f"bulk-{job.id}", daemon=True).start()
        else:
            raise _bad("INVALIDJOBSTATE", f"Can't change job {job.id} from {current} to {state}")
        return {**job.info, "state": state}  # the answer echoes the new state; the worker may be ahead already

    def _run_ingest(self, job: _IngestJob) -> None:
        """Parse the upload and push it through `org.write` in chunks, keeping each row's outcome."""
        try:
            failure = self._injected_failure("ingest")
            if failure is not None:
                raise _bad("InvalidBatch", failure)
            text = (job.upload or b"").decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITERS[job.info["columnDelimiter"]]))
            if not rows:
                raise _bad("ClientInputError", "ClientInputError : No content in the upload")
            job.columns = rows[0]
            fields = {f["name"].lower(): f["name"] for f in self.org.describe(job.info["object"])["fields"]}
            unknown = [c for c in job.columns if c.lower() not in fields]
            if unknown:
                raise _bad("InvalidBatch", f"InvalidBatch : Field name not found : {unknown[0]}")
            names = [fields[c.lower()] for c in job.columns]
            data = [r for r in rows[1:] if any(r)]
            for begin in range(0, len(data), WRITE_BATCH):
                if job.aborted:
                    job.results["unprocessed"].extend(data[begin:])
                    return
                self._write_chunk(job, names, data[begin:begin + WRITE_BATCH])
        except SalesforceError as exc:
            job.error = exc.message
        except Exception as exc:  # a bug in the fake must fail the job visibly, not leave it in progress forever
            job.error = f"UNKNOWN_EXCEPTION: {exc!r}"
        finally:
            job.finished = time.monotonic()
            job.done = True

    def _write_chunk(self, job: _IngestJob, names: list[str], chunk: list[list[str]]) -> None:
        operation = job.info["operation"]
        # Empty: leave the field alone; #N/A: set it to null (Bulk API 2.0's conventions).
        records = [{n: (None if v == "#N/A" else v) for n, v in zip(names, raw, strict=False) if v != ""}
                   for raw in chunk]
        outcomes = self.org.write(job.info["object"], INGEST_OPERATIONS[operation], records,
                                  external_id_field=job.info["externalIdFieldName"])
        for raw, outcome in zip(chunk, outcomes, strict=True):
            record_id = outcome.get("id") or ""
            if outcome["success"]:
                created = outcome.get("created", operation == "insert")
                job.results["success"].append([record_id, "true" if created else "false", *raw])
            else:
                job.results["failed"].append([record_id, _error_text(outcome.get("errors") or []), *raw])
                job.failed += 1
            job.processed += 1

    def ingest_job(self, request: Request, user: str, body: Any) -> dict[str, Any]:
        """`GET /jobs/ingest/{id}`."""
        job = self._job(request, _IngestJob)
        if job.info["state"] != "Open":
            job.polls += 1
        return job.describe()

    def ingest_results(self, request: Request, user: str, body: Any) -> Response:
        """`GET .../successfulResults/`, `failedResults/`, `unprocessedrecords/` as CSV (all values quoted)."""
        job = self._job(request, _IngestJob)
        key, extra = RESULT_KINDS.get(request.path_params["which"].lower(), (None, []))
        if key is None:
            raise _bad("NOT_FOUND", "The requested resource does not exist", 404)
        columns, rows = job.columns, list(job.results[key])
        if key == "unprocessed" and job.info["state"] == "Open" and job.upload:
            uploaded = list(csv.reader(io.StringIO(job.upload.decode("utf-8-sig"), newline="")))
            columns, rows = (uploaded[0], uploaded[1:]) if uploaded else ([], [])
        buf = io.StringIO()
        writer = csv.writer(buf, quoting=csv.QUOTE_ALL, delimiter=DELIMITERS[job.info["columnDelimiter"]],
                            lineterminator=LINE_ENDINGS[job.info["lineEnding"]])
        if columns:
            writer.writerow([*extra, *columns])
        writer.writerows(rows)
        return Response(buf.getvalue().encode(), media_type="text/csv", headers=self.org.limit_header())

    # -- both --------------------------------------------------------------------------------------------------------

    def delete_job(self, request: Request, user: str, body: Any) -> Response:
        """`DELETE /jobs/{kind}/{id}`: only once the job is finished or aborted."""
        job = self._job(request, _QueryJob if "/jobs/query/" in request.url.path else _IngestJob)
        if job.state() not in TERMINAL:
            raise _bad("INVALIDJOBSTATE", f"Job {job.id} can't be deleted in state {job.state()}")
        self.jobs.pop(job.id, None)  # a query's file may serve other jobs too; it closes once no job holds it
        return Response(status_code=204, headers=self.org.limit_header())

    def list_jobs(self, request: Request, user: str, body: Any) -> dict[str, Any]:
        """`GET /jobs/{kind}`: every job of that kind, in one page."""
        cls = _QueryJob if request.url.path.rstrip("/").endswith("/query") else _IngestJob
        return {"done": True, "nextRecordsUrl": None,
                "records": [job.describe() for job in list(self.jobs.values()) if isinstance(job, cls)]}


def _error_text(errors: list[dict[str, Any]]) -> str:
    """`sf__Error` as Salesforce writes it: `STATUS_CODE:message:fields --`."""
    first = errors[0] if errors else {"statusCode": "UNKNOWN_EXCEPTION", "message": "unknown error"}
    return f"{first.get('statusCode')}:{first.get('message')}:{', '.join(first.get('fields') or [])} --"


def routes(org: Any) -> list[Route]:
    """The Bulk API 2.0 routes; every request passes `org.aguard` first, so faults, auth and limits apply."""
    bulk = Bulk(org)

    def endpoint(handler: Callable[..., Any], counter: str | None = None, body: str = "json") -> Callable[..., Any]:
        async def run(request: Request) -> Response:
            try:
                user = await org.aguard(request, counter)
                raw = await request.body()
                payload: Any = raw
                if body == "json":
                    try:
                        payload = json.loads(raw or b"{}")
                    except ValueError as exc:
                        raise _bad("JSON_PARSER_ERROR", f"Invalid JSON: {exc}") from exc
                    if not isinstance(payload, dict):
                        raise _bad("JSON_PARSER_ERROR", "A JSON object is expected")
                result = handler(request, user, payload)
            except SalesforceError as exc:
                return org.error_response(exc)
            return result if isinstance(result, Response) else org.json(result)

        return run

    base = "/services/data/v{version:float}/jobs"  # any vNN.N, like Salesforce
    query, ingest = f"{base}/query/{{job_id}}", f"{base}/ingest/{{job_id}}"
    return [
        Route(f"{base}/query", endpoint(bulk.create_query, "bulk_query_create"), methods=["POST"]),
        Route(f"{base}/query", endpoint(bulk.list_jobs), methods=["GET"]),
        Route(query, endpoint(bulk.query_job, "bulk_query_poll"), methods=["GET"]),
        Route(query, endpoint(bulk.patch_job), methods=["PATCH"]),
        Route(query, endpoint(bulk.delete_job), methods=["DELETE"]),
        Route(f"{query}/results", endpoint(bulk.query_results, "bulk_query_results"), methods=["GET"]),
        Route(f"{base}/ingest", endpoint(bulk.create_ingest, "bulk_ingest_create"), methods=["POST"]),
        Route(f"{base}/ingest", endpoint(bulk.list_jobs), methods=["GET"]),
        Route(ingest, endpoint(bulk.ingest_job, "bulk_ingest_poll"), methods=["GET"]),
        Route(ingest, endpoint(bulk.patch_job), methods=["PATCH"]),
        Route(ingest, endpoint(bulk.delete_job), methods=["DELETE"]),
        Route(f"{ingest}/batches", endpoint(bulk.upload, "bulk_ingest_upload", body="raw"), methods=["PUT"]),
        Route(f"{ingest}/{{which}}", endpoint(bulk.ingest_results, "bulk_ingest_results"), methods=["GET"]),
        Route(f"{ingest}/{{which}}/", endpoint(bulk.ingest_results, "bulk_ingest_results"), methods=["GET"]),
    ]
