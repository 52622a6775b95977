"""Records/s through a custom connector source, and what the connector protocol costs per page.

The connector is `bench/connectors/synthetic.py` (AWS's SDK, N generated records, 1,000 per
QueryData page). Three measurements in one run:

* end to end: an OnDemand flow custom connector -> S3 Parquet (embedded backend), timed from
  StartFlow to Successful, in local mode (`sluice connectors link`) and behind the fake Lambda
  Invoke endpoint (tests/fakes/lambda_endpoint) reached through boto3;
* per page: a handler that answers with a ready 1,000-record QueryData page (`fixed_page.py`,
  ~100 KB of JSON), called in-process (the peer: no protocol at all) versus through
  `LocalInvoker` (a warm worker process) and `LambdaInvoker` (the fake endpoint): with the
  handler's own work near zero, the difference is what the connector protocol costs per page.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.lambda_endpoint.server import FakeLambda  # noqa: E402
from tests.support.server import SluiceServer  # noqa: E402

from bench.common import parquet_destination, timed_run  # noqa: E402

HANDLER = f"{ROOT / 'bench' / 'connectors' / 'synthetic.py'}:lambda_handler"
FIXED = f"{ROOT / 'bench' / 'connectors' / 'fixed_page.py'}:lambda_handler"
RECORDS = int(os.environ.get("BENCH_CUSTOM_RECORDS", "100000"))
PAGES = 200
CONTEXT = {"connectorRuntimeSettings": {}, "apiVersion": "v1",
           "credentials": {"secretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x",
                           "authenticationType": "ApiKey"}}
EVENT = {"type": "QueryDataRequest", "entityIdentifier": "events", "maxResults": 1000, "connectorContext": CONTEXT}


def per_page_ms(invoke: Any) -> float:
    """Median milliseconds per QueryData page of 1,000 records."""
    invoke(EVENT)  # warm up (worker start, imports, connection)
    times = []
    for _ in range(PAGES):
        started = time.perf_counter()
        invoke(EVENT)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run_flow(server: SluiceServer, arn: str, mode: str) -> float:
    """Seconds from StartFlow to Successful for an N-record read into S3."""
    client = server.client()
    label = f"synthetic-{mode}"
    client.register_connector(connectorLabel=label, connectorProvisioningType="LAMBDA",
                              connectorProvisioningConfig={"lambda": {"lambdaArn": arn}})
    client.create_connector_profile(
        connectorProfileName=label, connectorType="CustomConnector", connectorLabel=label, connectionMode="Public",
        connectorProfileConfig={"connectorProfileProperties": {"CustomConnector": {"profileProperties": {}}},
                                "connectorProfileCredentials": {"CustomConnector": {
                                    "authenticationType": "APIKEY", "apiKey": {"apiKey": "bench"}}}})
    (server.data_dir / "s3" / "bench-out").mkdir(parents=True, exist_ok=True)
    client.create_flow(
        flowName=label, triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "CustomConnector", "connectorProfileName": label,
                          "sourceConnectorProperties": {"CustomConnector": {"entityName": "events"}}},
        destinationFlowConfigList=parquet_destination("bench-out", mode),
        tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"CustomConnector": "NO_OP"}}],
    )
    seconds, record = timed_run(client, label)
    if record["executionResult"]["recordsProcessed"] != RECORDS:
        raise RuntimeError(f"the bench run failed: {record}")
    return seconds


def main() -> str:
    """Run everything; return the Markdown table."""
    os.environ["BENCH_RECORDS"] = str(RECORDS)
    sys.path.insert(0, str(ROOT / "bench" / "connectors"))
    from fixed_page import lambda_handler  # the peer: the handler called in-process

    from sluice.connectors.custom_connector.invoke import LambdaInvoker, LocalInvoker

    lambdas = FakeLambda(port=0).start()
    try:
        env = {"BENCH_RECORDS": str(RECORDS)}
        lambda_arn = lambdas.add_function("synthetic", HANDLER, env=env, timeout=60)
        fixed_arn = lambdas.add_function("fixed", FIXED, timeout=60)
        direct = per_page_ms(lambda event: lambda_handler(event, None))
        local = LocalInvoker(FIXED)
        try:
            local_ms = per_page_ms(local.invoke)
        finally:
            local.close()
        os.environ["AWS_ENDPOINT_URL_LAMBDA"] = lambdas.url
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        remote_ms = per_page_ms(LambdaInvoker(fixed_arn).invoke)
        with tempfile.TemporaryDirectory() as folder:
            data_dir = Path(folder) / "sluice"
            local_arn = "arn:aws:lambda:us-east-1:123456789012:function:synthetic-local"
            server = SluiceServer(data_dir=data_dir, workers=1, extra_env={
                "SLUICE_S3_BACKEND": "local", "AWS_ENDPOINT_URL_LAMBDA": lambdas.url, "BENCH_RECORDS": str(RECORDS),
                "SLUICE_CONNECTOR_LINKS": str(Path(folder) / "links.json"),
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}).start()
            try:
                assert server.cli("connectors", "link", local_arn, HANDLER).returncode == 0
                local_seconds = run_flow(server, local_arn, "local")
                lambda_seconds = run_flow(server, lambda_arn, "lambda")
            finally:
                server.stop()
    finally:
        lambdas.stop()
    lines = [
        "| Path | Records/s end to end (synthetic connector) | ms per ready 1,000-record page | "
        "Protocol cost per page |",
        "|---|---:|---:|---:|",
        f"| handler called in-process (peer) | n/a | {direct:.2f} | n/a |",
        f"| local mode (worker process) | {RECORDS / local_seconds:,.0f} | {local_ms:.2f} | "
        f"{local_ms - direct:.2f} ms |",
        f"| fake Lambda Invoke endpoint (boto3) | {RECORDS / lambda_seconds:,.0f} | {remote_ms:.2f} | "
        f"{remote_ms - direct:.2f} ms |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
