"""What the end-to-end connector tests share: a Sluice server for a SaaS fake, flow requests, waits,
and what a run left in a local bucket.

`saas_server` starts a `sluice serve` for one test module (or test) and, when it stops, checks that
the server logged no unhandled exception and none of the secrets it was given. The waits poll
without timing anything: a wait that runs out fails the test.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tests.integration.builders import unique
from tests.support.server import SluiceServer

# Retries after a 429 or a 5xx wait this long at first: the tests check how many retries, not how long.
QUICK_BACKOFF = {"SLUICE_REST_BACKOFF_BASE": "0.05"}


@contextmanager
def saas_server(data_dir: Path, *, workers: int = 1, secrets: Iterable[str] = (), **env: str) -> Iterator[SluiceServer]:
    """A running server (local S3, quick REST backoff, `env` on top); on exit, stop it and check its log."""
    server = SluiceServer(data_dir=data_dir, workers=workers, extra_env={**QUICK_BACKOFF, **env}).start()
    try:
        yield server
    finally:
        server.stop()
    log = server.log()
    assert "Traceback" not in log, log[-4000:]
    for secret in secrets:
        assert secret not in log


def scheduler_env(speedup: float, epoch: float) -> dict[str, str]:
    """Server environment that runs the scheduler `speedup` times faster than real time from `epoch`."""
    return {"SLUICE_SCHEDULER_SPEEDUP": str(speedup), "SLUICE_SCHEDULER_EPOCH": repr(epoch)}


def execution_records(client: Any, flow: str) -> list[dict[str, Any]]:
    """The flow's execution records (the latest 100)."""
    return list(client.describe_flow_execution_records(flowName=flow, maxResults=100)["flowExecutions"])


def wait_for(check: Callable[[], Any], timeout: float) -> None:
    """Poll `check` until it is truthy; fail the test after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def wait_for_run(client: Any, flow: str, execution_id: str, timeout: float = 60) -> dict[str, Any]:
    """Poll until the run leaves InProgress; return its record."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for record in client.describe_flow_execution_records(flowName=flow)["flowExecutions"]:
            done = record["executionStatus"] not in ("InProgress", "CancelStarted")
            if record["executionId"] == execution_id and done:
                return dict(record)
        time.sleep(0.1)
    raise AssertionError(f"run {execution_id} of {flow} did not finish in {timeout} s")


def start_and_wait(client: Any, flow: str, timeout: float = 60) -> dict[str, Any]:
    """StartFlow, then the record of that run once it has finished."""
    return wait_for_run(client, flow, client.start_flow(flowName=flow)["executionId"], timeout=timeout)


def wait_until_idle(client: Any, flow: str, timeout: float = 60) -> list[dict[str, Any]]:
    """Wait until no run of the flow is InProgress (after StopFlow); its execution records."""
    wait_for(lambda: all(r["executionStatus"] != "InProgress" for r in execution_records(client, flow)), timeout)
    return execution_records(client, flow)


def new_bucket(server: SluiceServer, prefix: str = "b") -> str:
    """A new, empty local S3 bucket on the server."""
    name = unique(prefix)
    (server.data_dir / "s3" / name).mkdir(parents=True)
    return name


def published_rows(server: SluiceServer | Path, bucket: str, columns: list[str] | None = None) -> list[dict[str, Any]]:
    """The rows of every Parquet object published in a local bucket (`server` or its data dir)."""
    data_dir = server if isinstance(server, Path) else server.data_dir
    root = data_dir / "s3" / bucket
    rows: list[dict[str, Any]] = []
    for path in _published_parquet(root):
        try:
            body = path.read_bytes()
        except FileNotFoundError:  # a running server moved or dropped it meanwhile
            continue
        rows += pq.read_table(io.BytesIO(body), columns=columns).to_pylist()
    return rows


def _published_parquet(root: Path) -> list[Path]:
    """Parquet files under `root`, in path order, never looking into a run's .sluice-staging/ folder
    (a running server creates and removes it while this walks; os.walk skips what vanished)."""
    found: list[Path] = []
    for folder, children, files in os.walk(root):
        children[:] = [c for c in children if c != ".sluice-staging"]
        found += [Path(folder) / name for name in files if name.endswith(".parquet")]
    return sorted(found)


def error_records(server: SluiceServer, bucket: str) -> list[dict[str, Any]]:
    """The records a write flow put in its error bucket (JSON lines)."""
    root = server.data_dir / "s3" / bucket
    return [json.loads(line) for f in sorted(root.rglob("*.jsonl")) for line in f.read_text().splitlines() if line]


def csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    """`rows` as one CSV object (a header line, then a line a row)."""
    data = io.BytesIO()
    pacsv.write_csv(pa.Table.from_pylist(rows), data)
    return data.getvalue()


