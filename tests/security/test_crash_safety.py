"""Crash safety of runs: all of a run's output or none, leases that lapse, errors named right.

Every test drives real `sluice serve` processes over HTTP (boto3, SigV4) on the embedded S3
backend and reads the destination bucket's folder the way any reader of the bucket would:

* a server killed with SIGKILL while it publishes a 500-file partitioned output leaves, once a
  server runs again on the same data dir, all 500 files or none, and the record says which;
* a run whose server hangs (its PID still alive, as a recycled PID looks) is taken over by
  another server once its lease lapses, its published files rolled back;
* a destination that runs out of file handles reports the failure as the destination's;
* 25,000 partitions complete under a 256-file-handle limit;
* many runs into one bucket at once never break each other's staging.

`SLUICE_TEST_PUBLISH_DELAY_MS` (a test hook) slows each move of the publish step so a test can
act in the middle of it; `SLUICE_RUN_LEASE_SECONDS` shortens the run lease.
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.integration.builders import unique
from tests.integration.test_runs_s3 import MAP_ALL, s3_flow, wait
from tests.support.server import SluiceServer

FAN_OUT = 500  # files of the partitioned output killed mid-publish
LEASE = "2"  # seconds: a short lease, so a lapsed one is noticed quickly


def partition_task(key: str) -> dict[str, Any]:
    """A Partition task on one field."""
    return {"taskType": "Partition", "sourceFields": [key], "connectorOperator": {"S3": "NO_OP"},
            "taskProperties": {"ORDERED_PARTITION_KEYS_LIST": f'["{key}"]'}}


def put_rows(data_dir: Path, bucket: str, rows: int) -> None:
    """A CSV of `rows` rows, one partition value each, as the source bucket's only object."""
    folder = data_dir / "s3" / bucket / "in"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rows.csv").write_text("p,v\n" + "".join(f"{i},{i * 7}\n" for i in range(rows)))


def files_under(root: Path) -> list[Path]:
    """Every file below `root`, read while a server may be adding and pruning folders there."""
    return [Path(folder, name) for folder, _, names in os.walk(root) for name in names]


def visible(data_dir: Path, bucket: str) -> list[Path]:
    """The bucket's objects a reader sees: everything outside the staging area."""
    root = data_dir / "s3" / bucket
    return [p for p in files_under(root) if ".sluice-staging" not in p.relative_to(root).parts]


def staging(data_dir: Path, bucket: str) -> list[Path]:
    """What is left in the bucket's staging area."""
    return files_under(data_dir / "s3" / bucket / ".sluice-staging")


def partitioned_flow(data_dir: Path, rows: int, **output: Any) -> tuple[str, str, dict[str, Any]]:
    """(destination bucket, flow name, CreateFlow request) of a flow writing one file per row."""
    src, dst, name = unique("src"), unique("dst"), unique("fan")
    put_rows(data_dir, src, rows)
    (data_dir / "s3" / dst).mkdir(parents=True)
    return dst, name, s3_flow(name, src, dst, [*MAP_ALL, partition_task("p")], "CSV", **output)


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def mid_publish(data_dir: Path, bucket: str) -> bool:
    """Some, not all, of the run's files are visible: the publish step is under way."""
    return 20 <= len(visible(data_dir, bucket)) < FAN_OUT


def assert_all_or_nothing(data_dir: Path, bucket: str, record: dict[str, Any]) -> None:
    files = visible(data_dir, bucket)
    if record["executionStatus"] == "Successful":
        assert len(files) == FAN_OUT, f"a Successful run shows {len(files)} of its {FAN_OUT} files"
    else:
        assert record["executionStatus"] == "Error", record
        assert files == [], f"a failed run left {len(files)} of its {FAN_OUT} files visible"
    assert staging(data_dir, bucket) == []


