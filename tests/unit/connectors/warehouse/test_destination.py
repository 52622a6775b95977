"""WarehouseDestination: staging, one load, refused rows, fail-fast, abort and restart cleanup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sluice.connectors.base import ConnectorError, RunContext
from sluice.connectors.s3.storage import Storage, open_storage
from sluice.connectors.warehouse import Column, Staged, WarehouseDestination, cleanup_staged, staging

COLUMNS = [Column("id", pa.int64(), "bigint", nullable=False), Column("name", pa.string(), "varchar(4)", max_length=4)]


class ListTable(WarehouseDestination):
    """A 'table' that is a Python list; its load reads the staged parts back, or fails on demand."""

    def __init__(self, ctx: RunContext, storage: Storage, fail: bool = False, **kwargs: Any) -> None:
        super().__init__(ctx, storage=storage, bucket="stage", prefix="appflow/", target="public.t", columns=COLUMNS,
                         **kwargs)
        self.storage, self.fail = storage, fail
        self.table: list[dict[str, Any]] = []
        self.loads: list[Staged] = []
        self.released = 0

    def _load(self, staged: Staged) -> None:
        self.loads.append(staged)
        if self.fail:
            raise ConnectorError("ServerError", "the load failed")
        for key in staged.keys:
            self.table += pq.read_table(self.storage.open_input_file(staged.bucket, key)).to_pylist()

    def _release(self) -> None:
        self.released += 1


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[RunContext, Storage, Path]:
    monkeypatch.setenv("SLUICE_S3_BACKEND", "local")
    for bucket in ("stage", "errors"):
        (tmp_path / "s3" / bucket).mkdir(parents=True)
    manifests: list[Any] = []
    ctx = RunContext(flow_name="f", execution_id="exec-1", schema_version=1, started_at=0.0, data_dir=str(tmp_path),
                     before_publish=manifests.append)
    return ctx, open_storage(str(tmp_path)), tmp_path


def _batch(ids: list[Any], names: list[Any]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({"ID": pa.array(ids, pa.string()), "name": names})


def test_rows_are_staged_as_parquet_then_loaded_once_and_the_parts_deleted(env: Any, monkeypatch: Any) -> None:
    ctx, storage, root = env
    monkeypatch.setattr(staging, "ROW_GROUP_ROWS", 3)
    monkeypatch.setattr(staging, "PART_ROWS", 4)
    dest = ListTable(ctx, storage, error_config={"bucketName": "errors"})
    dest.write(_batch(["1", "2", "3"], ["a", "b", "c"]))
    dest.write(_batch(["4", "5", "6"], ["d", None, "f"]))  # the first part is full (6 >= 4 rows)
    dest.write(_batch(["7"], ["g"]))
    result = dest.commit()
    assert [row["id"] for row in dest.table] == [1, 2, 3, 4, 5, 6, 7]
    (staged,) = dest.loads
    assert staged.columns == ["id", "name"] and staged.rows == 7 and len(staged.keys) == 2
    assert staged.folder == "appflow/exec-1/" and staged.url == "s3://stage/appflow/exec-1/"
    assert result.records_written == 7 and result.put_failures == 0 and result.location == "public.t"
    assert result.bytes_written == staged.bytes > 0
    assert not list((root / "s3" / "stage").rglob("*.parquet"))
    assert not (root / "s3" / "errors" / "f").exists()
    assert dest.released == 1


def test_refused_rows_are_counted_and_kept_in_the_error_bucket(env: Any) -> None:
    ctx, storage, root = env
    dest = ListTable(ctx, storage, error_config={"bucketName": "errors", "bucketPrefix": "errs"})
    dest.write(_batch(["1", "two", "3"], ["a", "b", "toolong"]))
    result = dest.commit()
    assert [row["id"] for row in dest.table] == [1]
    assert result.records_written == 1 and result.put_failures == 2
    lines = (root / "s3" / "errors" / "errs" / "f" / "exec-1" / "errors.jsonl").read_text().splitlines()
    assert [json.loads(line)["errorCode"] for line in lines] == ["TypeMismatch", "ValueTooLong"]
    assert json.loads(lines[1])["ID"] == "3"


def test_fail_fast_stops_at_the_first_refusal_before_anything_is_loaded(env: Any) -> None:
    ctx, storage, root = env
    dest = ListTable(ctx, storage, error_config={"bucketName": "errors", "failOnFirstDestinationError": True})
    dest.write(_batch(["1"], ["a"]))
    with pytest.raises(ConnectorError, match=r"first refused record .*Nothing was loaded into public.t; "
                                             r"the refused records are in s3://errors/f/exec-1/errors.jsonl"):
        dest.write(_batch(["x"], ["b"]))
    dest.abort()
    assert dest.loads == [] and dest.table == []
    assert not list((root / "s3" / "stage").rglob("*.parquet"))
    assert (root / "s3" / "errors" / "f" / "exec-1" / "errors.jsonl").exists()


def test_a_failed_load_deletes_the_parts_and_says_what_was_refused(env: Any) -> None:
    ctx, storage, root = env
    dest = ListTable(ctx, storage, fail=True, error_config={"bucketName": "errors"})
    dest.write(_batch(["1", "x"], ["a", "b"]))
    with pytest.raises(ConnectorError, match=r"the load failed\. 1 record\(s\) had been refused"):
        dest.commit()
    dest.abort()
    assert not list((root / "s3" / "stage").rglob("*.parquet"))


def test_nothing_to_load_skips_the_load(env: Any) -> None:
    ctx, storage, _ = env
    dest = ListTable(ctx, storage, error_config=None)
    assert dest.commit().records_written == 0 and dest.loads == []


def test_a_missing_staging_bucket_is_refused_up_front(env: Any) -> None:
    ctx, storage, root = env
    (root / "s3" / "stage").rmdir()
    with pytest.raises(ConnectorError) as caught:
        ListTable(ctx, storage, error_config=None)
    assert caught.value.code == "ResourceNotFound"


def test_restart_cleanup_removes_a_killed_runs_parts_only(env: Any) -> None:
    ctx, storage, root = env
    dest = ListTable(ctx, storage, error_config=None)
    dest.write(_batch(["1"], ["a"]))
    dest.parts.close()
    other = root / "s3" / "stage" / "appflow" / "exec-2"
    other.mkdir(parents=True)
    (other / "keep.parquet").write_bytes(b"x")
    cleanup_staged({"intermediateBucketName": "stage", "bucketPrefix": "appflow"}, str(root), "exec-1")
    assert not (root / "s3" / "stage" / "appflow" / "exec-1").exists()
    assert (other / "keep.parquet").exists()
    cleanup_staged({"intermediateBucketName": "gone", "bucketPrefix": "appflow"}, str(root), "exec-1")
