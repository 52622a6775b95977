"""SLUICE_EXECUTOR=ray end to end: a Ray cluster of two node processes on 127.0.0.1, started here.

A `sluice serve` with the Ray executor runs S3 -> S3 flows (CSV with quoted newlines and commas
-> projection, filter, mask, truncate -> Parquet) whose splits are one object each. The Ray
workers stage the Parquet parts themselves (the run log names the node that wrote each split's
parts, and both nodes must appear); a `SingleFile` flow is written by the server instead. The
oracle is the same flow on a second server with the local executor reading one split at a time
(`SLUICE_PARALLELISM=1`): the Ray run's output, its files read in key order, must be row for
row the same, in the same order. One test SIGKILLs one node's processes (raylet, object store,
workers, mid-write parts included) while the run is InProgress; Ray runs the lost splits again
on the other node, the output is still exactly the serial run's, and nothing is left under the
run's staging prefix.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.integration.builders import unique
from tests.integration.test_run_observability import all_events
from tests.integration.test_runs_s3 import MOTO_KEYS
from tests.support.flows import wait_for, wait_for_run
from tests.support.ray_cluster import RayCluster, RayNode
from tests.support.server import SluiceServer, free_port

SOURCE, DESTINATION = "ray-in", "ray-out"
TASKS: list[dict[str, Any]] = [
    {"taskType": "Filter", "sourceFields": ["id", "amount", "email", "note", "country"],
     "connectorOperator": {"S3": "PROJECTION"}},
    {"taskType": "Filter", "sourceFields": ["amount"], "connectorOperator": {"S3": "GREATER_THAN"},
     "taskProperties": {"VALUE": "100", "DATA_TYPE": "double"}},
    {"taskType": "Map", "sourceFields": ["id"], "connectorOperator": {"S3": "NO_OP"}, "destinationField": "id"},
    {"taskType": "Map", "sourceFields": ["amount"], "connectorOperator": {"S3": "NO_OP"},
     "destinationField": "amount"},
    {"taskType": "Map", "sourceFields": ["country"], "connectorOperator": {"S3": "NO_OP"},
     "destinationField": "land"},
    {"taskType": "Mask", "sourceFields": ["email"], "connectorOperator": {"S3": "MASK_ALL"},
     "destinationField": "email", "taskProperties": {"MASK_VALUE": "*"}},
    {"taskType": "Truncate", "sourceFields": ["note"], "connectorOperator": {"S3": "NO_OP"},
     "destinationField": "note", "taskProperties": {"TRUNCATE_LENGTH": "12"}},
]
NODE = re.compile(r"node ([0-9a-f]{16,}): (\d+)")


def csv_object(index: int, rows: int) -> bytes:
    """Object `index` of a prefix: `rows` rows, some with quoted newlines and commas."""
    lines = ["id,amount,email,note,country"]
    for row in range(rows):
        n = index * rows + row
        note = f'"line one, {n}\nline ""two"" {n % 7}"' if n % 3 == 0 else f"plain {n}"
        lines.append(f"{n},{(n * 37) % 250}.5,user{n}@example.com,{note},{('DE', 'FR', 'JP')[n % 3]}")
    return ("\n".join(lines) + "\n").encode()


def write_objects(data_dirs: list[Path], prefix: str, objects: int, rows: int) -> int:
    """`objects` CSV objects of `rows` rows under SOURCE/`prefix` on every server; the row count."""
    for index in range(objects):
        body = csv_object(index, rows)
        for data_dir in data_dirs:
            path = data_dir / "s3" / SOURCE / prefix / f"part-{index:04d}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
    return objects * rows


def create_flow(client: Any, name: str, prefix: str, single_file: bool = False,
                buckets: tuple[str, str] = (SOURCE, DESTINATION)) -> None:
    aggregation = {"aggregationType": "SingleFile" if single_file else "None"}
    client.create_flow(
        flowName=name, triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {"S3": {
            "bucketName": buckets[0], "bucketPrefix": prefix, "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
        destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
            "bucketName": buckets[1], "bucketPrefix": name,
            "s3OutputFormatConfig": {"fileType": "PARQUET", "preserveSourceDataTyping": True,
                                     "aggregationConfig": aggregation}}}}],
        tasks=TASKS,
    )


def output(server: SluiceServer, name: str) -> pa.Table:
    """Every Parquet object the flow published, in key order, as one table."""
    files = sorted((server.data_dir / "s3" / DESTINATION / name).rglob("*.parquet"))
    assert files, f"{name} published nothing"
    return pa.concat_tables([pq.read_table(path) for path in files])


def serial_run(server: SluiceServer, prefix: str) -> tuple[dict[str, Any], pa.Table]:
    """The flow on the serial server: (its execution record, with `flowName` added; its output)."""
    client, name = server.client(), unique("serial")
    create_flow(client, name, prefix)
    record = wait_for_run(client, name, client.start_flow(flowName=name)["executionId"], timeout=300)
    assert record["executionStatus"] == "Successful", record
    return {**record, "flowName": name}, output(server, name)


def nodes_in(events: list[dict[str, Any]], what: str = "Ray ran the splits") -> dict[str, int]:
    """Splits per Ray node, from the run's "cluster" event (or part objects staged per node)."""
    [cluster] = [e["message"] for e in events if e["kind"] == "cluster" and e["message"].startswith(what)]
    return {node: int(count) for node, count in NODE.findall(cluster)}


