"""Which core for the shared REST layer: dlt's `rest_api`, airbyte-cdk's declarative engine, or plain code.

A one-off measurement behind docs/rest-core-choice.md (issue 14: "try dlt's rest_api and
airbyte-cdk's declarative engine as its core; choose by measured throughput, dependency weight and
fit with Arrow"). Standalone: it imports nothing from Sluice, so it runs in a side virtualenv that
has the contenders' libraries without touching the project's own:

    python3 -m venv /work/evalvenv
    /work/evalvenv/bin/pip install dlt airbyte-cdk httpx orjson pyarrow requests uvicorn starlette trustme
    /work/evalvenv/bin/python bench/rest_core_choice.py                     # 100k records, 3 runs each
    /work/evalvenv/bin/python bench/rest_core_choice.py --records 20000 --runs 1 --only plain,dlt

`--python NAME=/path/to/python` runs one contender with another interpreter (e.g. when dlt and
airbyte-cdk must live in separate venvs); that interpreter needs the contender's libraries plus
pyarrow.

The workload: a Zendesk-shaped incremental ticket export (`GET /api/v2/incremental/tickets/cursor.json`,
https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/):
`start_time` on the first call, then `cursor=<after_cursor>`; each page is
`{"tickets": [...], "after_url", "after_cursor", "before_url", "before_cursor", "end_of_stream"}` with
up to `per_page` (1000) tickets; as in Zendesk, the last page still carries an `after_cursor` (the
place to resume from next time) and only `end_of_stream: true` says stop. Tickets have the fields of
Zendesk's ticket object: a nested `via.source.{from,to}`, `custom_fields` arrays of `{id, value}`,
tags, id lists, nulls and non-ASCII text. The fake runs in its own process (uvicorn + Starlette over
https, a throwaway `trustme` CA trusted by the clients through `SSL_CERT_FILE`/`REQUESTS_CA_BUNDLE`),
serves pages it serialised once (so the server's cost is the same small constant for everyone), and
is warmed up by one untimed pass before the contenders run.

Each contender runs in its own subprocess, which pulls every ticket and writes Parquet to a temporary
folder; the contenders take turns (round-robin) `--runs` times and the median is reported:

* `plain`    httpx.Client (keep-alive) + orjson.loads + `pa.RecordBatch.from_pylist(page, schema)` ->
             `pq.ParquetWriter`: the shape of Sluice's own layer.
* `requests` requests.Session + the standard library's `json.loads` + the same Arrow step, for reference.
* `dlt`      dlt's `rest_api_source` (bearer auth, `JSONResponseCursorPaginator` on `after_cursor`
             stopped by `end_of_stream`, `data_selector: tickets`) run by a pipeline into dlt's
             `filesystem` destination on a local folder with `loader_file_format="parquet"`:
             extract -> normalize -> load, dlt's documented path to Parquet. dlt's default turns
             nested lists into child tables (`tickets__tags`, `tickets__custom_fields`, ...) and
             nested objects into `via__source__from__address` columns.
* `dlt_tuned` the same with dlt's documented speed-ups that apply here: `max_table_nesting=0`
             (one table, nested values kept as JSON text columns: dlt's way to keep a record
             whole) and `DATA_WRITER__DISABLE_COMPRESSION=true` (no gzip of its intermediate files).
             The result line also gives dlt's extract / normalize / load step times.
* `airbyte`  airbyte-cdk's declarative engine: a manifest with a `DeclarativeStream` whose
             `SimpleRetriever` has an `HttpRequester` (bearer authenticator), a `DefaultPaginator`
             with `CursorPagination` (`cursor_value: response.after_cursor`, `stop_condition:
             response.end_of_stream`) and a `RecordSelector` with a `DpathExtractor` on `tickets`,
             read in process through `ConcurrentDeclarativeSource.read` (what the entrypoint's
             `read` command runs, minus printing each message as JSON); record dicts are gathered
             1000 at a time into the same `from_pylist` + ParquetWriter step.

Reported per contender: records/s over the worker's own pull-and-write time (after its imports),
the subprocess's wall time including interpreter start and imports, and its peak RSS
(`os.wait4`'s `ru_maxrss` for that one child). Every run checks that all N tickets reached Parquet.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TOKEN = "bench-token-0123456789"  # the fake's own test token
PATH = "/api/v2/incremental/tickets/cursor.json"
PER_PAGE = 1000
CONTENDERS = ("plain", "requests", "dlt", "dlt_tuned", "airbyte")

# -- the tickets ---------------------------------------------------------------------------------

_WORDS = ("printer", "invoice", "refund", "login", "password", "crash", "delivery", "Bestellung", "facture",
          "naïve", "café", "Größe", "注文", "返金", "пароль", "доставка", "🙂", "ñandú", "São", "Zürich")
_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
_CHANNELS = ("email", "web", "api", "mobile_sdk", "chat")
_FIELD_IDS = (360001, 360002, 360003, 360004, 360005, 360006)
_EPOCH = 1_672_531_200  # 2023-01-01T00:00:00Z


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def ticket(rng: random.Random, number: int) -> dict[str, Any]:
    """One ticket shaped like Zendesk's ticket object (seeded, so every run sees the same data)."""
    created = _EPOCH + number * 37 + rng.randrange(30)
    updated = created + rng.randrange(86_400 * 30)
    channel = rng.choice(_CHANNELS)
    words = rng.sample(_WORDS, 6)
    subject = " ".join(words[:4]).capitalize()
    email = channel == "email"
    return {
        "url": f"https://example.zendesk.com/api/v2/tickets/{number}.json",
        "id": number,
        "external_id": None if rng.random() < 0.8 else f"ext-{number}",
        "via": {
            "channel": channel,
            "source": {
                "from": ({"address": f"customer{number % 5000}@example.org", "name": f"Client {words[4]}"}
                         if email else {}),
                "to": {"address": "support@example.zendesk.com", "name": "Support"} if email else {},
                "rel": None if channel != "web" else "portal",
            },
        },
        "created_at": _iso(created),
        "updated_at": _iso(updated),
        "generated_timestamp": updated,
        "type": rng.choice(("question", "incident", "problem", "task", None)),
        "subject": subject,
        "raw_subject": subject,
        "description": " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(20, 60))),
        "priority": rng.choice(("urgent", "high", "normal", "low", None)),
        "status": rng.choice(_STATUSES),
        "recipient": "support@example.zendesk.com" if email else None,
        "requester_id": 10_000 + number % 5000,
        "submitter_id": 10_000 + number % 5000,
        "assignee_id": rng.choice((None, 900_001, 900_002, 900_003)),
        "organization_id": rng.choice((None, 7001, 7002, 7003, 7004)),
        "group_id": rng.choice((None, 360_100, 360_101)),
        "collaborator_ids": [rng.randrange(10_000, 15_000) for _ in range(rng.randrange(3))],
        "follower_ids": [rng.randrange(900_001, 900_004) for _ in range(rng.randrange(2))],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": None if rng.random() < 0.95 else max(1, number - 5),
        "has_incidents": rng.random() < 0.05,
        "is_public": rng.random() < 0.9,
        "due_at": None if rng.random() < 0.9 else _iso(updated + 86_400),
        "tags": rng.sample(("vip", "billing", "urgent", "mobile", "eu", "rückruf", "返品", "beta"), rng.randrange(4)),
        "custom_fields": [{"id": fid, "value": rng.choice((None, "tier_1", "tier_2", "Köln", "東京", "42"))}
                          for fid in _FIELD_IDS],
        "satisfaction_rating": {"score": rng.choice(("unoffered", "offered", "good", "bad"))},
        "sharing_agreement_ids": [],
        "custom_status_id": rng.choice((1, 2, 3, 4)),
        "followup_ids": [],
        "ticket_form_id": 360_000_001,
        "brand_id": 360_000_002,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }


def arrow_schema() -> Any:
    """The tickets' Arrow schema, as Sluice would derive it from the entity's metadata: nested objects
    as structs, arrays as lists (times stay ISO strings here: the same for every contender)."""
    import pyarrow as pa

    party = pa.struct([("address", pa.string()), ("name", pa.string())])
    return pa.schema([
        ("url", pa.string()), ("id", pa.int64()), ("external_id", pa.string()),
        ("via", pa.struct([("channel", pa.string()), ("source", pa.struct([
            ("from", party), ("to", party), ("rel", pa.string())]))])),
        ("created_at", pa.string()), ("updated_at", pa.string()), ("generated_timestamp", pa.int64()),
        ("type", pa.string()), ("subject", pa.string()), ("raw_subject", pa.string()),
        ("description", pa.string()), ("priority", pa.string()), ("status", pa.string()),
        ("recipient", pa.string()), ("requester_id", pa.int64()), ("submitter_id", pa.int64()),
        ("assignee_id", pa.int64()), ("organization_id", pa.int64()), ("group_id", pa.int64()),
        ("collaborator_ids", pa.list_(pa.int64())), ("follower_ids", pa.list_(pa.int64())),
        ("email_cc_ids", pa.list_(pa.int64())), ("forum_topic_id", pa.int64()), ("problem_id", pa.int64()),
        ("has_incidents", pa.bool_()), ("is_public", pa.bool_()), ("due_at", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("custom_fields", pa.list_(pa.struct([("id", pa.int64()), ("value", pa.string())]))),
        ("satisfaction_rating", pa.struct([("score", pa.string())])),
        ("sharing_agreement_ids", pa.list_(pa.int64())), ("custom_status_id", pa.int64()),
        ("followup_ids", pa.list_(pa.int64())), ("ticket_form_id", pa.int64()), ("brand_id", pa.int64()),
        ("allow_channelback", pa.bool_()), ("allow_attachments", pa.bool_()),
        ("from_messaging_channel", pa.bool_()),
    ])


# -- the fake API (its own process) ----------------------------------------------------------------


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_EPOCH}.0||{offset}|".encode()).decode()