def test_kill_9_mid_publish_leaves_all_of_the_run_or_none(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {"SLUICE_TEST_PUBLISH_DELAY_MS": "20", "SLUICE_RUN_LEASE_SECONDS": LEASE}
    server = SluiceServer(data_dir=data_dir, workers=1, extra_env=env).start()
    try:
        dst, name, request = partitioned_flow(data_dir, FAN_OUT)
        client = server.client()
        client.create_flow(**request)
        execution_id = client.start_flow(flowName=name)["executionId"]
        wait_until(lambda: mid_publish(data_dir, dst), 60, "the run is publishing")
        server.kill()
        partial = len(visible(data_dir, dst))
        assert 0 < partial < FAN_OUT, partial

        server.start()  # same data dir and database: a new process, a new node id
        record = wait(server.client(), name, execution_id, timeout=60)
        assert_all_or_nothing(data_dir, dst, record)
        assert record["executionStatus"] == "Error", record
        message = record["executionResult"]["errorInfo"]["executionMessage"]
        assert "interrupted" in message and "stopped" in message, message
        last = client_last(server, name)
        assert last["mostRecentExecutionStatus"] == "Error"
    finally:
        server.stop()


def client_last(server: SluiceServer, name: str) -> dict[str, Any]:
    return dict(server.client().describe_flow(flowName=name)["lastRunExecutionDetails"])


def database_writable(data_dir: Path) -> bool:
    """Whether nobody holds the SQLite write lock (a frozen writer would block every server)."""
    connection = sqlite3.connect(data_dir / "sluice.db", timeout=0)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.rollback()
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


def freeze(server: SluiceServer) -> None:
    """SIGSTOP the server at a moment it holds no database write lock."""
    assert server.proc is not None
    for _ in range(100):
        os.kill(server.proc.pid, signal.SIGSTOP)
        if database_writable(server.data_dir):
            return
        os.kill(server.proc.pid, signal.SIGCONT)
        time.sleep(0.02)
    raise AssertionError("the server always held the database write lock")


def test_a_hung_servers_run_is_taken_over_when_its_lease_lapses(tmp_path: Path) -> None:
    """The owner's process still exists (as a recycled PID would): only the lease can tell it is gone."""
    data_dir = tmp_path / "data"
    hung = SluiceServer(data_dir=data_dir, workers=1,
                        extra_env={"SLUICE_TEST_PUBLISH_DELAY_MS": "20", "SLUICE_RUN_LEASE_SECONDS": LEASE})
    hung.start()
    other = SluiceServer(data_dir=data_dir, workers=1, extra_env={"SLUICE_RUN_LEASE_SECONDS": LEASE})
    try:
        dst, name, request = partitioned_flow(data_dir, FAN_OUT)
        client = hung.client()
        client.create_flow(**request)
        execution_id = client.start_flow(flowName=name)["executionId"]
        wait_until(lambda: mid_publish(data_dir, dst), 60, "the run is publishing")
        freeze(hung)

        other.start()
        record = wait(other.client(), name, execution_id, timeout=60)
        assert record["executionStatus"] == "Error", record
        assert "interrupted" in record["executionResult"]["errorInfo"]["executionMessage"]
        assert_all_or_nothing(data_dir, dst, record)

        # The server that took over runs the flow again, to the end.
        again = other.client().start_flow(flowName=name)["executionId"]
        record = wait(other.client(), name, again, timeout=120)
        assert record["executionStatus"] == "Successful", record
        assert_all_or_nothing(data_dir, dst, record)
    finally:
        hung.kill()
        other.stop()


@contextmanager
def file_limit(soft: int) -> Iterator[None]:
    """Processes started inside inherit a soft RLIMIT_NOFILE of `soft` (restored after)."""
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, before[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, before)


def limited_server(data_dir: Path, soft: int, **env: str) -> SluiceServer:
    server = SluiceServer(data_dir=data_dir, workers=1, extra_env=env)
    with file_limit(soft):
        return server.start()


def test_running_out_of_file_handles_is_the_destinations_failure(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    # No cap on open output files, 256 handles for the whole server: the destination runs out.
    server = limited_server(data_dir, 256, SLUICE_S3_MAX_OPEN_FILES="100000")
    try:
        dst, name, request = partitioned_flow(data_dir, 1000)
        client = server.client()
        client.create_flow(**request)
        record = wait(client, name, client.start_flow(flowName=name)["executionId"], timeout=60)
        assert record["executionStatus"] == "Error", record
        message = record["executionResult"]["errorInfo"]["executionMessage"]
        assert message.startswith("The destination S3 failed"), message
        assert "EMFILE" in message, message  # the errno, not a message that could carry paths
        assert "source" not in message, message
        assert visible(data_dir, dst) == [] and staging(data_dir, dst) == []
    finally:
        server.stop()


def test_25000_partitions_complete_under_a_low_file_handle_limit(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = limited_server(data_dir, 256)  # the default cap on open output files fits under it
    try:
        dst, name, request = partitioned_flow(data_dir, 25_000)
        client = server.client()
        client.create_flow(**request)
        record = wait(client, name, client.start_flow(flowName=name)["executionId"], timeout=240)
        assert record["executionStatus"] == "Successful", record
        assert record["executionResult"]["recordsProcessed"] == 25_000
        files = visible(data_dir, dst)
        assert len(files) == 25_000
        assert {f.parent.name for f in files} == {f"p={i}" for i in range(25_000)}
        assert staging(data_dir, dst) == []
    finally:
        server.stop()


def test_concurrent_runs_into_one_bucket_keep_their_own_staging(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = SluiceServer(data_dir=data_dir, workers=2).start()
    try:
        client = server.client()
        src, dst = unique("src"), unique("dst")
        put_rows(data_dir, src, 20)
        (data_dir / "s3" / dst).mkdir(parents=True)
        runs: dict[str, str] = {}
        for index in range(50):
            # Every run stages under the bucket's `.sluice-staging/` and publishes under `out/`:
            # folders each run creates, and prunes when its last file there goes.
            name = unique(f"many{index}")
            client.create_flow(**s3_flow(name, src, dst, [*MAP_ALL, partition_task("p")], "CSV"))
            runs[name] = client.start_flow(flowName=name)["executionId"]
        failed = []
        for name, execution_id in runs.items():
            record = wait(client, name, execution_id, timeout=120)
            if record["executionStatus"] != "Successful":
                failed.append(record["executionResult"].get("errorInfo"))
        assert failed == [], failed
        files = visible(data_dir, dst)
        assert len(files) == len(runs) * 20
        assert staging(data_dir, dst) == []
    finally:
        server.stop()
