"""EventBridge as a destination, over HTTP with boto3: moto (server mode) holds the bus, a rule
and an SQS queue; one real `sluice serve` puts the events with the account's AWS identity.

* an Event flow Salesforce (fake org, CometD change events) -> EventBridge -> rule -> SQS;
* S3 -> EventBridge with every task type a per-record destination takes, row-exact through SQS;
* 100,000 rows S3 -> EventBridge (10,000 PutEvents calls), checked by a rule that matches a few
  records' contents;
* bad rows: entries over 256 KB refused into the error bucket (the run goes on, or stops with
  failOnFirstDestinationError), and a bus that does not exist ends the run Error.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest

from tests.fakes.salesforce.server import FakeSalesforce
from tests.integration.builders import unique
from tests.support.aws_destinations import MOTO_KEYS, as_text, every_task, expected, source_rows
from tests.support.flows import csv_bucket, error_records, new_bucket, s3_csv_source, start_and_wait, wait_for
from tests.support.salesforce import sluice_env, token_profile
from tests.support.server import SluiceServer

BIG = 100_000


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    from tests.support.server import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def salesforce() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(seed_counts={"Account": 20, "Contact": 0, "Opportunity": 0})
    fake.start()
    fake.org.cometd_timeout = 1.0
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, moto: str, salesforce: FakeSalesforce) -> Iterator[SluiceServer]:
    env = sluice_env(salesforce.url, SLUICE_S3_BACKEND="local", AWS_ENDPOINT_URL_EVENTBRIDGE=moto, **MOTO_KEYS)
    sluice = SluiceServer(data_dir=tmp_path_factory.mktemp("eb"), workers=1, extra_env=env).start()
    yield sluice
    sluice.stop()
    assert "Traceback" not in sluice.log(), sluice.log()[-4000:]


def _aws(moto: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=moto, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _bus_to_queue(moto: str, pattern: dict[str, Any]) -> tuple[str, str]:
    """A new event bus whose one rule sends `pattern`'s events to a new queue; (bus, queue url)."""
    events, sqs = _aws(moto, "events"), _aws(moto, "sqs")
    bus = unique("appflow-bus")
    events.create_event_bus(Name=bus)
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="to-queue", EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="to-queue", EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
    return bus, url


def _drain(moto: str, url: str, want: int, timeout: float = 60) -> list[dict[str, Any]]:
    """Every event in the queue once `want` have arrived (and a last empty poll found no more)."""
    sqs, events = _aws(moto, "sqs"), []
    deadline = time.time() + timeout
    while time.time() < deadline:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                     WaitTimeSeconds=0 if len(events) < want else 1)
        messages = answer.get("Messages") or []
        events += [json.loads(m["Body"]) for m in messages]
        if messages:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        elif len(events) >= want:
            return events
    raise AssertionError(f"{len(events)} of {want} events arrived")


def _flow(name: str, source: dict[str, Any], bus: str, tasks: list[dict[str, Any]],
          **errors: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"object": bus}
    if errors:
        props["errorHandlingConfig"] = errors
    return {"flowName": name, "triggerConfig": {"triggerType": "OnDemand"}, "sourceFlowConfig": source,
            "destinationFlowConfigList": [{"connectorType": "EventBridge",
                                           "destinationConnectorProperties": {"EventBridge": props}}],
            "tasks": tasks}


def _map_all(connector: str = "S3") -> list[dict[str, Any]]:
    return [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {connector: "NO_OP"},
             "taskProperties": {}}]


def test_salesforce_change_events_reach_sqs_through_an_eventbridge_rule(
        server: SluiceServer, moto: str, salesforce: FakeSalesforce) -> None:
    client, profile, name = server.client(), unique("sf"), unique("sf-to-eb")
    bus, url = _bus_to_queue(moto, {"source": [{"prefix": "appflow-bus"}], "detail-type": [name]})
    client.create_connector_profile(**token_profile(profile, salesforce))
    request = _flow(name, {"connectorType": "Salesforce", "connectorProfileName": profile,
                           "sourceConnectorProperties": {"Salesforce": {"object": "Account"}}},
                    bus, _map_all("Salesforce"))
    request["triggerConfig"] = {"triggerType": "Event"}
    client.create_flow(**request)
    client.start_flow(flowName=name)
    wait_for(lambda: httpx_health(server)["events"]["ready"] >= 1, 30)
    ids = [r[0] for r in salesforce.org.query("SELECT Id FROM Account ORDER BY Id LIMIT 3").rows]
    for index, record_id in enumerate(ids):
        salesforce.org.write("Account", "update", [{"Id": record_id, "Name": f"changed-{index}"}])
    events = _drain(moto, url, 3)
    client.stop_flow(flowName=name)
    assert sorted(e["detail"]["Name"] for e in events) == ["changed-0", "changed-1", "changed-2"]
    assert {e["source"] for e in events} == {bus} and {e["detail-type"] for e in events} == {name}
    assert sorted(e["detail"]["Id"] for e in events) == sorted(ids)


