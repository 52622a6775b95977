"""Run reports over HTTP: the EventBridge event in SQS via moto, signed webhooks, and /metrics.

One real `sluice serve` (SQLite) with `SLUICE_EVENTBRIDGE=true`, its EventBridge endpoint on a
moto server where a rule on the default bus sends `aws.appflow` events to an SQS queue, and a
webhook receiver on 127.0.0.1 that fails the first delivery so the retry is exercised.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.builders import s3_destination, s3_flow, s3_source, unique
from tests.support.flows import start_and_wait
from tests.support.receiver import Receiver
from tests.support.server import SluiceServer

MOTO_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
SECRET = "whsec-test-0123456789"
# Every member AppFlow's "Flow notifications" page lists for an End Flow Run Report, plus the two
# every published AppFlow example carries (execution-id, num-of-records-filtered).
DETAIL_KEYS = {
    "flow-name", "created-by", "flow-arn", "source", "destination", "source-object", "destination-object",
    "trigger-type", "num-of-records-processed", "execution-id", "num-of-records-filtered", "start-time",
    "end-time", "num-of-record-failures", "data-processed", "status",
}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\[UTC\]$")


@pytest.fixture
def queue(moto_endpoint: str) -> Iterator[tuple[Any, str]]:
    """An SQS queue receiving every aws.appflow event of moto's default bus."""
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    events = boto3.client("events", endpoint_url=moto_endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    url = sqs.create_queue(QueueName="appflow-reports")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="appflow-runs", EventPattern=json.dumps(
        {"source": ["aws.appflow"], "detail-type": ["AppFlow End Flow Run Report"]}))
    events.put_targets(Rule="appflow-runs", Targets=[{"Id": "queue", "Arn": arn}])
    yield sqs, url


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver([500]) as hook:
        yield hook


@pytest.fixture
def server(tmp_path: Path, moto_endpoint: str, queue: Any, receiver: Receiver) -> Iterator[SluiceServer]:
    sluice = SluiceServer(tmp_path / "data", extra_env={
        **MOTO_KEYS, "SLUICE_EVENTBRIDGE": "true", "AWS_ENDPOINT_URL_EVENTBRIDGE": moto_endpoint,
        "SLUICE_WEBHOOK_BACKOFF_BASE": "0.05",
    })
    for bucket in ("reports-src", "reports-dst"):
        (sluice.data_dir / "s3" / bucket).mkdir(parents=True)
    (sluice.data_dir / "s3" / "reports-src" / "in").mkdir()
    (sluice.data_dir / "s3" / "reports-src" / "in" / "a.csv").write_text("id,name\n1,ada\n2,grace\n3,edsger\n")
    sluice.start()
    added = sluice.cli("webhooks", "add", receiver.url, "--secret", SECRET)
    assert added.returncode == 0, added.stderr
    yield sluice
    sluice.stop()


