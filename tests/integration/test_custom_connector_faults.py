"""A second SDK connector (a paginated JSON tickets API behind a fake) in local mode: auth failure at
profile creation, a handler that hangs (the call times out), one that crashes the worker, and
records the API refuses — each fails what it must and nothing more; the server keeps serving.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.fakes.json_api.server import FakeJsonApi
from tests.integration.builders import unique
from tests.integration.test_runs_s3 import wait
from tests.support.server import SluiceServer

CONNECTORS = Path(__file__).resolve().parents[1] / "fakes" / "connectors"
TICKETS = f"{CONNECTORS / 'json_api_connector.py'}:lambda_handler"
HANG = f"{CONNECTORS / 'broken.py'}:hang"
CRASH = f"{CONNECTORS / 'broken.py'}:crash"
API_KEY = "tickets-key"


@pytest.fixture(scope="module")
def api() -> Iterator[FakeJsonApi]:
    fake = FakeJsonApi(port=0, api_key=API_KEY, tickets=250).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def sluice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    data_dir = tmp_path_factory.mktemp("faults")
    server = SluiceServer(data_dir=data_dir, workers=1, extra_env={
        "SLUICE_S3_BACKEND": "local", "SLUICE_CONNECTOR_LINKS": str(data_dir / "links.json"),
        "SLUICE_CONNECTOR_TIMEOUT": "3",  # a hanging handler fails its call after 3 s, not 15 min
    }).start()
    try:
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()[-4000:]


def registered(sluice: SluiceServer, handler: str) -> str:
    label = unique("tickets")
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{label}"
    assert sluice.cli("connectors", "link", arn, handler).returncode == 0
    sluice.client().register_connector(connectorLabel=label, connectorProvisioningType="LAMBDA",
                                       connectorProvisioningConfig={"lambda": {"lambdaArn": arn}})
    return label


def tickets_profile(name: str, label: str, base_url: str, key: str = API_KEY) -> dict[str, Any]:
    return {
        "connectorProfileName": name, "connectorType": "CustomConnector", "connectorLabel": label,
        "connectionMode": "Public",
        "connectorProfileConfig": {
            "connectorProfileProperties": {"CustomConnector": {"profileProperties": {"baseUrl": base_url}}},
            "connectorProfileCredentials": {"CustomConnector": {"authenticationType": "APIKEY",
                                                                "apiKey": {"apiKey": key}}},
        },
    }


def read_flow(client: Any, sluice: SluiceServer, profile: str) -> tuple[str, str]:
    bucket, name = unique("b"), unique("read")
    (sluice.data_dir / "s3" / bucket).mkdir(parents=True)
    client.create_flow(
        flowName=name, triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "CustomConnector", "connectorProfileName": profile,
                          "sourceConnectorProperties": {"CustomConnector": {"entityName": "tickets"}}},
        destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
            "bucketName": bucket, "s3OutputFormatConfig": {"fileType": "PARQUET"}}}}],
        tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"CustomConnector": "NO_OP"}}],
    )
    return name, bucket


def published(sluice: SluiceServer, bucket: str, pattern: str = "*.parquet") -> list[Path]:
    return [f for f in (sluice.data_dir / "s3" / bucket).rglob(pattern) if ".sluice-staging" not in f.parts]


def test_pages_of_a_json_api_and_a_refused_key(sluice: SluiceServer, api: FakeJsonApi) -> None:
    client = sluice.client()
    label = registered(sluice, TICKETS)
    with pytest.raises(client.exceptions.ConnectorAuthenticationException):
        client.create_connector_profile(**tickets_profile(unique("t"), label, api.url, key="wrong"))
    profile = unique("t")
    client.create_connector_profile(**tickets_profile(profile, label, api.url))
    name, bucket = read_flow(client, sluice, profile)
    record = wait(client, name, client.start_flow(flowName=name)["executionId"], timeout=120)
    assert record["executionStatus"] == "Successful", record
    rows = [r for f in published(sluice, bucket) for r in pq.read_table(io.BytesIO(f.read_bytes())).to_pylist()]
    assert sorted(int(r["id"]) for r in rows) == list(range(1, 251))


def test_refused_records_land_in_the_error_bucket(sluice: SluiceServer, api: FakeJsonApi) -> None:
    client = sluice.client()
    label = registered(sluice, TICKETS)
    profile = unique("t")
    client.create_connector_profile(**tickets_profile(profile, label, api.url))
    source, errors, name = unique("in"), unique("err"), unique("write")
    (sluice.data_dir / "s3" / source / "in").mkdir(parents=True)
    (sluice.data_dir / "s3" / errors).mkdir(parents=True)
    tag = unique("s")
    rows = [{"subject": f"{tag}-{i}", "description": "d"} for i in range(3)] + [{"subject": "", "description": "x"}]
    out = io.BytesIO()
    pacsv.write_csv(pa.Table.from_pylist(rows), out)
    (sluice.data_dir / "s3" / source / "in" / "t.csv").write_bytes(out.getvalue())
    client.create_flow(
        flowName=name, triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {"S3": {
            "bucketName": source, "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
        destinationFlowConfigList=[{"connectorType": "CustomConnector", "connectorProfileName": profile,
                                    "destinationConnectorProperties": {"CustomConnector": {
                                        "entityName": "tickets", "writeOperationType": "INSERT",
                                        "errorHandlingConfig": {"bucketName": errors}}}}],
        tasks=[{"taskType": "Map", "sourceFields": [c], "destinationField": c, "connectorOperator": {"S3": "NO_OP"}}
               for c in rows[0]],
    )
    record = wait(client, name, client.start_flow(flowName=name)["executionId"], timeout=120)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 1
    failed = [json.loads(line) for f in published(sluice, errors, "*.jsonl") for line in f.read_text().splitlines()]
    assert len(failed) == 1 and failed[0].get("description") == "x"
    # The three valid records reached the connector's system, once each.
    with api.lock:
        created = sorted((t["subject"], t["description"]) for t in api.tickets if str(t["subject"]).startswith(tag))
    assert created == [(f"{tag}-{i}", "d") for i in range(3)]


@pytest.mark.parametrize(
    ("handler", "words"), [(HANG, ("did not answer within 3 s",)), (CRASH, ("exited with code 1",))]
)
def test_a_hanging_or_crashing_handler_fails_the_run_not_the_server(
    handler: str, words: tuple[str, ...], sluice: SluiceServer, api: FakeJsonApi
) -> None:
    client = sluice.client()
    label = registered(sluice, handler)
    profile = unique("t")
    client.create_connector_profile(**tickets_profile(profile, label, api.url))
    name, bucket = read_flow(client, sluice, profile)
    record = wait(client, name, client.start_flow(flowName=name)["executionId"], timeout=60)
    assert record["executionStatus"] == "Error", record
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert all(word in message for word in words), message
    assert published(sluice, bucket) == []
    # The server and the connector's next calls are fine: its worker was replaced.
    assert client.list_connector_entities(connectorProfileName=profile)["connectorEntityMap"]