def _offset(cursor: str) -> int:
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().split("|")[2])


def serve(port: int, records: int, cert: str, key: str) -> None:
    """Serve the incremental ticket export over https until killed."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    try:
        import orjson

        dumps = orjson.dumps
    except ImportError:  # pragma: no cover - the fake then serialises more slowly, once
        def dumps(value: Any) -> bytes:
            return json.dumps(value, ensure_ascii=False).encode()

    rng = random.Random(1414)
    tickets = [ticket(rng, n + 1) for n in range(records)]
    cache: dict[tuple[int, int], list[bytes]] = {}

    def page(offset: int, size: int) -> list[bytes]:
        # Serialised once; the URLs (which name the host the client used) are joined in per request.
        if (offset, size) not in cache:
            after = min(offset + size, records)
            cache[(offset, size)] = [dumps(tickets[offset:after]), _cursor(after).encode(),
                                     str(after >= records).lower().encode()]
        return cache[(offset, size)]

    async def export(request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"error": "Couldn't authenticate you"}, status_code=401)
        query = request.query_params
        size = min(int(query.get("per_page", PER_PAGE)), 1000)
        if "cursor" in query:
            offset = _offset(query["cursor"])
        elif "start_time" in query:
            offset = 0
        else:
            return JSONResponse({"error": "InvalidPaginationParameter",
                                 "description": "cursor or start_time parameter missing"}, status_code=400)
        rows, after, end = page(offset, size)
        base = f"{request.base_url}".rstrip("/") + PATH
        body = b"".join((
            b'{"tickets":', rows,
            b',"after_url":"', base.encode(), b"?cursor=", after, b'","after_cursor":"', after,
            b'","before_url":null,"before_cursor":null,"end_of_stream":', end, b"}",
        ))
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route(PATH, export)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                ssl_certfile=cert, ssl_keyfile=key, access_log=False)


class Fake:
    """The fake API in a child process, with its CA in a temporary folder."""

    def __init__(self, records: int, folder: Path) -> None:
        import trustme

        authority = trustme.CA()
        issued = authority.issue_cert("127.0.0.1")
        self.ca, cert, key = folder / "ca.pem", folder / "server.pem", folder / "server.key"
        authority.cert_pem.write_to_path(str(self.ca))
        issued.private_key_pem.write_to_path(str(key))
        cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", str(self.port), "--records", str(records),
                                      "--cert", str(cert), "--key", str(key)])

    def wait(self) -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the fake exited")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the fake did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


# -- the contenders (each in its own process) ------------------------------------------------------


def _pages_to_parquet(pages: Iterator[list[dict[str, Any]]], out: Path) -> int:
    """The Arrow step shared by plain, requests and airbyte: a page of dicts -> one RecordBatch."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    written = 0
    with pq.ParquetWriter(out / "tickets.parquet", schema) as writer:
        for rows in pages:
            writer.write_batch(pa.RecordBatch.from_pylist(rows, schema=schema))
            written += len(rows)
    return written