def staged_by(events: list[dict[str, Any]]) -> dict[str, int]:
    """Part objects the Ray workers staged, per node."""
    return nodes_in(events, "Ray workers staged")


def leftovers(server: SluiceServer) -> list[Path]:
    """Whatever is under the destination bucket's staging folder."""
    return [path for path in (server.data_dir / "s3" / DESTINATION / ".sluice-staging").rglob("*") if path.is_file()]


@pytest.fixture(scope="module")
def cluster(moto_s3: str) -> Iterator[tuple[RayCluster, RayNode]]:
    # Every node can reach moto's S3 (AWS_ENDPOINT_URL_S3 is in this process's environment now),
    # as the nodes of a real cluster reach S3; the servers on the embedded store say so explicitly.
    ray = RayCluster(node_env=MOTO_KEYS)
    try:
        ray.start_head(num_cpus=1)
        yield ray, ray.add_node(num_cpus=1)
    finally:
        ray.stop()


@pytest.fixture(scope="module")
def servers(cluster: tuple[RayCluster, RayNode],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SluiceServer, SluiceServer]]:
    ray, _ = cluster
    on_ray = SluiceServer(data_dir=tmp_path_factory.mktemp("on-ray"), extra_env={
        "SLUICE_EXECUTOR": "ray", "SLUICE_RAY_ADDRESS": ray.address, "SLUICE_RUN_PROGRESS_SECONDS": "0.2",
        "SLUICE_S3_BACKEND": "local", **ray.env()})
    serial = SluiceServer(data_dir=tmp_path_factory.mktemp("serial"), extra_env={
        "SLUICE_PARALLELISM": "1", "SLUICE_S3_BACKEND": "local"})
    for server in (on_ray, serial):
        (server.data_dir / "s3" / DESTINATION).mkdir(parents=True)
        server.start()
    try:
        yield on_ray, serial
    finally:
        for server in (on_ray, serial):
            server.stop()
    assert ray.token not in on_ray.log()


def test_a_run_spreads_over_both_nodes_and_equals_the_serial_run(servers: tuple[SluiceServer, SluiceServer]) -> None:
    on_ray, serial = servers
    client = on_ray.client()
    # A first run connects the server to the cluster and starts a worker process on each node
    # (Ray keeps one per CPU): a run of small splits right after a cold start may finish on the
    # first node before the other node's worker has imported Sluice.
    write_objects([on_ray.data_dir], "warm-up", objects=8, rows=100)
    # It is a SingleFile flow: one file cannot be filled by many workers, so this server writes it.
    warm_up = unique("ray-warm-up")
    create_flow(client, warm_up, "warm-up", single_file=True)
    warm_id = client.start_flow(flowName=warm_up)["executionId"]
    assert wait_for_run(client, warm_up, warm_id, timeout=300)["executionStatus"] == "Successful"
    assert len(list((on_ray.data_dir / "s3" / DESTINATION / warm_up).rglob("*.parquet"))) == 1
    warm_events = all_events(on_ray, warm_up, warm_id)
    assert any("written by this server" in e["message"] for e in warm_events)
    assert not [e for e in warm_events if e["message"].startswith("Ray workers staged")]
    # Splits long enough (~0.1 s each) that a second worker is granted before the first has done them all.
    rows = write_objects([on_ray.data_dir, serial.data_dir], "spread", objects=16, rows=20_000)
    name = unique("ray")
    create_flow(client, name, "spread")
    execution_id = client.start_flow(flowName=name)["executionId"]
    record = wait_for_run(client, name, execution_id, timeout=300)
    assert record["executionStatus"] == "Successful", record
    expected_record, expected = serial_run(serial, "spread")
    assert record["executionResult"]["recordsProcessed"] == rows
    for key in ("recordsProcessed", "bytesProcessed"):
        assert record["executionResult"][key] == expected_record["executionResult"][key]
    got = output(on_ray, name)
    assert got.num_rows == expected.num_rows > 0
    assert got.equals(expected)  # same rows, same order, same types
    events = all_events(on_ray, name, execution_id)
    spread = nodes_in(events)
    assert len(spread) == 2 and sum(spread.values()) == 16, spread
    # The workers wrote the parts: both nodes staged some, one part file (at least) per split.
    staged = staged_by(events)
    assert staged.keys() == spread.keys() and sum(staged.values()) >= 16, staged
    assert len(list((on_ray.data_dir / "s3" / DESTINATION / name).rglob("*.parquet"))) == sum(staged.values())
    assert record["executionResult"]["bytesWritten"] == sum(
        path.stat().st_size for path in (on_ray.data_dir / "s3" / DESTINATION / name).rglob("*.parquet"))
    assert not leftovers(on_ray)
    # Per-task counts add up as in the serial run (the Filter's drops, from the workers' pipelines).
    summaries = [e["message"] for e in events if e["kind"] == "task_summary"]
    serial_events = all_events(serial, expected_record["flowName"], expected_record["executionId"])
    assert summaries and summaries == [e["message"] for e in serial_events if e["kind"] == "task_summary"]
    assert "Traceback" not in on_ray.log(), on_ray.log()[-4000:]


