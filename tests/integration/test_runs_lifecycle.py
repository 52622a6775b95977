"""A run's life beyond success: cancel mid-run, SIGKILL mid-run, Glue registration, output layout.

Everything goes through boto3 against a real `sluice serve`. The cancel and kill tests need a run
that lasts several seconds: one generated CSV file (100k rows) is hard-linked 200 times into the local
backend's source folder, so the input is large but costs almost nothing to make.
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.integration.builders import unique
from tests.integration.test_runs_s3 import MAP_ALL, MOTO_KEYS, ROWS, Buckets, csv_bytes, s3_flow, wait
from tests.support.server import SluiceServer

BIG_FILES = 200  # ~20 M rows, about 6 s of work on 2 cores: ample time to interrupt the run
BIG_ROWS = 100_000


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ~6 MB CSV file of BIG_ROWS rows, with the columns of `ROWS`."""
    ids = pa.array(range(BIG_ROWS), pa.int64())
    text = pc.cast(ids, pa.string())
    table = pa.table({
        "id": text,
        "name": pc.binary_join_element_wise("n", text, ""),
        "email": pc.binary_join_element_wise("user", text, "@example.com", ""),
        "amount": pc.cast(pc.multiply(ids, 10), pa.string()),
        "qty": pc.cast(pc.bit_wise_and(ids, 3), pa.string()),
    })
    path = tmp_path_factory.mktemp("big") / "big.csv"
    pacsv.write_csv(table, path)
    return path


def fill_big_source(data_dir: Path, bucket: str, big_csv: Path) -> None:
    """BIG_FILES links to `big_csv` under `<bucket>/in/` on the local backend."""
    folder = data_dir / "s3" / bucket / "in"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(BIG_FILES):
        os.link(big_csv, folder / f"part-{index:03d}.csv")


@pytest.fixture(scope="module")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SluiceServer, Buckets]]:
    """A server with one run worker on the local-directory backend."""
    data_dir = tmp_path_factory.mktemp("lifecycle-local")
    server = SluiceServer(data_dir=data_dir, workers=1, extra_env={"SLUICE_S3_BACKEND": "local"})
    server.start()
    try:
        yield server, Buckets(data_dir, None)
    finally:
        server.stop()


def staging_files(data_dir: Path, bucket: str, execution_id: str) -> list[Path]:
    root = data_dir / "s3" / bucket / ".sluice-staging" / execution_id
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def wait_until_writing(server: SluiceServer, flow: str, bucket: str, execution_id: str, timeout: float = 30) -> None:
    """Until the worker has claimed the run and staged output: the run is truly mid-flight."""
    client = server.client()
    deadline = time.time() + timeout
    while time.time() < deadline:
        records = client.describe_flow_execution_records(flowName=flow)["flowExecutions"]
        status = next(r["executionStatus"] for r in records if r["executionId"] == execution_id)
        assert status == "InProgress", f"the run ended before it could be interrupted: {records}"
        if staging_files(server.data_dir, bucket, execution_id):
            return
        time.sleep(0.05)
    raise AssertionError(f"run {execution_id} staged nothing in {timeout} s")


def test_cancel_mid_run_publishes_nothing(local_server, big_csv):
    server, buckets = local_server
    client = server.client()
    src, dst, name = unique("src"), unique("dst"), unique("cancel")
    fill_big_source(server.data_dir, src, big_csv)
    buckets.create(dst)
    client.create_flow(**s3_flow(name, src, dst, MAP_ALL, "CSV"))
    execution_id = client.start_flow(flowName=name)["executionId"]
    wait_until_writing(server, name, dst, execution_id)

    response = client.cancel_flow_executions(flowName=name, executionIds=[execution_id])
    assert response.get("invalidExecutions", []) == []
    started = time.time()
    record = wait(client, name, execution_id, timeout=10)
    assert time.time() - started < 5, "the cancel took too long to stop the run"
    assert record["executionStatus"] == "Canceled", record
    assert buckets.keys(dst) == []
    assert not (server.data_dir / "s3" / dst / ".sluice-staging" / execution_id).exists()
    last = client.describe_flow(flowName=name)["lastRunExecutionDetails"]
    assert last["mostRecentExecutionStatus"] == "Canceled"


def test_sigkill_mid_run_ends_error_and_recovery_cleans_staging(tmp_path, big_csv):
    data_dir = tmp_path / "data"
    # A short run lease: the restarted server takes the killed run over once the lease lapses.
    server = SluiceServer(data_dir=data_dir, workers=1,
                          extra_env={"SLUICE_S3_BACKEND": "local", "SLUICE_RUN_LEASE_SECONDS": "2"})
    server.start()
    try:
        client = server.client()
        buckets = Buckets(data_dir, None)
        src, dst, name = unique("src"), unique("dst"), unique("killed")
        fill_big_source(data_dir, src, big_csv)
        buckets.create(dst)
        client.create_flow(**s3_flow(name, src, dst, MAP_ALL, "CSV"))
        execution_id = client.start_flow(flowName=name)["executionId"]
        wait_until_writing(server, name, dst, execution_id)
        server.kill()
        assert staging_files(data_dir, dst, execution_id), "the killed run left no staging to recover"

        server.start()
        client = server.client()
        record = wait(client, name, execution_id, timeout=10)
        assert record["executionStatus"] == "Error", record
        message = record["executionResult"]["errorInfo"]["executionMessage"]
        assert "restart" in message or "interrupt" in message, message
        assert buckets.keys(dst) == []
        assert not (data_dir / "s3" / dst / ".sluice-staging" / execution_id).exists()
        last = client.describe_flow(flowName=name)["lastRunExecutionDetails"]
        assert last["mostRecentExecutionStatus"] == "Error"
    finally:
        server.stop()


