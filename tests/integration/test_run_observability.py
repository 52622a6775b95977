"""Seeing into runs over HTTP: live progress, per-task counts, the run log and /sluice/v1.

A real `sluice serve` (one run worker, local S3) driven by boto3; the /sluice/v1 resources are
called with SigV4-signed httpx requests, as the CLI calls them. Expected counts are computed
from the generated input, not from Sluice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.integration.builders import create_account, map_all_task, s3_destination, s3_flow, s3_source, unique
from tests.support.flows import wait_for_run
from tests.support.server import ACCESS_KEY, REGION, SECRET_KEY, SluiceServer

BUCKET = "sluice-source"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    srv = SluiceServer(data_dir=tmp_path_factory.mktemp("observe"), workers=1,
                       extra_env={"SLUICE_S3_BACKEND": "local", "SLUICE_LOG_FORMAT": "json", "SLUICE_LOG_LEVEL": "info",
                                  # progress every 0.1 s, so a run of a second shows it several times
                                  "SLUICE_RUN_PROGRESS_SECONDS": "0.1"})
    for bucket in (BUCKET, "sluice-destination", "sluice-second"):
        (srv.data_dir / "s3" / bucket).mkdir(parents=True, exist_ok=True)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
    assert "Traceback" not in srv.log(), srv.log()[-4000:]


def signed_get(server: SluiceServer, path: str, key: str = ACCESS_KEY, secret: str = SECRET_KEY) -> httpx.Response:
    """GET `path` signed with SigV4 for appflow, as boto3 would sign it."""
    url = f"{server.url}{path}"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(key, secret), "appflow", REGION).add_auth(request)
    return httpx.get(url, headers=dict(request.headers.items()), timeout=30)


def run_path(flow: str, execution_id: str, tail: str = "") -> str:
    return f"/sluice/v1/flows/{quote(flow)}/executions/{quote(execution_id)}{tail}"


def all_events(server: SluiceServer, flow: str, execution_id: str) -> list[dict[str, Any]]:
    """Every stored event of a finished run, paging through `after` with a small `limit`."""
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        answer = signed_get(server, run_path(flow, execution_id, f"/events?after={after}&limit=3"))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        events += body["events"]
        assert body["nextAfter"] == (body["events"][-1]["seq"] if body["events"] else after)
        after = body["nextAfter"]
        if body["finished"]:
            return events


def write_csv(root: Path, prefix: str, files: int, rows: int) -> None:
    folder = root / prefix
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        lines = ["id,amount,email,note"]
        lines += [f"{f * rows + i},{(f * rows + i) % 100},u{i}@example.com,row {i} of file {f}" for i in range(rows)]
        (folder / f"part-{f:03d}.csv").write_text("\n".join(lines) + "\n")


def start_long_run(server: SluiceServer, label: str, files: int = 40, rows: int = 15_000) -> tuple[Any, str, str]:
    """(client, flow name, execution id) of a started S3 -> S3 run over `files` x `rows` CSV rows,
    long enough (several seconds) to be watched while it goes."""
    client = server.client()
    prefix = unique(label)
    write_csv(server.data_dir / "s3" / BUCKET, prefix, files, rows)
    name = unique(label)
    client.create_flow(**s3_flow(name, sourceFlowConfig=s3_source(BUCKET, prefix),
                                 destinationFlowConfigList=[s3_destination(prefix=name)]))
    return client, name, client.start_flow(flowName=name)["executionId"]


def test_progress_is_visible_while_the_run_goes(server: SluiceServer) -> None:
    files, rows = 40, 15_000
    client, name, execution_id = start_long_run(server, "progress", files, rows)
    seen_mid_run: list[tuple[int, int]] = []
    deadline = time.time() + 300
    while time.time() < deadline:
        record = client.describe_flow_execution_records(flowName=name)["flowExecutions"][0]
        if record["executionStatus"] != "InProgress":
            break
        result = record.get("executionResult") or {}
        if 0 < result.get("recordsProcessed", 0) < files * rows:
            seen_mid_run.append((result["recordsProcessed"], result.get("bytesProcessed", 0)))
        time.sleep(0.05)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["recordsProcessed"] == files * rows
    assert seen_mid_run, "DescribeFlowExecutionRecords never showed a count between 0 and the total mid-run"
    assert all(b > 0 for _, b in seen_mid_run)
    assert [r for r, _ in seen_mid_run] == sorted(r for r, _ in seen_mid_run)  # progress never goes back
    kinds = [e["kind"] for e in all_events(server, name, execution_id)]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert kinds.count("file") == files and "page" in kinds


def filter_task(field: str, operator: str, value: str, data_type: str | None = None) -> dict[str, Any]:
    props = {"VALUE": value, **({"DATA_TYPE": data_type} if data_type else {})}
    return {"sourceFields": [field], "taskType": "Filter", "connectorOperator": {"S3": operator},
            "taskProperties": props}


def validate_task(field: str, operator: str) -> dict[str, Any]:
    return {"sourceFields": [field], "taskType": "Validate", "connectorOperator": {"S3": operator},
            "taskProperties": {"VALIDATION_ACTION": "DropRecord"}}


def test_per_task_counts_are_exact(server: SluiceServer) -> None:
    client = server.client()
    prefix = unique("counts")
    folder = server.data_dir / "s3" / BUCKET / prefix
    folder.mkdir(parents=True)
    # 300 records: amount i % 50; email blank every 7th; score "-1" every 11th, blank every 13th.
    table = []
    for i in range(300):
        email = "" if i % 7 == 0 else f"u{i}@example.com"
        score = "" if i % 13 == 0 else ("-1" if i % 11 == 0 else str(i))
        table.append((i, i % 50, email, score))
    for part in range(3):
        chunk = table[part * 100:(part + 1) * 100]
        body = "id,amount,email,score\n" + "".join(f"{a},{b},{c},{d}\n" for a, b, c, d in chunk)
        (folder / f"p{part}.csv").write_text(body)
    kept_by_filter = [r for r in table if r[1] >= 10]
    non_null = [r for r in kept_by_filter if r[2] != ""]
    non_negative = [r for r in non_null if not (r[3] != "" and float(r[3]) < 0)]
    name = unique("counts")
    tasks = [
        filter_task("amount", "GREATER_THAN_OR_EQUAL_TO", "10", "integer"),
        filter_task("id", "LESS_THAN", "zzz"),  # no DATA_TYPE: text, and every id sorts before "zzz"
        validate_task("email", "VALIDATE_NON_NULL"),
        validate_task("score", "VALIDATE_NON_NEGATIVE"),
        map_all_task(),
    ]
    client.create_flow(**s3_flow(
        name, sourceFlowConfig=s3_source(BUCKET, prefix), tasks=tasks,
        destinationFlowConfigList=[s3_destination(prefix=name), s3_destination("sluice-second", name)],
    ))
    execution_id = client.start_flow(flowName=name)["executionId"]
    record = wait_for_run(client, name, execution_id, timeout=120)
    assert record["executionStatus"] == "Successful", record
    answer = signed_get(server, run_path(name, execution_id))
    assert answer.status_code == 200, answer.text
    details = answer.json()
    assert details["executionId"] == execution_id and details["flowName"] == name
    assert details["executionStatus"] == "Successful" and details["errorMessage"] is None
    assert details["recordsProcessed"] == 300
    assert details["source"]["connectorType"] == "S3"
    assert details["source"]["filesRead"] == 3 and details["source"]["recordsRead"] == 300
    assert details["source"]["bytesRead"] == sum(p.stat().st_size for p in folder.iterdir())
    counts = {t["index"]: t for t in details["tasks"]}
    assert [t["taskType"] for t in details["tasks"]] == ["Filter", "Filter", "Validate", "Validate", "Map_all"]
    assert counts[0]["recordsIn"] == 300 and counts[0]["dropped"] == 300 - len(kept_by_filter)
    assert counts[1]["recordsIn"] == len(kept_by_filter) and counts[1]["dropped"] == 0
    assert counts[2]["rejected"] == len(kept_by_filter) - len(non_null)
    assert counts[2]["rules"] == {"VALIDATE_NON_NULL": len(kept_by_filter) - len(non_null)}
    assert counts[3]["recordsIn"] == len(non_null)
    assert counts[3]["rules"] == {"VALIDATE_NON_NEGATIVE": len(non_null) - len(non_negative)}
    assert counts[3]["recordsOut"] == len(non_negative)
    assert counts[4]["recordsIn"] == counts[4]["recordsOut"] == len(non_negative)
    assert [d["recordsWritten"] for d in details["destinations"]] == [len(non_negative)] * 2
    assert all(d["bytesWritten"] > 0 and d["recordsFailed"] == 0 for d in details["destinations"])
    # The same object rides on the execution record (botocore drops it; the raw JSON has it).
    raw = client.describe_flow_execution_records(flowName=name)["ResponseMetadata"]
    assert raw["HTTPStatusCode"] == 200
    events = all_events(server, name, execution_id)
    warnings = [e for e in events if e["kind"] == "warning"]
    assert any("tasks[1]" in e["message"] and "no DATA_TYPE" in e["message"] for e in warnings), warnings
    assert all(e["level"] == "warning" for e in warnings)
    summaries = [e["message"] for e in events if e["kind"] == "task_summary"]
    assert any("tasks[2] Validate rejected" in m for m in summaries), summaries
    assert sum(e["kind"] == "publish" for e in events) == 2
    assert [e["seq"] for e in events] == sorted({e["seq"] for e in events})
    # The server log has one JSON line per event (SLUICE_LOG_FORMAT=json).
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    ours = [line for line in lines if line.get("executionId") == execution_id]
    assert sorted(line["seq"] for line in ours) == [e["seq"] for e in events]


def test_execution_records_carry_the_run_details(server: SluiceServer) -> None:
    client = server.client()
    name = unique("member")
    prefix = unique("member")
    write_csv(server.data_dir / "s3" / BUCKET, prefix, 1, 10)
    client.create_flow(**s3_flow(name, sourceFlowConfig=s3_source(BUCKET, prefix)))
    execution_id = client.start_flow(flowName=name)["executionId"]
    wait_for_run(client, name, execution_id)
    raw = signed_raw_post(server, "/describe-flow-execution-records", {"flowName": name})
    (record,) = raw["flowExecutions"]
    assert record["sluiceRunDetails"]["recordsProcessed"] == 10
    assert record["sluiceRunDetails"]["source"]["filesRead"] == 1
    assert "executionId" not in record["sluiceRunDetails"]


def signed_raw_post(server: SluiceServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    url = f"{server.url}{path}"
    data = json.dumps(body)
    request = AWSRequest(method="POST", url=url, data=data, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "appflow", REGION).add_auth(request)
    answer = httpx.post(url, content=data, headers=dict(request.headers.items()), timeout=30)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_an_empty_prefix_succeeds_and_says_why(server: SluiceServer) -> None:
    client = server.client()
    name = unique("empty")
    client.create_flow(**s3_flow(name, sourceFlowConfig=s3_source(BUCKET, "no-such-prefix-typo")))
    execution_id = client.start_flow(flowName=name)["executionId"]
    record = wait_for_run(client, name, execution_id)
    assert record["executionStatus"] == "Successful"
    assert record["executionResult"]["recordsProcessed"] == 0
    events = all_events(server, name, execution_id)
    warning = [e for e in events if e["kind"] == "warning"]
    assert len(warning) == 1 and "matched no objects" in warning[0]["message"]
    assert "s3://sluice-source/no-such-prefix-typo" in warning[0]["message"]
    assert events[-1]["kind"] == "finished" and events[-1]["message"].startswith("Successful: 0 record")


def test_a_failed_run_says_why(server: SluiceServer) -> None:
    client = server.client()
    name = unique("failed")
    client.create_flow(**s3_flow(name, sourceFlowConfig=s3_source("sluice-missing-bucket", "in")))
    execution_id = client.start_flow(flowName=name)["executionId"]
    record = wait_for_run(client, name, execution_id)
    assert record["executionStatus"] == "Error"
    reason = record["executionResult"]["errorInfo"]["executionMessage"]
    details = signed_get(server, run_path(name, execution_id)).json()
    assert details["executionStatus"] == "Error" and details["errorMessage"] == reason
    events = all_events(server, name, execution_id)
    assert events[0]["kind"] == "started"
    assert events[-1] == {**events[-1], "kind": "finished", "level": "error", "message": f"Error: {reason}"}


def test_the_resources_answer_404_and_are_account_scoped(server: SluiceServer) -> None:
    client = server.client()
    name = unique("scoped")
    prefix = unique("scoped")
    write_csv(server.data_dir / "s3" / BUCKET, prefix, 1, 5)
    client.create_flow(**s3_flow(name, sourceFlowConfig=s3_source(BUCKET, prefix)))
    execution_id = client.start_flow(flowName=name)["executionId"]
    wait_for_run(client, name, execution_id)
    for path in (run_path(name, "no-such-execution"), run_path("no-such-flow", execution_id),
                 run_path(name, "no-such-execution", "/events")):
        answer = signed_get(server, path)
        assert answer.status_code == 404, answer.text
        assert answer.headers["x-amzn-errortype"] == "ResourceNotFoundException"
        assert answer.json()["message"]
    other = create_account(server)
    for tail in ("", "/events"):
        answer = signed_get(server, run_path(name, execution_id, tail), other["access_key_id"],
                            other["secret_access_key"])
        assert answer.status_code == 404, answer.text
        assert answer.headers["x-amzn-errortype"] == "ResourceNotFoundException"
    unsigned = httpx.get(f"{server.url}{run_path(name, execution_id)}", timeout=30)
    assert unsigned.status_code == 403
    bad = signed_get(server, run_path(name, execution_id, "/events?limit=0"))
    assert bad.status_code == 400 and bad.headers["x-amzn-errortype"] == "ValidationException"
    assert signed_get(server, "/sluice/v1/nothing-here").status_code == 404


@pytest.fixture(scope="module")
def salesforce() -> Iterator[Any]:
    from tests.fakes.salesforce.server import FakeSalesforce

    fake = FakeSalesforce(seed_counts={"Account": 120})
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def test_retries_are_logged_with_the_vendors_status(salesforce: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.support.flows import run_to_s3, s3_parquet_destination, saas_server
    from tests.support.salesforce import sluice_env, token_profile

    with saas_server(tmp_path_factory.mktemp("sf-observe"), **sluice_env(salesforce.url)) as sluice:
        client = sluice.client()
        profile = unique("sf")
        client.create_connector_profile(**token_profile(profile, salesforce))
        salesforce.org.faults.add("GET", r"/query", 403, "REQUEST_LIMIT_EXCEEDED", count=2)
        name = unique("sf-retry")
        record, rows = run_to_s3(client, sluice, {
            "flowName": name,
            "triggerConfig": {"triggerType": "OnDemand"},
            "sourceFlowConfig": {"connectorType": "Salesforce", "connectorProfileName": profile,
                                 "sourceConnectorProperties": {"Salesforce": {"object": "Account",
                                                                              "dataTransferApi": "REST_SYNC"}}},
            "destinationFlowConfigList": s3_parquet_destination(unique("b")),
            "tasks": [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Salesforce": "NO_OP"},
                       "taskProperties": {}}],
        })
        assert record["executionStatus"] == "Successful" and len(rows) == 120
        retries = [e for e in all_events(sluice, name, record["executionId"]) if e["kind"] == "retry"]
        assert len(retries) == 2, retries
        assert all("403 (REQUEST_LIMIT_EXCEEDED)" in e["message"] and e["level"] == "warning" for e in retries)
        assert "retry 1 of" in retries[0]["message"] and "retry 2 of" in retries[1]["message"]


def test_runs_logs_follow_streams_a_running_run(server: SluiceServer, tmp_path: Path) -> None:
    """`sluice runs logs --follow`, started while the run goes, prints events before the run ends and
    stops after `finished`."""
    # Twice the progress test's size: the CLI process must start and print while the run still goes.
    client, name, execution_id = start_long_run(server, "follow", files=80)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLUICE_"))}
    env.update({"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": REGION,
                "SLUICE_URL": server.url, "AWS_CONFIG_FILE": str(tmp_path / "none"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")})
    follow = subprocess.Popen([sys.executable, "-m", "sluice.cli", "runs", "logs", name, execution_id, "--follow",
                               "--interval", "0.1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        assert follow.stdout is not None
        first = follow.stdout.readline()
        status_at_first_line = client.describe_flow_execution_records(
            flowName=name)["flowExecutions"][0]["executionStatus"]
        rest, errors = follow.communicate(timeout=300)
    finally:
        if follow.poll() is None:
            follow.kill()
    assert follow.returncode == 0, errors
    assert status_at_first_line == "InProgress"  # the first event reached the terminal mid-run
    kinds = [line.split()[4] for line in [first, *rest.splitlines()] if line.strip()]
    assert kinds[0] == "started" and kinds[-1] == "finished" and "file" in kinds
    final = client.describe_flow_execution_records(flowName=name)["flowExecutions"][0]
    assert final["executionStatus"] == "Successful"