def in_progress_records(client: Any, name: str, execution_id: str) -> int:
    """Records the run has processed so far (it must still be InProgress)."""
    for record in client.describe_flow_execution_records(flowName=name)["flowExecutions"]:
        if record["executionId"] == execution_id:
            assert record["executionStatus"] == "InProgress", record
            return int((record.get("executionResult") or {}).get("recordsProcessed") or 0)
    return 0


def test_a_canceled_run_stops_its_splits_and_publishes_nothing(servers: tuple[SluiceServer, SluiceServer]) -> None:
    on_ray, _ = servers
    write_objects([on_ray.data_dir], "canceled", objects=120, rows=4000)
    client, name = on_ray.client(), unique("ray-cancel")
    create_flow(client, name, "canceled")
    execution_id = client.start_flow(flowName=name)["executionId"]
    wait_for(lambda: in_progress_records(client, name, execution_id) > 0, timeout=180)
    client.cancel_flow_executions(flowName=name, executionIds=[execution_id])
    record = wait_for_run(client, name, execution_id, timeout=60)
    assert record["executionStatus"] == "Canceled", record
    assert not list((on_ray.data_dir / "s3" / DESTINATION / name).rglob("*.parquet"))
    # The parts the workers had staged are gone too: a canceled task deletes its own as it stops,
    # which may be just after the run's abort.
    wait_for(lambda: not leftovers(on_ray), timeout=30)
    # The cluster is free again: a small run right after goes through.
    write_objects([on_ray.data_dir], "after-cancel", objects=2, rows=100)
    second = unique("ray-after")
    create_flow(client, second, "after-cancel")
    assert wait_for_run(client, second, client.start_flow(flowName=second)["executionId"],
                        timeout=120)["executionStatus"] == "Successful"


def test_a_node_killed_mid_run_leaves_the_run_exact(cluster: tuple[RayCluster, RayNode],
                                                    servers: tuple[SluiceServer, SluiceServer]) -> None:
    ray, second = cluster
    on_ray, serial = servers
    objects = 120
    rows = write_objects([on_ray.data_dir, serial.data_dir], "killed", objects=objects, rows=4000)
    client, name = on_ray.client(), unique("ray-kill")
    create_flow(client, name, "killed")
    execution_id = client.start_flow(flowName=name)["executionId"]

    # Ten splits written first, so the node has returned some of its own before it dies.
    wait_for(lambda: in_progress_records(client, name, execution_id) >= 10 * 4000, timeout=180)
    ray.kill(second)
    assert 0 < in_progress_records(client, name, execution_id) < rows  # the node died mid-run
    record = wait_for_run(client, name, execution_id, timeout=300)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["recordsProcessed"] == rows
    _, expected = serial_run(serial, "killed")
    got = output(on_ray, name)
    assert got.num_rows == expected.num_rows > 0
    assert got.equals(expected)
    events = all_events(on_ray, name, execution_id)
    spread = nodes_in(events)
    assert sum(spread.values()) == objects and len(spread) == 2, spread  # the dead node's splits before it died
    assert staged_by(events).keys() == spread.keys()
    assert not leftovers(on_ray)  # the dead attempts' partial parts were discarded


