"""`sluice flows|runs` against a real server, run as a person would: `python -m sluice.cli` with the
account's keys in the standard AWS variables and the endpoint in AWS_ENDPOINT_URL_APPFLOW.

A server with one run worker runs the flows; one with none keeps runs InProgress for `runs cancel`.
The per-task counts and the run log come from CORE's /sluice/v1 resources; tests/unit/commands/
drives those against a stub, and here `runs show` / `runs logs` are checked for what the server
serves (AppFlow's record always; the resources when the server has them).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from sluice.commands.api_client import Api, ApiError, resource_path
from sluice.commands.display import when
from tests.integration.builders import unique
from tests.support.flows import wait_for_run
from tests.support.server import ACCESS_KEY, REGION, SECRET_KEY, SluiceServer

ROWS = 250
CSV_TASKS = [
    {"taskType": "Filter", "sourceFields": ["id", "name", "amount"], "connectorOperator": {"S3": "PROJECTION"}},
    {"taskType": "Map", "sourceFields": ["id"], "connectorOperator": {"S3": "NO_OP"}, "destinationField": "id",
     "taskProperties": {"SOURCE_DATA_TYPE": "string", "DESTINATION_DATA_TYPE": "string"}},
    {"taskType": "Map", "sourceFields": ["name"], "connectorOperator": {"S3": "NO_OP"}, "destinationField": "name"},
    {"taskType": "Map", "sourceFields": ["amount"], "connectorOperator": {"S3": "NO_OP"},
     "destinationField": "amount"},
]


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    """A server with one run worker on the local S3 backend."""
    server = SluiceServer(data_dir=tmp_path_factory.mktemp("cli-runs"), workers=1).start()
    try:
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()[-4000:]


@pytest.fixture(scope="module")
def idle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    """A server with no run workers: a started run stays InProgress until cancelled."""
    server = SluiceServer(data_dir=tmp_path_factory.mktemp("cli-idle"), workers=0).start()
    try:
        yield server
    finally:
        server.stop()


def cli_env(server: SluiceServer, tmp: Path) -> dict[str, str]:
    """What `sluice accounts credentials` tells a user to export, and nothing else of AWS's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLUICE_"))}
    env.update({
        "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL_APPFLOW": server.url,
        # No ~/.aws files of whoever runs the suite.
        "AWS_CONFIG_FILE": str(tmp / "absent-config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "absent-creds"),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    })
    return env


def sluice(server: SluiceServer, tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `sluice ARGS` as a user would, with the account's keys."""
    return subprocess.run([sys.executable, "-m", "sluice.cli", *args], env={**cli_env(server, tmp), **env},
                          capture_output=True, text=True, check=False, timeout=120)


def put_csv(server: SluiceServer, bucket: str, key: str, rows: int) -> None:
    table = pa.table({"id": [str(i) for i in range(rows)], "name": [f"name {i} é" for i in range(rows)],
                      "amount": [str(i * 3) for i in range(rows)], "note": ["x"] * rows})
    out = io.BytesIO()
    pacsv.write_csv(table, out)
    path = server.data_dir / "s3" / bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def s3_flow(name: str, src: str, dst: str, **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "flowName": name, "description": "orders into the lake",
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": "S3", "sourceConnectorProperties": {
            "S3": {"bucketName": src, "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
        "destinationFlowConfigList": [{"connectorType": "S3", "destinationConnectorProperties": {
            "S3": {"bucketName": dst, "bucketPrefix": "out"}}}],
        "tasks": CSV_TASKS, "tags": {"team": "data", "cost-centre": "42"},
    }
    request.update(overrides)
    return request


@pytest.fixture(scope="module")
def copied(runner: SluiceServer) -> dict[str, str]:
    """An S3 -> S3 flow with ROWS records waiting, created but not yet run."""
    src, dst, name = unique("src"), unique("dst"), unique("orders")
    put_csv(runner, src, "in/orders.csv", ROWS)
    (runner.data_dir / "s3" / dst).mkdir(parents=True)
    runner.client().create_flow(**s3_flow(name, src, dst))
    return {"name": name, "src": src, "dst": dst}


def test_start_wait_prints_the_record_count_and_exits_zero(runner, copied, tmp_path):
    done = sluice(runner, tmp_path, "flows", "start", copied["name"], "--wait", "--interval", "0.2")
    assert done.returncode == 0, done.stderr
    assert "started " + copied["name"] in done.stdout
    assert f"Successful: {ROWS:,} records" in done.stdout
    records = runner.client().describe_flow_execution_records(flowName=copied["name"])["flowExecutions"]
    assert [r["executionStatus"] for r in records] == ["Successful"]
    assert any(p.is_file() for p in (runner.data_dir / "s3" / copied["dst"]).rglob("*"))
    # The progress bar (stderr) ends on the run's totals too.
    assert f"{ROWS:,} records" in done.stderr


def test_start_wait_on_a_failing_flow_exits_non_zero_with_the_error(runner, tmp_path):
    name, absent = unique("broken"), unique("absent")
    (runner.data_dir / "s3" / "lake-broken").mkdir(parents=True, exist_ok=True)
    runner.client().create_flow(**s3_flow(name, absent, "lake-broken"))
    done = sluice(runner, tmp_path, "flows", "start", name, "--wait", "--interval", "0.2")
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("Error: 0 records")
    record = runner.client().describe_flow_execution_records(flowName=name)["flowExecutions"][0]
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert absent in message
    assert f"error: {message}" in done.stderr


def test_flows_list_shows_status_trigger_route_and_last_run(runner, copied, tmp_path):
    client = runner.client()
    wait_for_run(client, copied["name"], client.start_flow(flowName=copied["name"])["executionId"])
    done = sluice(runner, tmp_path, "flows", "list")
    assert done.returncode == 0, done.stderr
    header, *lines = done.stdout.splitlines()
    assert header.split()[:4] == ["NAME", "STATUS", "TRIGGER", "SOURCE"]
    row = next(line for line in lines if line.startswith(copied["name"] + " "))
    assert row.split()[1:6] == ["Active", "OnDemand", "S3", "→", "S3"]
    last = client.describe_flow(flowName=copied["name"])["lastRunExecutionDetails"]
    assert "Successful" in row and when(last["mostRecentExecutionTime"]) in row


def test_flows_show_prints_configuration_tasks_and_tags(runner, copied, tmp_path):
    done = sluice(runner, tmp_path, "flows", "show", copied["name"])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "orders into the lake" in out and "OnDemand" in out
    assert f"S3 {copied['src']}/in" in out and f"S3 {copied['dst']}/out" in out
    assert "Tasks (4)" in out
    task_rows = out.split("Tasks (4)")[1].split("Tags")[0].splitlines()
    assert task_rows[1].split()[:2] == ["#", "TYPE"]
    assert task_rows[2].split()[:5] == ["1", "Filter", "id,", "name,", "amount"]
    assert "SOURCE_DATA_TYPE=string" in task_rows[3]
    assert "  team = data" in out and "  cost-centre = 42" in out
    assert "Next run" not in out


def test_flows_show_gives_a_scheduled_flows_next_fire_time_and_says_when_it_is_draft(runner, tmp_path):
    client = runner.client()
    name = unique("nightly")
    # A start two days ahead at a whole hour: rate(1days) fires first exactly then.
    start = (int(time.time()) // 3600 + 48) * 3600
    trigger = {"triggerType": "Scheduled", "triggerProperties": {"Scheduled": {
        "scheduleExpression": "rate(1days)", "scheduleStartTime": start, "timezone": "UTC"}}}
    (runner.data_dir / "s3" / "sched-src").mkdir(parents=True, exist_ok=True)
    client.create_flow(**s3_flow(name, "sched-src", "sched-src", triggerConfig=trigger))
    draft = sluice(runner, tmp_path, "flows", "show", name)
    assert draft.returncode == 0, draft.stderr
    next_run = next(line for line in draft.stdout.splitlines() if line.startswith("Next run"))
    assert "Draft" in next_run and f"sluice flows start {name}" in next_run and when(start) in next_run
    assert "Scheduled: rate(1days)" in draft.stdout
    started = sluice(runner, tmp_path, "flows", "start", name)
    assert started.returncode == 0 and "Active" in started.stdout, started.stderr
    active = sluice(runner, tmp_path, "flows", "show", name)
    next_run = next(line for line in active.stdout.splitlines() if line.startswith("Next run"))
    assert "Draft" not in next_run and when(start) in next_run


def test_runs_list_and_show(runner, copied, tmp_path):
    client = runner.client()
    first = client.start_flow(flowName=copied["name"])["executionId"]
    wait_for_run(client, copied["name"], first)
    listed = sluice(runner, tmp_path, "runs", "list", copied["name"])
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:2] == ["EXECUTION", "STATUS"]
    assert lines[1].split()[:2] == [first, "Successful"]  # newest first
    assert len(lines) >= 2 and all(f"{ROWS:,}" in line for line in lines[1:])
    for args in ((), (first,)):
        shown = sluice(runner, tmp_path, "runs", "show", copied["name"], *args)
        assert shown.returncode == 0, shown.stderr
        fields = dict(line.split(None, 1) for line in shown.stdout.splitlines() if line[:1].isupper() and " " in line)
        assert fields["Execution"].strip() == first and fields["Status"].strip() == "Successful"
        assert fields["Records"].strip() == f"{ROWS:,}"
        # Beyond AppFlow's record: the server's per-task and per-destination counts.
        assert "Tasks" in shown.stdout and "Destinations" in shown.stdout
        assert shown.stdout.count(f"{ROWS:,}") >= 3  # records, the task's in/out, the destination's written
    unknown = sluice(runner, tmp_path, "runs", "show", copied["name"], "no-such-run")
    assert unknown.returncode == 1 and "no execution no-such-run" in unknown.stderr


def test_runs_logs_follows_the_run_log_from_start_to_finish(runner, copied, tmp_path):
    client = runner.client()
    execution_id = client.start_flow(flowName=copied["name"])["executionId"]
    wait_for_run(client, copied["name"], execution_id)
    done = sluice(runner, tmp_path, "runs", "logs", copied["name"], execution_id, "--follow", "--interval", "0.2")
    assert done.returncode == 0, done.stderr
    kinds = [line.split()[4] for line in done.stdout.splitlines()]
    assert kinds[0] == "started" and kinds[-1] == "finished"


def test_runs_cancel(idle, tmp_path):
    client = idle.client()
    name = unique("queued")
    client.create_flow(**s3_flow(name, "nowhere", "nowhere"))
    first = client.start_flow(flowName=name)["executionId"]
    second = client.start_flow(flowName=name)["executionId"]
    one = sluice(idle, tmp_path, "runs", "cancel", name, first)
    assert one.returncode == 0, one.stderr
    assert f"cancellation requested: {name} {first}" in one.stdout
    statuses = {r["executionId"]: r["executionStatus"]
                for r in client.describe_flow_execution_records(flowName=name)["flowExecutions"]}
    assert statuses[first] in ("CancelStarted", "Canceled") and statuses[second] == "InProgress"
    bad = sluice(idle, tmp_path, "runs", "cancel", name, "not-a-run")
    assert bad.returncode == 1 and "not-a-run" in bad.stderr
    every = sluice(idle, tmp_path, "runs", "cancel", name)
    assert every.returncode == 0, every.stderr
    statuses = {r["executionId"]: r["executionStatus"]
                for r in client.describe_flow_execution_records(flowName=name)["flowExecutions"]}
    assert statuses[second] in ("CancelStarted", "Canceled")


def test_endpoint_and_credentials_come_from_where_the_aws_cli_takes_them(idle, tmp_path):
    flag = sluice(idle, tmp_path, "flows", "list", "--endpoint-url", idle.url, AWS_ENDPOINT_URL_APPFLOW="")
    assert flag.returncode == 0, flag.stderr
    variable = sluice(idle, tmp_path, "flows", "list", AWS_ENDPOINT_URL_APPFLOW="", SLUICE_URL=idle.url)
    assert variable.returncode == 0 and variable.stdout == flag.stdout, variable.stderr
    (tmp_path / "creds").write_text(f"[sluice]\naws_access_key_id = {ACCESS_KEY}\n"
                                    f"aws_secret_access_key = {SECRET_KEY}\n")
    profile = sluice(idle, tmp_path, "flows", "list", "--profile", "sluice", AWS_ACCESS_KEY_ID="",
                     AWS_SECRET_ACCESS_KEY="", AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "creds"))
    assert profile.returncode == 0 and profile.stdout == flag.stdout, profile.stderr
    wrong = sluice(idle, tmp_path, "flows", "list", AWS_SECRET_ACCESS_KEY="not-the-secret")
    assert wrong.returncode == 1 and "error: " in wrong.stderr and "Traceback" not in wrong.stderr
    closed = sluice(idle, tmp_path, "runs", "list", "x", "--endpoint-url", "http://127.0.0.1:9")
    assert closed.returncode == 1 and "127.0.0.1:9" in closed.stderr and "Traceback" not in closed.stderr


def test_sluice_v1_requests_are_signed_like_every_other_call(idle):
    """A signed GET reaches the resource (404 for an unknown run); a wrong secret is refused (403)."""
    path = resource_path("flows", "no-such-flow", "executions", "no-such-run")
    assert Api(idle.url, region=REGION, session=_session()).get_json(path) is None
    with pytest.raises(ApiError) as refused:
        Api(idle.url, region=REGION, session=_session(secret="wrong")).get_json(path)
    assert refused.value.code in ("InvalidSignatureException", "UnrecognizedClientException", "AccessDeniedException",
                                  "SignatureDoesNotMatch"), refused.value


def _session(secret: str = SECRET_KEY) -> Any:
    import boto3

    return boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=secret, region_name=REGION)
