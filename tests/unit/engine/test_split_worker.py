"""Splits read as Ray tasks read them, without Ray: every job and part through pickle, each part
on a fresh worker-side source, kept or dropped in split order by the S3 source's `keep`.

The oracle is the serial read (`S3Source.read`) through the same task pipeline. CSV rows with
long quoted multi-line values make most guessed range starts fall inside a value, so the
speculative ranges the coordinator must drop are exercised, not just possible.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from typing import Any

import pyarrow as pa
import pytest

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.remote import FixedBuckets
from sluice.connectors.s3 import remote
from sluice.connectors.s3.source import S3Source
from sluice.engine import split_worker
from sluice.engine.split_worker import Failure, SplitJob
from sluice.engine.tasks import TaskError, compile_tasks
from sluice.settings import ProcessSettings, SettingsError
from tests.unit.connectors import s3_fixtures
from tests.unit.connectors.s3_fixtures import S3Env

backend = s3_fixtures.backend
moto_endpoint = s3_fixtures.moto_endpoint
PROFILE = ProfileView(name=None, connector_type="S3")
TASKS = [
    {"taskType": "Filter", "sourceFields": ["id", "note", "amount"], "connectorOperator": {"S3": "PROJECTION"}},
    {"taskType": "Map", "sourceFields": ["id"], "connectorOperator": {"S3": "NO_OP"}, "destinationField": "id"},
    {"taskType": "Map", "sourceFields": ["note"], "connectorOperator": {"S3": "NO_OP"}, "destinationField": "note"},
    {"taskType": "Map", "sourceFields": ["amount"], "connectorOperator": {"S3": "NO_OP"},
     "destinationField": "amount"},
]


def quoted_csv(rows: int, seed: int) -> bytes:
    """Rows whose middle value spans several lines (and holds commas and doubled quotes)."""
    lines = ["id,note,amount"]
    for i in range(rows):
        breaks = "\n".join(f"part {j}, of row {i}" for j in range(1 + (i * 7 + seed) % 5))
        lines.append(f'{i},"{breaks} said ""hi""",{(i * 13 + seed) % 1000}')
    return ("\n".join(lines) + "\n").encode()


def job_for(source: S3Source, reading: Any, backend: S3Env) -> SplitJob:
    context = {name: getattr(source.ctx, name) for name in ("flow_name", "execution_id", "schema_version",
                                                            "started_at", "data_dir", "batch_size")}
    return SplitJob(token=os.urandom(8).hex(), source_type="S3", source_label=None, profile=PROFILE,
                    props={"bucketName": backend.bucket, "bucketPrefix": "in"},
                    context={**context, "tasks": tuple(TASKS), "buckets": reading.buckets},
                    settings=ProcessSettings.from_mapping(os.environ), state=reading.state)


def remote_rows(source: S3Source, backend: S3Env) -> tuple[pa.Table, int]:
    """The run's rows as the Ray executor assembles them, and how many parts it dropped."""
    reading = remote.remote_reading(source, source.splits())
    job = pickle.loads(pickle.dumps(job_for(source, reading, backend)))
    kept, dropped = [], 0
    for index, part in enumerate(reading.parts):
        split_worker._open.clear()  # every part on a fresh worker process's source
        result = split_worker.read_split(job, pickle.loads(pickle.dumps(part)))
        result = pickle.loads(pickle.dumps(result))
        if not reading.keep(index, result.outcome):
            dropped += 1
            continue
        assert result.failure is None, result.failure
        kept += [piece.out for piece in result.pieces]
    return pa.Table.from_batches(kept), dropped


def serial_rows(source: S3Source) -> pa.Table:
    pipeline = compile_tasks(list(TASKS))
    return pa.Table.from_batches([pipeline.apply(batch) for batch in source.read()])


def source_for(backend: S3Env, split_bytes: int) -> S3Source:
    ctx = backend.context(tasks=tuple(TASKS))
    return S3Source(PROFILE, {"bucketName": backend.bucket, "bucketPrefix": "in"}, ctx, split_bytes=split_bytes)


def test_csv_ranges_read_elsewhere_give_exactly_the_serial_rows(backend: S3Env) -> None:
    backend.put("in/a.csv", quoted_csv(400, 1))
    backend.put("in/b.csv", quoted_csv(3, 2))  # smaller than a range
    backend.put("in/c.csv", quoted_csv(250, 3))
    remote_table, dropped = remote_rows(source_for(backend, 512), backend)
    serial = serial_rows(source_for(backend, 512))
    assert serial.num_rows == 653
    assert remote_table.equals(serial)
    assert dropped > 0  # some guessed starts were inside quoted values