def test_workers_stage_into_s3(cluster: tuple[RayCluster, RayNode], servers: tuple[SluiceServer, SluiceServer],
                               moto_s3: str, tmp_path: Path) -> None:
    """Real S3 (moto) through boto3 and pyarrow's S3 filesystem: the workers read the source objects
    and stage the parts in the destination bucket themselves; the server adopts and publishes."""
    import boto3

    ray, _ = cluster
    _, serial = servers
    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    source, destination = f"ray-in-{os.urandom(4).hex()}", f"ray-out-{os.urandom(4).hex()}"
    for bucket in (source, destination):
        s3.create_bucket(Bucket=bucket)
    rows = write_objects([serial.data_dir], "via-s3", objects=6, rows=2000)
    for index in range(6):
        s3.put_object(Bucket=source, Key=f"via-s3/part-{index:04d}.csv", Body=csv_object(index, 2000))
    server = SluiceServer(data_dir=tmp_path / "on-s3", extra_env={
        "SLUICE_EXECUTOR": "ray", "SLUICE_RAY_ADDRESS": ray.address, "SLUICE_S3_BACKEND": "aws",
        "AWS_ENDPOINT_URL_S3": moto_s3, **MOTO_KEYS, **ray.env()})
    server.start()
    try:
        client, name = server.client(), unique("ray-s3")
        create_flow(client, name, "via-s3", buckets=(source, destination))
        execution_id = client.start_flow(flowName=name)["executionId"]
        record = wait_for_run(client, name, execution_id, timeout=300)
        assert record["executionStatus"] == "Successful", record
        events = all_events(server, name, execution_id)
    finally:
        server.stop()
    assert record["executionResult"]["recordsProcessed"] == rows
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=destination).get("Contents", []))
    published = [key for key in keys if key.startswith(f"{name}/")]
    assert published and keys == published  # nothing left under .sluice-staging/
    got = pa.concat_tables([pq.read_table(pa.BufferReader(s3.get_object(Bucket=destination, Key=key)["Body"].read()))
                            for key in published])
    _, expected = serial_run(serial, "via-s3")
    assert got.equals(expected)
    assert sum(staged_by(events).values()) == len(published)


LEAK_CHECK = r"""
import sys, ray
from sluice.connectors.base import ProfileView
from sluice.engine import ray_executor
from sluice.engine.split_worker import SplitJob
from sluice.settings import ProcessSettings

address, secret = sys.argv[1], sys.argv[2]
ray_executor.connect(address)
profile = ProfileView(name="p", connector_type="S3", credentials={"secretKey": secret})
context = {"flow_name": "f", "execution_id": "e", "schema_version": 1, "started_at": 0.0, "data_dir": "/nonexistent"}
job = ray.put(SplitJob("t", "S3", None, profile, {"bucketName": "b"}, context, ProcessSettings(data_dir="/x"), None))
print("failure:", ray.get(ray_executor._task.remote(job, "not-a-split")).failure)

@ray.remote(max_retries=0)
def fails(job):  # a task that raises with the job as its argument: Ray reports the error itself
    raise ValueError("on purpose")

try:
    ray.get(fails.remote(job))
except ray.exceptions.RayTaskError as exc:
    print("raised:", type(exc).__name__, secret in str(exc))
"""


def test_credentials_stay_out_of_rays_logs(cluster: tuple[RayCluster, RayNode], tmp_path: Path) -> None:
    """A split job carrying a secret, through a task that fails as data and one that raises:
    the secret is in no output of the driver and in no file of the cluster's (logs included)."""
    ray, _ = cluster
    secret = f"leak-check-{os.urandom(8).hex()}"
    done = subprocess.run([sys.executable, "-c", LEAK_CHECK, ray.address, secret], capture_output=True, text=True,
                          env={**os.environ, **ray.env()}, timeout=180, check=False)
    assert "failure: Failure(" in done.stdout and "raised: RayTaskError" in done.stdout, done.stdout + done.stderr
    assert secret not in done.stdout + done.stderr
    leaked = [path for path in ray.root.rglob("*") if path.is_file() and secret.encode() in path.read_bytes()]
    assert not leaked


def test_an_unreachable_cluster_fails_the_run_with_a_reason(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    server = SluiceServer(data_dir=tmp_path / "unreachable", extra_env={
        "SLUICE_EXECUTOR": "ray", "SLUICE_RAY_ADDRESS": f"127.0.0.1:{closed}", "SLUICE_S3_BACKEND": "local"})
    (server.data_dir / "s3" / DESTINATION).mkdir(parents=True)
    server.start()
    try:
        write_objects([server.data_dir], "nowhere", objects=2, rows=10)
        client, name = server.client(), unique("ray-nowhere")
        create_flow(client, name, "nowhere")
        record = wait_for_run(client, name, client.start_flow(flowName=name)["executionId"], timeout=60)
    finally:
        server.stop()
    assert record["executionStatus"] == "Error", record
    assert f"The Ray cluster at 127.0.0.1:{closed} cannot be reached" in record["executionResult"]["errorInfo"][
        "executionMessage"]
    assert not list((server.data_dir / "s3" / DESTINATION).rglob("*.parquet"))