def _messages(sqs: Any, url: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages")
        if got:
            return [json.loads(m["Body"]) for m in got]
    raise AssertionError("no EventBridge event reached the queue")


def _report_of(queue: tuple[Any, str], execution_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """The report of one run, skipping any other the queue holds (a port moto reuses may bring one)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for message in _messages(*queue, timeout=max(1.0, deadline - time.time())):
            if message["detail"].get("execution-id") == execution_id:
                return message
    raise AssertionError(f"no report of {execution_id} reached the queue")


def _run(server: SluiceServer, before_start: Callable[[], object] = lambda: None) -> tuple[str, dict[str, Any]]:
    client = server.client()
    name = unique("report")
    client.create_flow(**s3_flow(name, sourceFlowConfig=s3_source("reports-src", "in"),
                                 destinationFlowConfigList=[s3_destination("reports-dst", "out")]))
    before_start()
    return name, start_and_wait(client, name)


def test_run_end_reaches_eventbridge_webhooks_and_metrics(server: SluiceServer, queue: Any,
                                                          receiver: Receiver) -> None:
    name, record = _run(server)
    assert record["executionStatus"] == "Successful"

    event = _messages(*queue)[0]
    assert event["source"] == "aws.appflow"
    assert event["detail-type"] == "AppFlow End Flow Run Report"
    detail = event["detail"]
    assert set(detail) == DETAIL_KEYS
    flow = server.client().describe_flow(flowName=name)
    assert detail["flow-name"] == name and detail["flow-arn"] == flow["flowArn"]
    assert detail["created-by"] == flow["createdBy"]
    assert detail["execution-id"] == record["executionId"]
    assert detail["status"] == "Execution Successful"
    assert detail["num-of-records-processed"] == "3"
    assert detail["data-processed"] == str(record["executionResult"]["bytesProcessed"])
    assert (detail["source"], detail["destination"]) == ("S3", "S3")
    assert (detail["source-object"], detail["destination-object"]) == ("s3://reports-src/in", "s3://reports-dst/out")
    assert detail["trigger-type"] == "ONDEMAND"
    assert STAMP.match(detail["start-time"]) and STAMP.match(detail["end-time"])

    # The receiver refused the first delivery with a 500; the retry carries the same event, signed.
    first, second = receiver.wait_for(2)
    assert first.headers["x-sluice-event-id"] == second.headers["x-sluice-event-id"]
    stamp = second.headers["x-sluice-timestamp"]
    expected = hmac.new(SECRET.encode(), stamp.encode() + b"." + second.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(second.headers["x-sluice-signature"], f"sha256={expected}")
    assert abs(int(stamp) - time.time()) < 300
    delivered = json.loads(second.body)
    assert delivered["detail"] == detail and delivered["detail-type"] == "AppFlow End Flow Run Report"

    families = {f.name: f for f in text_string_to_metric_families(httpx.get(f"{server.url}/metrics").text)}
    runs = {(s.labels["status"], s.labels["connector_type"]): s.value
            for s in families["sluice_runs"].samples if s.name == "sluice_runs_total"}
    assert runs[("Successful", "S3")] == 1
    records = [s.value for s in families["sluice_records_processed"].samples if s.name.endswith("_total")]
    assert records == [3]
    requests = {(s.labels["operation"], s.labels["status"]): s.value
                for s in families["sluice_api_requests"].samples if s.name == "sluice_api_requests_total"}
    assert requests[("StartFlow", "200")] == 1
    durations = [s for s in families["sluice_run_duration_seconds"].samples if s.name.endswith("_count")]
    assert [s.value for s in durations] == [1]


def test_failed_run_report_says_why(server: SluiceServer, queue: Any) -> None:
    # The source bucket goes away after CreateFlow checked it: the run itself fails.
    _, record = _run(server, lambda: shutil.rmtree(server.data_dir / "s3" / "reports-src"))
    assert record["executionStatus"] == "Error"
    detail = _messages(*queue)[0]["detail"]
    assert detail["status"] == "Execution Failed"
    assert detail["error"] == record["executionResult"]["errorInfo"]["executionMessage"]


def test_metrics_answer_loopback_clients_by_default(server: SluiceServer) -> None:
    # No SLUICE_METRICS on this server: loopback only, no token needed, and no SigV4 either.
    answer = httpx.get(f"{server.url}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert httpx.post(f"{server.url}/metrics").status_code == 405


def test_webhook_add_refuses_private_urls_unless_allowed(server: SluiceServer) -> None:
    import subprocess
    import sys

    env = {**server.env(), "SLUICE_ALLOW_PRIVATE_ENDPOINTS": "false"}
    refused = subprocess.run([sys.executable, "-m", "sluice.cli", "webhooks", "add", "https://127.0.0.1:9/hook"],
                             env=env, capture_output=True, text=True, check=False)
    assert refused.returncode == 1
    assert "loopback, private or link-local" in refused.stderr
    listed = server.cli("webhooks", "list")
    assert listed.stdout.count("http://127.0.0.1") == 1  # only the fixture's


def test_a_run_canceled_before_it_started_is_reported(tmp_path: Path, moto_endpoint: str, queue: Any) -> None:
    """A run no worker took (a server with no run workers) ends `Canceled` in CancelFlowExecutions:
    it is reported like a run that ended in a worker."""
    idle = SluiceServer(tmp_path / "idle", workers=0, extra_env={
        **MOTO_KEYS, "SLUICE_EVENTBRIDGE": "true", "AWS_ENDPOINT_URL_EVENTBRIDGE": moto_endpoint})
    for bucket in ("reports-src", "reports-dst"):
        (idle.data_dir / "s3" / bucket).mkdir(parents=True)
    (idle.data_dir / "s3" / "reports-src" / "in").mkdir()
    idle.start()
    try:
        client = idle.client()
        client.create_flow(**s3_flow("never-started", sourceFlowConfig=s3_source("reports-src", "in"),
                                     destinationFlowConfigList=[s3_destination("reports-dst", "out")]))
        execution_id = client.start_flow(flowName="never-started")["executionId"]
        assert client.cancel_flow_executions(flowName="never-started")["invalidExecutions"] == []
        detail = _report_of(queue, execution_id)["detail"]
        assert detail["status"] == "Execution Canceled"
    finally:
        idle.stop()