def run_plain(url: str, ca: str, out: Path) -> int:
    import httpx
    import orjson

    def pages() -> Iterator[list[dict[str, Any]]]:
        with httpx.Client(base_url=url, verify=ca, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as client:
            params: dict[str, Any] = {"start_time": 0, "per_page": PER_PAGE}
            while True:
                response = client.get(PATH, params=params)
                response.raise_for_status()
                body = orjson.loads(response.content)
                yield body["tickets"]
                if body["end_of_stream"]:
                    return
                params = {"cursor": body["after_cursor"], "per_page": PER_PAGE}

    return _pages_to_parquet(pages(), out)


def run_requests(url: str, ca: str, out: Path) -> int:
    import requests

    def pages() -> Iterator[list[dict[str, Any]]]:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {TOKEN}"
            params: dict[str, Any] = {"start_time": 0, "per_page": PER_PAGE}
            while True:
                response = session.get(url + PATH, params=params, verify=ca, timeout=60)
                response.raise_for_status()
                body = json.loads(response.content)  # the standard library's, not simplejson (dlt installs that)
                yield body["tickets"]
                if body["end_of_stream"]:
                    return
                params = {"cursor": body["after_cursor"], "per_page": PER_PAGE}

    return _pages_to_parquet(pages(), out)


def run_dlt(url: str, ca: str, out: Path, tuned: bool) -> tuple[int, dict[str, float]]:
    import dlt
    import pyarrow.parquet as pq
    from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
    from dlt.sources.rest_api import rest_api_source

    class ZendeskExportPaginator(JSONResponseCursorPaginator):
        """Zendesk's export keeps an `after_cursor` on its last page: `end_of_stream` is the stop
        signal, the inverse of dlt's `has_more_path`, so this needs a (tiny) class."""

        def update_state(self, response: Any, data: list[Any] | None = None) -> None:
            body = response.json()
            self._next_reference = body.get("after_cursor")
            self._has_next_page = not body.get("end_of_stream") and bool(self._next_reference)

    source = rest_api_source({
        "client": {"base_url": url, "auth": {"type": "bearer", "token": TOKEN},
                   "paginator": ZendeskExportPaginator(cursor_path="after_cursor", cursor_param="cursor")},
        "resources": [{"name": "tickets", "endpoint": {
            "path": PATH.lstrip("/"), "params": {"start_time": 0, "per_page": PER_PAGE}, "data_selector": "tickets"}}],
    }, max_table_nesting=0 if tuned else None)
    if tuned:
        os.environ["DATA_WRITER__DISABLE_COMPRESSION"] = "true"
    pipeline = dlt.pipeline(pipeline_name="rest_core_bench", pipelines_dir=str(out / "pipelines"),
                            destination=dlt.destinations.filesystem(bucket_url=(out / "lake").as_uri()),
                            dataset_name="zendesk", progress=None)
    pipeline.run(source, loader_file_format="parquet")
    files = list((out / "lake" / "zendesk" / "tickets").glob("*.parquet"))
    steps = {step.step: (step.finished_at - step.started_at).total_seconds() for step in pipeline.last_trace.steps
             if step.finished_at and step.started_at}
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files), steps


