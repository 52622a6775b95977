"""Runs that move data: S3 -> S3 through StartFlow, on the embedded local backend and on moto.

Each test generates input, runs the flow through the real server, reads the output back with
pyarrow and compares it with an independently computed expected result.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.integration.builders import unique
from tests.support.flows import wait_for_run
from tests.support.server import SluiceServer

MOTO_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


class Buckets:
    """Put and list objects on whichever backend the server uses."""

    def __init__(self, data_dir: Path | None, s3: Any | None) -> None:
        self.data_dir, self.s3 = data_dir, s3

    def create(self, bucket: str) -> None:
        if self.s3 is not None:
            self.s3.create_bucket(Bucket=bucket)
        else:
            (self.data_dir / "s3" / bucket).mkdir(parents=True, exist_ok=True)  # type: ignore[operator]

    def put(self, bucket: str, key: str, body: bytes) -> None:
        if self.s3 is not None:
            self.s3.put_object(Bucket=bucket, Key=key, Body=body)
        else:
            path = self.data_dir / "s3" / bucket / key  # type: ignore[operator]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)

    def keys(self, bucket: str) -> list[str]:
        if self.s3 is not None:
            pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            return sorted(o["Key"] for page in pages for o in page.get("Contents", []))
        root = self.data_dir / "s3" / bucket  # type: ignore[operator]
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    def get(self, bucket: str, key: str) -> bytes:
        if self.s3 is not None:
            return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return (self.data_dir / "s3" / bucket / key).read_bytes()  # type: ignore[operator]


@pytest.fixture(scope="module", params=["local", "moto"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SluiceServer, Buckets]]:
    """A server with one run worker, on the local-directory backend or on moto's S3."""
    data_dir = tmp_path_factory.mktemp(f"runs-{request.param}")
    if request.param == "local":
        server = SluiceServer(data_dir=data_dir, workers=1, extra_env={"SLUICE_S3_BACKEND": "local"})
        buckets = Buckets(data_dir, None)
    else:
        moto = request.getfixturevalue("moto_s3")
        server = SluiceServer(data_dir=data_dir, workers=1,
                              extra_env={"SLUICE_S3_BACKEND": "aws", "AWS_ENDPOINT_URL_S3": moto, **MOTO_KEYS})
        s3 = boto3.client("s3", endpoint_url=moto, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        buckets = Buckets(None, s3)
    server.start()
    try:
        yield server, buckets
    finally:
        server.stop()


def csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    out = io.BytesIO()
    pacsv.write_csv(pa.Table.from_pylist(rows), out)
    return out.getvalue()


# Other test modules import `wait` from here.
wait = wait_for_run


def s3_flow(name: str, src: str, dst: str, tasks: list[dict[str, Any]], file_type: str = "PARQUET",
            **output: Any) -> dict[str, Any]:
    return {
        "flowName": name,
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": "S3", "sourceConnectorProperties": {
            "S3": {"bucketName": src, "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
        "destinationFlowConfigList": [{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
            "bucketName": dst, "bucketPrefix": "out",
            "s3OutputFormatConfig": {"fileType": file_type, **output}}}}],
        "tasks": tasks,
    }