def httpx_health(server: SluiceServer) -> dict[str, Any]:
    return dict(httpx.get(f"{server.url}/health", timeout=5).json())


def test_every_task_type_row_exact_through_sqs(server: SluiceServer, moto: str) -> None:
    client, name = server.client(), unique("s3-to-eb")
    rows = source_rows(300)
    bus, url = _bus_to_queue(moto, {"detail-type": [name]})
    client.create_flow(**_flow(name, s3_csv_source(csv_bucket(server, rows)), bus, every_task()))
    record = start_and_wait(client, name)
    assert record["executionStatus"] == "Successful", record
    want = expected(rows)
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 0
    events = _drain(moto, url, len(want))
    assert sorted((as_text(e["detail"]) for e in events), key=lambda r: int(r["id"])) == want


def test_a_hundred_thousand_rows_in_ten_thousand_calls(server: SluiceServer, moto: str) -> None:
    client, name = server.client(), unique("s3-to-eb-big")
    rows = source_rows(BIG)
    picked = [7, 31_337, 99_999]
    bus, url = _bus_to_queue(moto, {"detail-type": [name], "detail": {"email": [rows[i]["email"] for i in picked]}})
    client.create_flow(**_flow(name, s3_csv_source(csv_bucket(server, rows)), bus, _map_all()))
    began = time.monotonic()
    record = start_and_wait(client, name, timeout=600)
    print(f"\n{BIG} rows S3 -> EventBridge (moto): {time.monotonic() - began:.1f} s")  # reported, not asserted
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["recordsProcessed"] == BIG
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 0
    events = _drain(moto, url, len(picked))
    assert sorted((as_text(e["detail"]) for e in events), key=lambda r: int(r["id"])) == [
        {k: str(v) for k, v in rows[i].items()} | {"note": rows[i]["note"] or ""} for i in picked]


def _oversize_rows() -> list[dict[str, Any]]:
    rows = source_rows(40)
    for index in (5, 17):
        rows[index]["note"] = "ü" * 140_000  # 280,000 UTF-8 bytes: over PutEvents' 256 KB per entry
    return rows


def test_oversize_records_go_to_the_error_bucket(server: SluiceServer, moto: str) -> None:
    client, name = server.client(), unique("eb-bad")
    bus, url = _bus_to_queue(moto, {"detail-type": [name]})
    errors = new_bucket(server, "errors")
    client.create_flow(**_flow(name, s3_csv_source(csv_bucket(server, _oversize_rows())), bus, _map_all(),
                               bucketName=errors, bucketPrefix="rejects"))
    record = start_and_wait(client, name)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 2
    refused = error_records(server, errors)
    assert sorted(int(r["id"]) for r in refused) == [5, 17]
    assert {r["errorCode"] for r in refused} == {"EntryTooLarge"}
    assert sorted(int(e["detail"]["id"]) for e in _drain(moto, url, 38)) == [i for i in range(40) if i not in (5, 17)]


def test_fail_fast_stops_at_the_first_refusal(server: SluiceServer, moto: str) -> None:
    client, name = server.client(), unique("eb-fast")
    bus, _ = _bus_to_queue(moto, {"detail-type": [name]})
    errors = new_bucket(server, "errors")
    client.create_flow(**_flow(name, s3_csv_source(csv_bucket(server, _oversize_rows())), bus, _map_all(),
                               bucketName=errors, failOnFirstDestinationError=True))
    record = start_and_wait(client, name)
    assert record["executionStatus"] == "Error", record
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "failOnFirstDestinationError" in message and "cannot be recalled" in message, message
    assert [int(r["id"]) for r in error_records(server, errors)] == [5]


def test_a_missing_bus_ends_the_run_in_error(server: SluiceServer) -> None:
    client, name = server.client(), unique("eb-nobus")
    client.create_flow(**_flow(name, s3_csv_source(csv_bucket(server, source_rows(5))), "no-such-bus", _map_all()))
    record = start_and_wait(client, name)
    assert record["executionStatus"] == "Error", record
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "EventBridge" in message and "no-such-bus" in message and "No record was written" in message, message