def run_airbyte(url: str, ca: str, out: Path) -> int:
    import logging

    from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer, Type
    from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource

    manifest = {
        "version": "6.0.0",
        "type": "DeclarativeSource",
        "check": {"type": "CheckStream", "stream_names": ["tickets"]},
        "streams": [{
            "type": "DeclarativeStream",
            "name": "tickets",
            "primary_key": ["id"],
            "retriever": {
                "type": "SimpleRetriever",
                "requester": {
                    "type": "HttpRequester",
                    "url_base": "{{ config['url'] }}",
                    "path": PATH,
                    "http_method": "GET",
                    "authenticator": {"type": "BearerAuthenticator", "api_token": "{{ config['token'] }}"},
                    "request_parameters": {"start_time": "0", "per_page": str(PER_PAGE)},
                },
                "paginator": {
                    "type": "DefaultPaginator",
                    "page_token_option": {"type": "RequestOption", "inject_into": "request_parameter",
                                          "field_name": "cursor"},
                    "pagination_strategy": {"type": "CursorPagination",
                                            "cursor_value": "{{ response.after_cursor }}",
                                            "stop_condition": "{{ response.end_of_stream }}",
                                            "page_size": PER_PAGE},
                },
                "record_selector": {"type": "RecordSelector",
                                    "extractor": {"type": "DpathExtractor", "field_path": ["tickets"]}},
            },
            "schema_loader": {"type": "InlineSchemaLoader", "schema": {
                "$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                "additionalProperties": True, "properties": {"id": {"type": "integer"}}}},
        }],
    }
    config = {"url": url, "token": TOKEN}
    catalog = ConfiguredAirbyteCatalogSerializer.load({"streams": [{
        "stream": {"name": "tickets", "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
        "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]})
    source = ConcurrentDeclarativeSource(catalog=catalog, config=config, state=[], source_config=manifest)
    logger = logging.getLogger("airbyte")

    def pages() -> Iterator[list[dict[str, Any]]]:
        rows: list[dict[str, Any]] = []
        for message in source.read(logger, config, catalog, []):
            if message.type == Type.RECORD:
                rows.append(message.record.data)
                if len(rows) == PER_PAGE:
                    yield rows
                    rows = []
        if rows:
            yield rows

    return _pages_to_parquet(pages(), out)


def worker(name: str, url: str, ca: str, out: Path) -> dict[str, Any]:
    """Pull every ticket with one contender; the time excludes the interpreter's start and imports."""
    # Imports happen inside the run functions; do them once first so the timed part is the pull.
    warm = {"plain": ("httpx", "orjson", "pyarrow.parquet"), "requests": ("requests", "pyarrow.parquet"),
            "dlt": ("dlt", "dlt.sources.rest_api", "pyarrow.parquet"),
            "dlt_tuned": ("dlt", "dlt.sources.rest_api", "pyarrow.parquet"),
            "airbyte": ("airbyte_cdk.sources.declarative.concurrent_declarative_source", "pyarrow.parquet")}[name]
    started = time.perf_counter()
    for module in warm:
        __import__(module)
    imported = time.perf_counter()
    steps: dict[str, float] = {}
    if name == "plain":
        count = run_plain(url, ca, out)
    elif name == "requests":
        count = run_requests(url, ca, out)
    elif name in ("dlt", "dlt_tuned"):
        count, steps = run_dlt(url, ca, out, name == "dlt_tuned")
    else:
        count = run_airbyte(url, ca, out)
    return {"records": count, "seconds": time.perf_counter() - imported, "import_seconds": imported - started,
            "steps": steps}


# -- the driver -------------------------------------------------------------------------------------


def run_once(python: str, name: str, fake: Fake, records: int) -> dict[str, Any]:
    """One contender's run in a child process: its result line, wall time and peak RSS."""
    out = Path(tempfile.mkdtemp(prefix=f"rest-core-{name}-"))
    env = dict(os.environ, SSL_CERT_FILE=str(fake.ca), REQUESTS_CA_BUNDLE=str(fake.ca),
               RUNTIME__DLTHUB_TELEMETRY="false", DLT_DATA_DIR=str(out / "dlt"), AIRBYTE_ENABLE_UNSAFE_CODE="false")
    started = time.perf_counter()
    proc = subprocess.Popen([python, __file__, "--worker", name, "--url", fake.url, "--ca", str(fake.ca),
                             "--out", str(out)], stdout=subprocess.PIPE, env=env, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed ({proc.returncode})")
    result = json.loads(output.strip().splitlines()[-1])
    if result["records"] != records:
        raise RuntimeError(f"{name} wrote {result['records']} records, not {records}")
    return {**result, "wall": wall, "rss_mib": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default=",".join(CONTENDERS))
    parser.add_argument("--python", action="append", default=[], help="NAME=/path/to/python")
    parser.add_argument("--json", help="also write the raw results here")
    # Internal: the fake and the workers.
    parser.add_argument("--serve", type=int)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--worker")
    parser.add_argument("--url")
    parser.add_argument("--ca")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.records, args.cert, args.key)
        return
    if args.worker:
        print(json.dumps(worker(args.worker, args.url, args.ca, Path(args.out))), flush=True)
        return

    names = [n for n in args.only.split(",") if n]
    pythons = {n: sys.executable for n in names} | dict(p.split("=", 1) for p in args.python)
    folder = Path(tempfile.mkdtemp(prefix="rest-core-ca-"))
    fake = Fake(args.records, folder)
    results: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    try:
        fake.wait()
        # Warm-up, untimed: the fake serialises its pages on first request.
        run_once(pythons.get("plain", sys.executable), "plain", fake, args.records)
        for run in range(args.runs):
            for name in names:
                result = run_once(pythons[name], name, fake, args.records)
                results[name].append(result)
                print(f"run {run + 1} {name:9s} {args.records / result['seconds']:9.0f} rec/s  "
                      f"{result['seconds']:6.2f}s pull  {result['wall']:6.2f}s wall  {result['rss_mib']:6.0f} MiB"
                      + "".join(f"  {k} {v:.2f}s" for k, v in result["steps"].items()),
                      flush=True)
    finally:
        fake.stop()
        shutil.rmtree(folder, ignore_errors=True)

    print(f"\n{args.records} tickets, {PER_PAGE}/page, median of {args.runs}")
    print("| contender | records/s | pull s | wall s (incl. start+imports) | imports s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in names:
        runs = results[name]
        seconds = statistics.median(r["seconds"] for r in runs)
        wall = statistics.median(r["wall"] for r in runs)
        print(f"| {name} | {args.records / seconds:,.0f} | {seconds:.2f} | {wall:.2f} "
              f"| {statistics.median(r['import_seconds'] for r in runs):.2f} "
              f"| {statistics.median(r['rss_mib'] for r in runs):.0f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