def csv_bucket(server: SluiceServer, rows: list[dict[str, Any]], prefix: str = "in",
               file_name: str = "rows.csv") -> str:
    """A new bucket holding `rows` as one CSV object under `in/`; its name."""
    bucket = new_bucket(server, prefix)
    (server.data_dir / "s3" / bucket / "in").mkdir()
    (server.data_dir / "s3" / bucket / "in" / file_name).write_bytes(csv_bytes(rows))
    return bucket


def csv_buckets(server: SluiceServer, objects: dict[str, list[dict[str, Any]]], source: str = "src",
                destination: str = "dst") -> dict[str, Any]:
    """A new source bucket holding each of `objects` (file name -> rows) as a CSV object under `in/`, and a
    new empty destination bucket: {"source": name, "destination": name, "root": the local S3 folder}."""
    root = server.data_dir / "s3"
    source_bucket, destination_bucket = unique(source), unique(destination)
    (root / source_bucket / "in").mkdir(parents=True)
    (root / destination_bucket).mkdir(parents=True)
    for file_name, rows in objects.items():
        (root / source_bucket / "in" / file_name).write_bytes(csv_bytes(rows))
    return {"source": source_bucket, "destination": destination_bucket, "root": root}


def json_lines(folder: Path) -> list[dict[str, Any]]:
    """The records of every JSON-lines object under `folder`, in path order (a run's .sluice-staging/
    folder left out)."""
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and ".sluice-staging" not in path.parts:
            rows += [json.loads(line) for line in path.read_text().splitlines() if line]
    return rows


def s3_csv_source(bucket: str) -> dict[str, Any]:
    """A sourceFlowConfig reading the CSV objects under `in/` of a bucket."""
    return {"connectorType": "S3", "sourceConnectorProperties": {"S3": {
        "bucketName": bucket, "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}}


def s3_parquet_destination(bucket: str, **output: Any) -> list[dict[str, Any]]:
    """A destinationFlowConfigList writing Parquet under `out/` of a bucket (`output`: more format settings)."""
    return [{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
        "bucketName": bucket, "bucketPrefix": "out", "s3OutputFormatConfig": {"fileType": "PARQUET", **output}}}}]


def copy_columns(columns: Iterable[str], connector: str = "S3") -> list[dict[str, Any]]:
    """Map tasks copying each column to a field of the same name."""
    return [{"taskType": "Map", "sourceFields": [c], "destinationField": c, "connectorOperator": {connector: "NO_OP"},
             "taskProperties": {}} for c in columns]


def incremental_schedule(start: float, first_from: float, expression: str = "rate(1minutes)") -> dict[str, Any]:
    """A triggerConfig for a Scheduled, Incremental flow (times in epoch seconds)."""
    return {"triggerType": "Scheduled", "triggerProperties": {"Scheduled": {
        "scheduleExpression": expression, "dataPullMode": "Incremental",
        "scheduleStartTime": start, "firstExecutionFrom": first_from}}}


def run_to_s3(client: Any, server: SluiceServer, request: dict[str, Any],
              timeout: float = 120) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Create the flow (to S3 Parquet), run it once; (the run's record, the rows it published)."""
    bucket = request["destinationFlowConfigList"][0]["destinationConnectorProperties"]["S3"]["bucketName"]
    (server.data_dir / "s3" / bucket).mkdir(parents=True, exist_ok=True)
    client.create_flow(**request)
    return start_and_wait(client, request["flowName"], timeout=timeout), published_rows(server, bucket)


def edits_land_once(client: Any, server: SluiceServer, flow: str, bucket: str, column: str,
                    edit: Callable[[int, str], None], before_second: Callable[[], None] | None = None) -> None:
    """The incremental scenario the connector tests share, on a Scheduled flow not started yet.

    Records 0-2 were edited to `first-0`..`first-2` before; this starts the flow, waits for them in
    `column` of the bucket, edits record 0 (already moved) and record 3 (never moved) to `second-N`,
    waits, lets a few empty windows pass, stops the flow, and checks that each edit landed exactly
    once and every run was Successful. `before_second` runs between the two rounds of edits.
    """
    def labels() -> list[Any]:
        return [r[column] for r in published_rows(server, bucket, [column])]

    client.start_flow(flowName=flow)
    wait_for(lambda: set(labels()) >= {"first-0", "first-1", "first-2"}, 60)
    if before_second:
        before_second()
    edit(0, "second-0")  # an edit of a record already moved, and of one never moved
    edit(3, "second-3")
    wait_for(lambda: set(labels()) >= {"second-0", "second-3"}, 60)
    time.sleep(2)  # a few more (empty) windows
    client.stop_flow(flowName=flow)
    statuses = {r["executionStatus"] for r in wait_until_idle(client, flow)}
    counts = Counter(labels())
    assert counts == Counter({"first-0": 1, "first-1": 1, "first-2": 1, "second-0": 1, "second-3": 1}), counts
    assert statuses == {"Successful"}, statuses
