"""Splits staged as Ray workers stage them, without Ray: each part read, transformed and written
by `split_worker.read_split` from a pickled job, its manifest adopted by the coordinator's
`S3Destination` in split order, then one commit.

The oracle is the serial read through the same tasks. Orphans are made on purpose: a whole
attempt whose result is "lost with its node" (its parts are complete but never adopted) and a
partial part of an attempt that "died" mid-write; neither may be published, and nothing may be
left under the run's staging prefix after the commit or the abort.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.remote_staging import RemoteStaging, remote_staging_of
from sluice.connectors.s3 import remote
from sluice.connectors.s3.destination import S3Destination
from sluice.connectors.s3.publish import STAGING_DIR
from sluice.connectors.s3.source import S3Source
from sluice.engine import split_worker
from sluice.engine.split_worker import SplitJob
from sluice.engine.tasks import compile_tasks
from sluice.settings import ProcessSettings
from tests.unit.connectors import s3_fixtures
from tests.unit.connectors.s3_fixtures import S3Env
from tests.unit.engine.test_split_worker import TASKS, quoted_csv

backend = s3_fixtures.backend
moto_endpoint = s3_fixtures.moto_endpoint
PROFILE = ProfileView(name=None, connector_type="S3")
PARQUET = {"fileType": "PARQUET", "preserveSourceDataTyping": True}
PARTITIONED = [*TASKS,
               {"taskType": "Map", "sourceFields": ["land"], "connectorOperator": {"S3": "NO_OP"},
                "destinationField": "land"},
               {"taskType": "Partition", "sourceFields": ["land"], "connectorOperator": {"S3": "NO_OP"},
                "taskProperties": {"ORDERED_PARTITION_KEYS_LIST": '["land"]'}}]


def lands_csv(rows: int) -> bytes:
    lines = ["id,note,amount,land"] + [f'{i},"n {i}\nx",{i % 11},{("DE", "FR", "JP")[i % 3]}' for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def opened(backend: S3Env, tasks: list[dict[str, Any]], config: dict[str, Any]) -> tuple[RunContext, S3Destination]:
    ctx = backend.context(tasks=tuple(tasks))
    destination = S3Destination(None, {"bucketName": backend.bucket, "bucketPrefix": "out",
                                       "s3OutputFormatConfig": config}, ctx)
    return ctx, destination


def source_for(backend: S3Env, ctx: RunContext) -> S3Source:
    return S3Source(PROFILE, {"bucketName": backend.bucket, "bucketPrefix": "in"}, ctx, split_bytes=1024)


def staged_job(backend: S3Env, ctx: RunContext, destination: S3Destination,
               split_bytes: int = 1024) -> tuple[Any, SplitJob, RemoteStaging]:
    """(the source's remote reading, the pickled job whose tasks stage, the coordinator's staging)."""
    staging = remote_staging_of(destination)
    assert staging is not None
    source = S3Source(PROFILE, {"bucketName": backend.bucket, "bucketPrefix": "in"}, ctx, split_bytes=split_bytes)
    reading = remote.remote_reading(source, source.splits())
    context = {name: getattr(ctx, name) for name in ("flow_name", "execution_id", "schema_version", "started_at",
                                                     "data_dir", "batch_size", "tasks")}
    job = pickle.loads(pickle.dumps(SplitJob(
        token=os.urandom(8).hex(), source_type="S3", source_label=None, profile=PROFILE,
        props={"bucketName": backend.bucket, "bucketPrefix": "in"}, context={**context, "buckets": reading.buckets},
        settings=ProcessSettings.from_mapping(os.environ), state=reading.state, staging=(staging.target,))))
    return reading, job, staging


def stage_all(backend: S3Env, ctx: RunContext, destination: S3Destination, orphans: bool = True) -> int:
    """Every split staged "on a worker" and the kept ones adopted in order; the rows staged."""
    reading, job, staging = staged_job(backend, ctx, destination)
    assert job.staging is not None and repr(job.staging[0]).startswith("S3StagingTarget(")
    written = 0
    for index, part in enumerate(reading.parts):
        split_worker._open.clear()  # every part on a fresh worker process's source
        if orphans and index == 0:
            # An attempt that finished, but whose result was lost with its node: Ray runs it again.
            lost = split_worker.read_split(job, part, index)
            assert lost.failure is None and lost.staged and lost.staged[0].parts
            if backend.kind == "local":
                # An attempt killed mid-write: an unfinished file under its own key (the local store
                # writes in place; on S3 it is an incomplete multipart upload, no object).
                backend.put(f"{STAGING_DIR}/{ctx.execution_id}/ray-{index:05d}-dead0attempt-000.parquet", b"PAR1")
        result = pickle.loads(pickle.dumps(split_worker.read_split(job, pickle.loads(pickle.dumps(part)), index)))
        if not reading.keep(index, result.outcome):
            continue  # its parts stay orphans too
        assert result.failure is None, result.failure
        assert all(piece.out is None for piece in result.pieces)  # no rows travel back
        assert result.staged is not None
        [entry] = result.staged
        assert entry.split == index and entry.rows == sum(piece.written for piece in result.pieces)
        staging.adopt(entry)
        written += entry.rows
    return written


def serial(backend: S3Env, ctx: RunContext, tasks: list[dict[str, Any]]) -> pa.Table:
    pipeline = compile_tasks(list(tasks))
    return pa.Table.from_batches([pipeline.apply(batch) for batch in source_for(backend, ctx).read()])


def published(backend: S3Env, prefix: str) -> list[str]:
    return [key for key in backend.listed() if key.startswith(prefix) and key.endswith(".parquet")]


def read(backend: S3Env, keys: list[str]) -> pa.Table:
    return pa.concat_tables([pq.read_table(pa.BufferReader(backend.get(key))) for key in keys])


def test_only_adopted_parts_are_published_in_split_order(backend: S3Env) -> None:
    backend.put("in/a.csv", quoted_csv(150, 1))
    backend.put("in/b.csv", quoted_csv(40, 2))
    ctx, destination = opened(backend, TASKS, PARQUET)
    written = stage_all(backend, ctx, destination)
    assert any(key.startswith(f"{STAGING_DIR}/") for key in backend.listed())  # the orphans exist
    result = destination.commit()
    expected = serial(backend, ctx, TASKS)
    assert written == result.records_written == expected.num_rows == 190
    keys = published(backend, "out/")
    assert keys == sorted(result.files) and len(keys) > 2  # one part file (or more) per kept split
    assert read(backend, keys).equals(expected)  # same rows, in split order
    assert not [key for key in backend.listed() if key.startswith(f"{STAGING_DIR}/")]  # orphans discarded


def test_partition_values_travel_in_the_manifest(backend: S3Env) -> None:
    backend.put("in/a.csv", lands_csv(200))
    ctx, destination = opened(backend, PARTITIONED, PARQUET)
    stage_all(backend, ctx, destination, orphans=False)
    result = destination.commit()
    assert [p["land"] for p in result.partitions] == ["DE", "FR", "JP"]
    expected = serial(backend, ctx, PARTITIONED)
    for land in ("DE", "FR", "JP"):
        keys = published(backend, f"out/orders-flow/{ctx.execution_id}/land={land}/")
        assert keys
        got = read(backend, keys)
        want = expected.filter(pa.compute.equal(expected.column("land"), land)).drop_columns(["land"])
        assert got.equals(want)


def test_an_abort_leaves_nothing(backend: S3Env) -> None:
    backend.put("in/a.csv", quoted_csv(80, 3))
    ctx, destination = opened(backend, TASKS, PARQUET)
    stage_all(backend, ctx, destination)
    destination.abort()
    assert [key for key in backend.listed() if not key.startswith("in/")] == []


def test_single_file_output_is_written_by_the_coordinator(backend: S3Env) -> None:
    _, destination = opened(backend, TASKS, {**PARQUET, "aggregationConfig": {"aggregationType": "SingleFile"}})
    assert remote_staging_of(destination) is None
    destination.abort()


def test_a_failed_split_deletes_what_it_staged(backend: S3Env) -> None:
    backend.put("in/a.csv", b"id,note,amount\n" + b"1,a,2\n" * 200 + b"2,b\n")  # the last row is short
    ctx, destination = opened(backend, TASKS, PARQUET)
    reading, job, _ = staged_job(backend, ctx, destination, split_bytes=256)
    failures = []
    for index, part in enumerate(reading.parts):
        result = split_worker.read_split(job, part, index)
        if result.failure is not None:
            assert result.staged is None
            if reading.keep(index, result.outcome):
                failures.append((index, result.failure.exception()))
        elif reading.keep(index, result.outcome):
            assert result.staged is not None
    [(index, failure)] = failures
    assert isinstance(failure, ConnectorError) and "a.csv" in failure.message
    failed = [key for key in backend.listed() if key.startswith(f"{STAGING_DIR}/") and f"ray-{index:05d}-" in key]
    assert index > 0 and any(f"ray-{index - 1:05d}-" in key for key in backend.listed())  # a kept split's part
    assert failed == []  # the failed attempt left nothing; the kept splits' parts wait for the abort

    # An attempt that fails after it staged some rows removes its part itself.
    def failing() -> Any:
        yield pa.record_batch({"id": ["1", "2"], "note": ["a", "b"], "amount": ["3", "4"]})
        raise ConnectorError("ServerError", "the connection dropped")

    before = set(backend.listed())
    run = split_worker._opened(job)
    assert job.staging is not None
    staged, late = split_worker._staged(run, failing(), job.staging, 99, "", [])
    assert staged is None and late is not None and late.message == "the connection dropped"
    assert set(backend.listed()) == before
    destination.abort()
    assert [key for key in backend.listed() if not key.startswith("in/")] == []


def test_a_destination_failure_on_a_worker_names_the_destination(backend: S3Env) -> None:
    backend.put("in/a.csv", quoted_csv(5, 1))
    ctx, destination = opened(backend, TASKS, PARQUET)
    reading, job, _ = staged_job(backend, ctx, destination)
    gone = dataclasses.replace(job.staging[0], props={**job.staging[0].props, "bucketName": "no-such-bucket"})
    result = split_worker.read_split(dataclasses.replace(job, staging=(gone,)), reading.parts[0], 0)
    assert result.failure is not None and result.failure.kind == "destination"
    assert result.failure.destination == 0 and result.failure.code == "ResourceNotFound"
    destination.abort()
