"""Bad input gets a 4xx or a clean `Error` run, never a 500 (hardening items 12, 19, 23).

Each case drives the real server: hand-signed requests for bodies botocore would not send
(JSON nested 1,000 deep, lone UTF-16 surrogates), boto3 for the rest, and objects written
straight into the embedded S3 store (`<data dir>/s3/<bucket>/...`) for what CreateFlow and
the runs read. Also: the data dir and database files are owner-only, a full disk is a 503,
and an active Scheduled flow is not deleted without `forceDelete`.
"""

from __future__ import annotations

import json
import resource
import stat
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.integration.builders import (
    map_all_task,
    raises,
    s3_destination,
    s3_flow,
    s3_source,
    scheduled,
    unique,
)
from tests.security.conftest import Tenant, default_account
from tests.support.server import SluiceServer


def signed_post(tenant: Tenant, path: str, body: bytes) -> httpx.Response:
    """POST `body` as is (no client-side validation or encoding), signed by `tenant`."""
    url = tenant.server.url + path
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(tenant.access_key, tenant.secret_key), "appflow", "us-east-1").add_auth(request)
    return httpx.post(url, content=body, headers=dict(request.headers.items()), timeout=30)


def assert_aws_error(response: httpx.Response, status: int, code: str, *words: str) -> str:
    """AWS's JSON error form with this status and code, its message containing `words`."""
    assert response.status_code == status, response.text
    assert response.headers.get("x-amzn-ErrorType") == code, response.text
    message = response.json()["message"]
    for word in words:
        assert word in message, (word, message)
    return str(message)


def put_object(server: SluiceServer, bucket: str, key: str, body: bytes) -> None:
    """Write an object into the server's embedded S3 store."""
    path = server.data_dir / "s3" / bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def run_flow(tenant: Tenant, name: str, timeout: float = 60) -> dict[str, Any]:
    """StartFlow and wait for the run to finish; its execution record."""
    client = tenant.client()
    execution_id = client.start_flow(flowName=name)["executionId"]
    deadline = time.time() + timeout
    while time.time() < deadline:
        for record in client.describe_flow_execution_records(flowName=name)["flowExecutions"]:
            if record["executionId"] == execution_id and record["executionStatus"] not in ("InProgress",
                                                                                          "CancelStarted"):
                return dict(record)
        time.sleep(0.1)
    raise AssertionError(f"run of {name} did not finish")


def map_task(field: str) -> dict[str, Any]:
    return {"sourceFields": [field], "taskType": "Map", "destinationField": field,
            "connectorOperator": {"S3": "NO_OP"}, "taskProperties": {}}


@pytest.fixture(scope="module")
def buckets(secured_server: SluiceServer) -> str:
    """The destination bucket every flow here writes to."""
    (secured_server.data_dir / "s3" / "bad-input-out").mkdir(parents=True, exist_ok=True)
    put_object(secured_server, "bad-input-in", "plain/a.csv", b"id,name\n1,a\n2,b\n")
    return "bad-input-out"


# ---------------------------------------------------------------------------------------------
# 12. file modes


def test_data_dir_is_0700_and_database_files_0600(
    start_server: Callable[..., SluiceServer], tmp_path: Path
) -> None:
    fresh = tmp_path / "fresh" / "data"
    server = start_server(workers=0, SLUICE_DATA_DIR=str(fresh))
    tenant = default_account(server)
    tenant.client().create_flow(**s3_flow(unique("modes")))  # a write: the WAL exists now
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    files = [fresh / name for name in ("sluice.db", "sluice.db-wal", "sluice.db-shm")]
    assert all(path.exists() for path in files), sorted(p.name for p in fresh.iterdir())
    for path in [*files, fresh / "master.key"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path.name, oct(path.stat().st_mode))