ROWS = [
    {"id": str(i), "name": f"n{i}", "email": f"user{i}@example.com", "amount": str(i * 10), "qty": str(i % 4)}
    for i in range(1, 41)
]
MAP_ALL = [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"}, "taskProperties": {}}]


def read_output(buckets: Buckets, bucket: str, file_type: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key in buckets.keys(bucket):
        body = buckets.get(bucket, key)
        if file_type == "PARQUET":
            rows += pq.read_table(io.BytesIO(body)).to_pylist()
        elif file_type == "CSV":
            rows += pacsv.read_csv(io.BytesIO(body), convert_options=pacsv.ConvertOptions(
                column_types={k: pa.string() for k in ROWS[0]}, strings_can_be_null=True)).to_pylist()
        else:
            rows += [json.loads(line) for line in body.decode().splitlines() if line]
    return rows


@pytest.mark.parametrize("file_type", ["PARQUET", "CSV", "JSON"])
def test_copy_every_record_in_each_format(backend, file_type):
    server, buckets = backend
    client = server.client()
    src, dst, name = unique("src"), unique("dst"), unique("copy")
    buckets.create(src)
    buckets.create(dst)
    buckets.put(src, "in/a.csv", csv_bytes(ROWS[:25]))
    buckets.put(src, "in/b.csv", csv_bytes(ROWS[25:]))
    client.create_flow(**s3_flow(name, src, dst, MAP_ALL, file_type))
    execution_id = client.start_flow(flowName=name)["executionId"]
    record = wait(client, name, execution_id)
    assert record["executionStatus"] == "Successful", record
    result = record["executionResult"]
    assert result["recordsProcessed"] == len(ROWS)
    assert result["bytesProcessed"] > 0 and result["bytesWritten"] > 0
    assert record["dataPullStartTime"] <= record["dataPullEndTime"]
    out = read_output(buckets, dst, file_type)
    assert sorted(out, key=lambda r: int(r["id"])) == ROWS
    assert all(key.startswith(f"out/{name}/{execution_id}/") for key in buckets.keys(dst))
    last = client.describe_flow(flowName=name)["lastRunExecutionDetails"]
    assert last["mostRecentExecutionStatus"] == "Successful"


def test_filter_mask_arithmetic_truncate(backend):
    server, buckets = backend
    client = server.client()
    src, dst, name = unique("src"), unique("dst"), unique("tasks")
    buckets.create(src)
    buckets.create(dst)
    buckets.put(src, "in/a.csv", csv_bytes(ROWS))
    tasks = [
        {"taskType": "Filter", "sourceFields": ["id", "name", "email", "amount", "qty"],
         "connectorOperator": {"S3": "PROJECTION"}},
        {"taskType": "Filter", "sourceFields": ["amount"], "connectorOperator": {"S3": "GREATER_THAN"},
         "taskProperties": {"VALUE": "200", "DATA_TYPE": "double"}},
        {"taskType": "Map", "sourceFields": ["id"], "connectorOperator": {"S3": "NO_OP"}, "destinationField": "id"},
        {"taskType": "Arithmetic", "sourceFields": ["amount", "qty"], "connectorOperator": {"S3": "MULTIPLICATION"},
         "destinationField": "total", "taskProperties": {"MATH_OPERATION_FIELDS_ORDER": "amount,qty"}},
        {"taskType": "Mask", "sourceFields": ["email"], "connectorOperator": {"S3": "MASK_ALL"},
         "destinationField": "email", "taskProperties": {"MASK_VALUE": "*"}},
        {"taskType": "Truncate", "sourceFields": ["name"], "connectorOperator": {"S3": "NO_OP"},
         "destinationField": "name", "taskProperties": {"TRUNCATE_LENGTH": "2"}},
    ]
    client.create_flow(**s3_flow(name, src, dst, tasks, "JSON"))
    record = wait(client, name, client.start_flow(flowName=name)["executionId"])
    assert record["executionStatus"] == "Successful", record
    expected = [
        {"id": r["id"], "total": float(r["amount"]) * float(r["qty"]), "email": "*" * len(r["email"]),
         "name": r["name"][:2]}
        for r in ROWS if float(r["amount"]) > 200
    ]
    out = read_output(buckets, dst, "JSON")
    key = lambda r: int(r["id"])  # noqa: E731
    assert [{k: r[k] for k in ("id", "email", "name")} for r in sorted(out, key=key)] == [
        {k: r[k] for k in ("id", "email", "name")} for r in expected]
    assert [float(r["total"]) for r in sorted(out, key=key)] == [r["total"] for r in expected]


def test_corrupt_csv_fails_cleanly(backend):
    server, buckets = backend
    client = server.client()
    src, dst, name = unique("src"), unique("dst"), unique("corrupt")
    buckets.create(src)
    buckets.create(dst)
    buckets.put(src, "in/a.csv", csv_bytes(ROWS))
    buckets.put(src, "in/b.csv", b"id,name,email,amount,qty\n1,2,3\n")
    client.create_flow(**s3_flow(name, src, dst, MAP_ALL))
    record = wait(client, name, client.start_flow(flowName=name)["executionId"])
    assert record["executionStatus"] == "Error"
    assert "b.csv" in record["executionResult"]["errorInfo"]["executionMessage"]
    assert buckets.keys(dst) == []


def test_missing_bucket_fails_cleanly(backend):
    server, buckets = backend
    client = server.client()
    dst, name = unique("dst"), unique("nobucket")
    buckets.create(dst)
    client.create_flow(**s3_flow(name, unique("absent"), dst, MAP_ALL))
    record = wait(client, name, client.start_flow(flowName=name)["executionId"])
    assert record["executionStatus"] == "Error"
    assert "absent" in record["executionResult"]["errorInfo"]["executionMessage"]
    assert buckets.keys(dst) == []


def test_unreachable_store_fails_fast_and_says_where(tmp_path):
    """An S3 endpoint nobody listens on: the run ends Error naming the endpoint, within seconds."""
    server = SluiceServer(data_dir=tmp_path / "data", workers=1, extra_env={
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9",
        "AWS_ACCESS_KEY_ID": "AKIDUNREACHABLE",
        "AWS_SECRET_ACCESS_KEY": "secret-zz9-never-shown",
    })
    server.start()
    try:
        client = server.client()
        name = unique("unreachable")
        client.create_flow(**s3_flow(name, unique("src"), unique("dst"), MAP_ALL))
        record = wait(client, name, client.start_flow(flowName=name)["executionId"], timeout=60)
        assert record["executionStatus"] == "Error"
        message = record["executionResult"]["errorInfo"]["executionMessage"]
        assert "127.0.0.1:9" in message and "ServerError" in message
        assert "secret-zz9" not in message and "secret-zz9" not in server.log()
    finally:
        server.stop()