def test_a_row_longer_than_many_ranges(backend: S3Env) -> None:
    big = "x\n" * 4000
    backend.put("in/a.csv", f'id,note,amount\n1,"{big}",5\n2,short,6\n'.encode())
    remote_table, _ = remote_rows(source_for(backend, 256), backend)
    assert remote_table.equals(serial_rows(source_for(backend, 256)))
    assert remote_table.column("id").to_pylist() == ["1", "2"]


def test_json_lines_and_parquet_parts(backend: S3Env, tmp_path: Any) -> None:
    import pyarrow.parquet as pq

    table = pa.table({"id": [str(i) for i in range(3000)], "note": [f"n{i}" for i in range(3000)],
                      "amount": [str(i % 7) for i in range(3000)]})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, row_group_size=500)
    backend.put("in/a.parquet", sink.getvalue().to_pybytes())
    remote_table, dropped = remote_rows(source_for(backend, 4096), backend)
    assert dropped == 0
    assert remote_table.equals(serial_rows(source_for(backend, 4096)))
    assert remote_table.num_rows == 3000


def test_a_parse_error_in_a_kept_range_fails_with_the_local_message(backend: S3Env) -> None:
    backend.put("in/a.csv", b"id,note,amount\n" + b"1,a,2\n" * 200 + b"2,b\n")
    source = source_for(backend, 256)
    reading = remote.remote_reading(source, source.splits())
    job = job_for(source, reading, backend)
    failures = []
    for index, part in enumerate(reading.parts):
        result = split_worker.read_split(job, part)
        if reading.keep(index, result.outcome) and result.failure is not None:
            failures.append(result.failure.exception())
    assert len(failures) == 1
    assert isinstance(failures[0], ConnectorError) and failures[0].code == "InvalidArgument"
    assert "a.csv" in failures[0].message


def test_failures_travel_as_data() -> None:
    again = pickle.loads(pickle.dumps(Failure.of(ConnectorError("ThrottlingError", "slow down", 3.0))))
    error = again.exception()
    assert isinstance(error, ConnectorError) and (error.code, error.message, error.retry_after) == (
        "ThrottlingError", "slow down", 3.0)
    assert isinstance(Failure.of(TaskError("bad value")).exception(), TaskError)
    assert "KeyError" in str(Failure.of(KeyError("x")).exception())


def test_a_job_never_shows_its_credentials() -> None:
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    profile = ProfileView(name="p", connector_type="S3", credentials={"secretKey": secret})
    job = SplitJob("t", "S3", None, profile, {}, {"execution_id": "e1"}, ProcessSettings(data_dir="/d"), None)
    assert secret not in repr(job) and secret not in str(job)
    assert "e1" in repr(job)


def test_fixed_buckets_answer_as_planned() -> None:
    class Policy:
        def allowed(self, names: Any) -> set[str]:
            return {name for name in names if name.startswith("mine")}

    fixed = pickle.loads(pickle.dumps(FixedBuckets.of(Policy(), {"mine-a", "theirs"})))
    assert fixed is not None and fixed.allowed({"mine-a", "theirs", "mine-b"}) == {"mine-a"}
    assert FixedBuckets.of(None, {"x"}) is None


def test_executor_settings() -> None:
    assert ProcessSettings.from_mapping({}).cluster.executor == "local"
    ray = ProcessSettings.from_mapping({"SLUICE_EXECUTOR": "Ray", "SLUICE_RAY_ADDRESS": " 127.0.0.1:6379 "})
    assert (ray.cluster.executor, ray.cluster.ray_address) == ("ray", "127.0.0.1:6379")
    with pytest.raises(SettingsError, match="SLUICE_RAY_ADDRESS"):
        ProcessSettings.from_mapping({"SLUICE_EXECUTOR": "ray"})
    with pytest.raises(SettingsError, match="SLUICE_EXECUTOR must be local or ray"):
        ProcessSettings.from_mapping({"SLUICE_EXECUTOR": "dask"})


LOCAL_RUN = """
import sys, tempfile
from pathlib import Path
from sluice.engine.runner import run_execution
from tests.unit.engine.test_runner_errors import request

data_dir = Path(tempfile.mkdtemp())
(data_dir / "s3" / "src" / "in").mkdir(parents=True)
(data_dir / "s3" / "src" / "in" / "rows.csv").write_text("id,name\\n1,ada\\n2,grace\\n")
(data_dir / "s3" / "dst").mkdir(parents=True)
outcome = run_execution(request(data_dir))
print(outcome.result["recordsProcessed"], "ray" in sys.modules)
"""


def test_a_local_run_never_imports_ray() -> None:
    """Ray is an optional extra: SLUICE_EXECUTOR=local (the default) must work without it."""
    env = {**os.environ, "SLUICE_S3_BACKEND": "local"}
    env.pop("SLUICE_EXECUTOR", None)
    done = subprocess.run([sys.executable, "-c", LOCAL_RUN], capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    assert done.stdout.split() == ["2", "False"], done.stdout + done.stderr