# ---------------------------------------------------------------------------------------------
# 19. request bodies


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deeply_nested_json_is_a_400(tenant_a: Tenant, depth: int) -> None:
    nested = b"[" * depth + b"]" * depth
    for path, body in (
        ("/create-flow", b'{"flowName":' + nested + b"}"),
        ("/describe-flow", b'{"flowName":"x","unknown":' + nested + b"}"),
        ("/list-flows", b'{"x":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"),
    ):
        assert_aws_error(signed_post(tenant_a, path, body), 400, "SerializationException", "deeper than")


SURROGATE_CASES = [
    ("/create-flow", lambda flow: flow.update(flowName="bad\ud800name")),
    ("/create-flow", lambda flow: flow.update(description="lone \udfff")),
    ("/create-flow", lambda flow: flow.update(tags={"k\udc00": "v"})),
    ("/create-flow", lambda flow: flow.update(tags={"k": "v\ud83d"})),
    ("/create-flow", lambda flow: flow["tasks"][0]["sourceFields"].append("\ud800")),
    ("/create-flow", lambda flow: flow["sourceFlowConfig"]["sourceConnectorProperties"]["S3"].update(
        bucketPrefix="in/\udbff")),
    ("/describe-flow", lambda flow: flow.update(flowName="\ud800")),
]


@pytest.mark.parametrize(("path", "change"), SURROGATE_CASES)
def test_lone_surrogates_anywhere_are_a_400(tenant_a: Tenant, path: str, change: Callable[[dict[str, Any]], None]
                                           ) -> None:
    body = s3_flow(unique("surrogate"))
    change(body)
    if path == "/describe-flow":
        body = {"flowName": body["flowName"]}
    wire = json.dumps(body, ensure_ascii=True).encode()  # "\ud800" escapes: valid JSON, not text
    assert_aws_error(signed_post(tenant_a, path, wire), 400, "SerializationException", "surrogate")


def test_paired_surrogates_are_text(tenant_a: Tenant) -> None:
    body = s3_flow(unique("emoji"), description="ok \U0001f600")
    wire = json.dumps(body, ensure_ascii=True).encode()  # "\ud83d\ude00": one character
    assert_aws_error(signed_post(tenant_a, "/create-flow", wire), 400, "ValidationException", "description")


def test_a_huge_integer_is_a_400_not_an_overflow(tenant_a: Tenant, buckets: str) -> None:
    flow = s3_flow(unique("huge"), sourceFlowConfig=s3_source("bad-input-in", "plain"),
                   destinationFlowConfigList=[s3_destination(buckets)])
    flow["destinationFlowConfigList"][0]["destinationConnectorProperties"]["S3"]["s3OutputFormatConfig"] = {
        "aggregationConfig": {"targetFileSize": 10**30}}
    assert_aws_error(signed_post(tenant_a, "/create-flow", json.dumps(flow).encode()), 400,
                     "ValidationException", "targetFileSize", "9223372036854775807")


# ---------------------------------------------------------------------------------------------
# 19. what CreateFlow reads from the source


def test_cr_only_csv_is_read_at_create_flow_and_run(tenant_a: Tenant, secured_server: SluiceServer,
                                                    buckets: str) -> None:
    put_object(secured_server, "bad-input-in", "cr/a.csv", b"id,name\r1,a\r2,b\r3,c\r")
    name = unique("cr-csv")
    tenant_a.client().create_flow(**s3_flow(
        name, sourceFlowConfig=s3_source("bad-input-in", "cr"), destinationFlowConfigList=[s3_destination(buckets)],
        tasks=[map_task("id"), map_task("name")]))
    record = run_flow(tenant_a, name)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["recordsProcessed"] == 3, record


def test_cr_only_csv_with_an_unknown_field_is_a_400(tenant_a: Tenant, secured_server: SluiceServer) -> None:
    put_object(secured_server, "bad-input-in", "cr2/a.csv", b"id,name\r1,a\r")
    client = tenant_a.client()
    with raises(client, "ValidationException", 400, "nope", "id, name"):
        client.create_flow(**s3_flow(unique("cr-csv"), sourceFlowConfig=s3_source("bad-input-in", "cr2"),
                                     tasks=[map_task("nope")]))


def test_deeply_nested_json_lines_never_500(tenant_a: Tenant, secured_server: SluiceServer, buckets: str) -> None:
    deep = b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}\n"
    put_object(secured_server, "bad-input-in", "deep/a.jsonl", deep + b'{"a":1}\n')
    client = tenant_a.client()
    with raises(client, "ValidationException", 400, "nests too deeply"):
        client.describe_connector_entity(connectorEntityName="bad-input-in/deep", connectorType="S3")
    name = unique("deep-jsonl")
    # The fields cannot be read, so they are not checked; the flow is created and its run ends cleanly.
    client.create_flow(**s3_flow(name, sourceFlowConfig=s3_source("bad-input-in", "deep"),
                                 destinationFlowConfigList=[s3_destination(buckets)]))
    record = run_flow(tenant_a, name)
    message = record["executionResult"].get("errorInfo", {}).get("executionMessage", "")
    assert record["executionStatus"] in ("Successful", "Error"), record
    assert "internal error" not in message, record


# ---------------------------------------------------------------------------------------------
# 19. schedules


def test_an_enormous_rate_is_refused_at_create_flow(tenant_a: Tenant) -> None:
    client = tenant_a.client()
    with raises(client, "ValidationException", 400, "36500 days"):
        client.create_flow(**s3_flow(unique("rate"), triggerConfig=scheduled("rate(1000000000000 days)")))


def test_a_past_schedule_end_is_refused_at_create_flow(tenant_a: Tenant) -> None:
    client = tenant_a.client()
    trigger = scheduled("rate(1hours)")
    trigger["triggerProperties"]["Scheduled"]["scheduleEndTime"] = datetime.now(UTC) - timedelta(days=1)
    with raises(client, "ValidationException", 400, "scheduleEndTime", "future"):
        client.create_flow(**s3_flow(unique("ended"), triggerConfig=trigger))


# ---------------------------------------------------------------------------------------------
# 19. S3 paths