def test_output_layout_day_path_and_filename_single_file(local_server):
    server, buckets = local_server
    client = server.client()
    src, dst, name = unique("src"), unique("dst"), unique("layout")
    buckets.create(src)
    buckets.create(dst)
    buckets.put(src, "in/a.csv", csv_bytes(ROWS[:15]))
    buckets.put(src, "in/b.csv", csv_bytes(ROWS[15:]))
    output = {
        "prefixConfig": {"prefixType": "PATH_AND_FILENAME", "prefixFormat": "DAY",
                         "pathPrefixHierarchy": ["SCHEMA_VERSION", "EXECUTION_ID"]},
        "aggregationConfig": {"aggregationType": "SingleFile"},
    }
    client.create_flow(**s3_flow(name, src, dst, MAP_ALL, "PARQUET", **output))
    # A change to what the flow writes makes schema version 2, so the folder shows the flow's own.
    client.update_flow(**s3_flow(name, src, dst, MAP_ALL, "JSON", **output))
    flow = client.describe_flow(flowName=name)
    assert flow["schemaVersion"] == 2
    execution_id = client.start_flow(flowName=name)["executionId"]
    record = wait(client, name, execution_id)
    assert record["executionStatus"] == "Successful", record

    started = record["startedAt"].astimezone(UTC)
    day = started.strftime("%Y/%m/%d")
    stamp = started.strftime("%Y-%m-%d")
    version = flow["schemaVersion"]
    keys = buckets.keys(dst)
    assert keys == [f"out/{name}/{day}/schemaVersion_{version}/{execution_id}/{stamp}-{execution_id}-part-00000.json"]
    body = buckets.get(dst, keys[0]).decode()
    assert len([line for line in body.splitlines() if line]) == len(ROWS)


@pytest.fixture(scope="module")
def glue_server(moto_s3: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SluiceServer, Buckets, Any]]:
    """A server whose S3 and Glue are moto's; yields it, S3 buckets on moto and a Glue client."""
    data_dir = tmp_path_factory.mktemp("lifecycle-glue")
    server = SluiceServer(data_dir=data_dir, workers=1, extra_env={
        "SLUICE_S3_BACKEND": "aws", "AWS_ENDPOINT_URL_S3": moto_s3, "AWS_ENDPOINT_URL_GLUE": moto_s3,
        "AWS_ENDPOINT_URL_STS": moto_s3, **MOTO_KEYS})
    keys = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    s3 = boto3.client("s3", endpoint_url=moto_s3, **keys)
    glue = boto3.client("glue", endpoint_url=moto_s3, **keys)
    server.start()
    try:
        yield server, Buckets(None, s3), glue
    finally:
        server.stop()


def test_glue_registration_with_partitions(glue_server):
    server, buckets, glue = glue_server
    client = server.client()
    src, dst, name = unique("src"), unique("dst"), unique("glue")
    buckets.create(src)
    buckets.create(dst)
    buckets.put(src, "in/a.csv", csv_bytes(ROWS))
    tasks = [
        *MAP_ALL,
        {"taskType": "Partition", "connectorOperator": {"S3": "NO_OP"}, "sourceFields": ["qty"],
         "taskProperties": {"ORDERED_PARTITION_KEYS_LIST": '["qty"]'}},
    ]
    flow = s3_flow(name, src, dst, tasks, "PARQUET")
    flow["metadataCatalogConfig"] = {"glueDataCatalog": {
        "roleArn": "arn:aws:iam::123456789012:role/glue", "databaseName": "sluice_db", "tablePrefix": "sales"}}
    client.create_flow(**flow)
    execution_id = client.start_flow(flowName=name)["executionId"]
    record = wait(client, name, execution_id)
    assert record["executionStatus"] == "Successful", record

    table_name = re.sub(r"[^a-z0-9_]", "_", f"sales_{name}")
    table = glue.get_table(DatabaseName="sluice_db", Name=table_name)["Table"]
    storage = table["StorageDescriptor"]
    assert [c["Name"] for c in storage["Columns"]] == ["id", "name", "email", "amount"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["qty"]
    location = f"s3://{dst}/out/{name}/{execution_id}/"
    assert storage["Location"] == location
    assert "Parquet" in storage["SerdeInfo"]["SerializationLibrary"]

    partitions = glue.get_partitions(DatabaseName="sluice_db", TableName=table_name)["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["0", "1", "2", "3"]
    for partition in partitions:
        assert partition["StorageDescriptor"]["Location"] == f"{location}qty={partition['Values'][0]}/"

    # The data is where the catalog says, without the partition column in the files.
    keys = buckets.keys(dst)
    assert {k.split("/")[3] for k in keys} == {"qty=0", "qty=1", "qty=2", "qty=3"}
    rows = [r for k in keys for r in pq.read_table(io.BytesIO(buckets.get(dst, k))).to_pylist()]
    assert sorted(int(r["id"]) for r in rows) == [int(r["id"]) for r in ROWS]
    assert all("qty" not in r for r in rows)

    (detail,) = record["metadataCatalogDetails"]
    assert detail["catalogType"] == "GLUE" and detail["tableName"] == table_name
    assert detail["tableRegistrationOutput"]["status"] == "Successful"
    assert detail["partitionRegistrationOutput"]["status"] == "Successful"
    described = client.describe_flow(flowName=name)
    assert described["lastRunMetadataCatalogDetails"] == record["metadataCatalogDetails"]
    assert described["metadataCatalogConfig"]["glueDataCatalog"]["databaseName"] == "sluice_db"