@pytest.mark.parametrize("role", ["source", "destination"])
def test_nul_in_a_prefix_is_refused_at_create_flow(tenant_a: Tenant, role: str) -> None:
    client = tenant_a.client()
    flow = s3_flow(unique("nul"))
    if role == "source":
        flow["sourceFlowConfig"] = s3_source("bad-input-in", "in\x00x")
    else:
        flow["destinationFlowConfigList"] = [s3_destination("bad-input-out", "out\x00x")]
    with raises(client, "ValidationException", 400, role, "bucketPrefix", "NUL"):
        client.create_flow(**flow)


def test_a_flow_name_too_long_for_the_file_system_is_refused(tenant_a: Tenant, buckets: str) -> None:
    client = tenant_a.client()
    with raises(client, "ValidationException", 400, "256 bytes", "255"):
        client.create_flow(**s3_flow("f" * 256, destinationFlowConfigList=[s3_destination(buckets)]))
    name = "g" * 255  # the longest name a folder can have: created, and its run writes
    client.create_flow(**s3_flow(name, sourceFlowConfig=s3_source("bad-input-in", "plain"),
                                 destinationFlowConfigList=[s3_destination(buckets, "long")]))
    assert run_flow(tenant_a, name)["executionStatus"] == "Successful"


def test_a_partition_key_starting_with_a_dot_runs(tenant_a: Tenant, secured_server: SluiceServer,
                                                 buckets: str) -> None:
    put_object(secured_server, "bad-input-in", "dot/a.csv", b"id,.name\n1,a\n2,b\n")
    name = unique("dot-key")
    tasks = [map_all_task(), {"sourceFields": [".name"], "taskType": "Partition", "connectorOperator": {"S3": "NO_OP"},
                              "taskProperties": {"ORDERED_PARTITION_KEYS_LIST": '[".name"]'}}]
    tenant_a.client().create_flow(**s3_flow(name, sourceFlowConfig=s3_source("bad-input-in", "dot"),
                                            destinationFlowConfigList=[s3_destination(buckets, "dot")], tasks=tasks))
    record = run_flow(tenant_a, name)
    assert record["executionStatus"] == "Successful", record
    folders = {p.name for p in (secured_server.data_dir / "s3" / buckets / "dot" / name).rglob("*") if p.is_dir()}
    assert {".name=a", ".name=b"} <= folders, folders


# ---------------------------------------------------------------------------------------------
# 19. a full disk


@pytest.fixture
def file_size_limited(
    start_server: Callable[..., SluiceServer],
) -> Iterator[tuple[Tenant, Callable[[], None]]]:
    """A server whose process may not write past byte 1 of any file while the test runs.

    RLIMIT_FSIZE is what a full disk looks like to SQLite short of filling one: every write
    fails (EFBIG; Python ignores SIGXFSZ). Only the soft limit is lowered, so it can be raised back.
    """
    server = start_server(workers=0)
    tenant = default_account(server)
    tenant.client().list_flows()  # the keys are cached and the pool warm before the limit
    assert server.proc is not None
    pid = server.proc.pid
    soft, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)

    def restore() -> None:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (soft, hard))

    resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, hard))
    try:
        yield tenant, restore
    finally:
        restore()


def test_a_full_disk_is_a_503_and_the_server_recovers(
    file_size_limited: tuple[Tenant, Callable[[], None]],
) -> None:
    tenant, restore = file_size_limited
    name = unique("full")
    response = signed_post(tenant, "/create-flow", json.dumps(s3_flow(name)).encode())
    assert_aws_error(response, 503, "ServiceUnavailableException", "storage")
    assert response.json()["__type"] == "ServiceUnavailableException"
    restore()
    # Space is back: the same request succeeds, and the refused one left nothing behind.
    assert signed_post(tenant, "/create-flow", json.dumps(s3_flow(name)).encode()).status_code == 200


# ---------------------------------------------------------------------------------------------
# 23. DeleteFlow of an active flow


def test_deleting_an_active_scheduled_flow_needs_force_delete(tenant_a: Tenant) -> None:
    client = tenant_a.client()
    for finish in ("stop", "force"):
        name = unique("active")
        client.create_flow(**s3_flow(name, triggerConfig=scheduled("rate(1hours)")))
        client.start_flow(flowName=name)
        with raises(client, "ConflictException", 409,
                    "Flow is in active state, please set forceDelete to true or deactivate the flow"):
            client.delete_flow(flowName=name)
        assert client.describe_flow(flowName=name)["flowStatus"] == "Active"
        if finish == "stop":
            client.stop_flow(flowName=name)
            client.delete_flow(flowName=name)
        else:
            client.delete_flow(flowName=name, forceDelete=True)
        with raises(client, "ResourceNotFoundException", 404):
            client.describe_flow(flowName=name)


def test_a_draft_scheduled_flow_deletes_without_force(tenant_a: Tenant) -> None:
    client = tenant_a.client()
    name = unique("draft")
    client.create_flow(**s3_flow(name, triggerConfig=scheduled("rate(1hours)")))
    client.delete_flow(flowName=name)
