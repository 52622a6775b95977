"""The S3 storage interface on both backends: the embedded local store and moto's S3 server."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.s3.local import LocalStorage
from sluice.connectors.s3.metadata import S3Metadata
from sluice.connectors.s3.storage import AwsStorage, backend_name, open_storage
from tests.unit.connectors import s3_fixtures
from tests.unit.connectors.s3_fixtures import S3Env

backend = s3_fixtures.backend  # every test runs on the local store and on moto
moto_endpoint = s3_fixtures.moto_endpoint
NO_PROFILE = ProfileView(name=None, connector_type="S3")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "local"),
        ({"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"}, "aws"),
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:9000"}, "aws"),
        ({"SLUICE_S3_BACKEND": "aws"}, "aws"),
        ({"SLUICE_S3_BACKEND": "local", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"}, "local"),
        ({"SLUICE_S3_BACKEND": " AWS "}, "aws"),
    ],
)
def test_backend_selection(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str) -> None:
    for name in ("SLUICE_S3_BACKEND", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert backend_name() == expected


def test_unknown_backend_is_invalid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_S3_BACKEND", "gcs")
    with pytest.raises(ConnectorError) as caught:
        open_storage("/tmp")
    assert caught.value.code == "InvalidArgument"


def test_open_storage_picks_the_class(backend: S3Env) -> None:
    storage = open_storage(backend.data_dir)
    assert isinstance(storage, LocalStorage if backend.kind == "local" else AwsStorage)
    assert storage.kind == backend.kind


def test_objects_round_trip(backend: S3Env) -> None:
    storage = open_storage(backend.data_dir)
    with storage.open_output_stream(backend.bucket, "a/b/one.bin") as out:
        out.write(b"hello world")
    assert backend.get("a/b/one.bin") == b"hello world"
    head = storage.head(backend.bucket, "a/b/one.bin")
    assert head is not None and head.size == 11
    assert storage.head(backend.bucket, "a/b/missing") is None
    assert storage.read_head(backend.bucket, "a/b/one.bin", 5) == b"hello"
    with storage.open_input_stream(backend.bucket, "a/b/one.bin") as stream:
        assert stream.read() == b"hello world"
    with storage.open_input_file(backend.bucket, "a/b/one.bin") as handle:
        handle.seek(6)
        assert handle.read() == b"world"


def test_walk_is_recursive_and_in_key_order(backend: S3Env) -> None:
    for key in ("z.csv", "data/b.csv", "data/a/2.csv", "data/a/10.csv", "data-other/x.csv", "data/c/"):
        backend.put(key, b"" if key.endswith("/") else b"x")
    storage = open_storage(backend.data_dir)
    keys = [item.key for item in storage.walk(backend.bucket, "data/")]
    expected = ["data/a/10.csv", "data/a/2.csv", "data/b.csv"]
    if backend.kind == "aws":
        expected.append("data/c/")  # a "folder" marker object; the source skips it
    assert keys == expected
    assert "data-other/x.csv" in [item.key for item in storage.walk(backend.bucket, "data")]


def test_list_level_pages_folders_and_objects(backend: S3Env) -> None:
    for key in ("top/a.csv", "top/b.csv", "top/sub/c.csv", "top/zz/d.csv"):
        backend.put(key, b"x")
    storage = open_storage(backend.data_dir)
    first = storage.list_level(backend.bucket, "top/", max_keys=2)
    assert [o.key for o in first.objects] == ["top/a.csv", "top/b.csv"] and first.next_token
    rest = storage.list_level(backend.bucket, "top/", max_keys=10, token=first.next_token)
    assert rest.folders == ["top/sub/", "top/zz/"] and rest.next_token is None


def test_move_and_delete_prefix_leave_nothing(backend: S3Env) -> None:
    storage = open_storage(backend.data_dir)
    for key in ("stage/x/1.csv", "stage/x/2.csv"):
        with storage.open_output_stream(backend.bucket, key) as out:
            out.write(b"1")
    storage.move(backend.bucket, "stage/x/1.csv", "final/1.csv")
    storage.delete_prefix(backend.bucket, "stage/")
    assert backend.listed() == ["final/1.csv"]
    if backend.kind == "local":
        assert backend.local_dirs() == ["final"]
    storage.delete(backend.bucket, "final/1.csv")
    storage.delete_prefix(backend.bucket, "nothing/here/")
    assert backend.listed() == []


def test_missing_bucket_is_resource_not_found(backend: S3Env) -> None:
    storage = open_storage(backend.data_dir)
    with pytest.raises(ConnectorError) as caught, storage.errors("s3://no-such-bucket-here/"):
        storage.require_bucket("no-such-bucket-here")
    assert caught.value.code == "ResourceNotFound"
    with pytest.raises(ConnectorError) as caught, storage.errors("s3://no-such-bucket-here/"):
        list(storage.walk("no-such-bucket-here", ""))
    assert caught.value.code == "ResourceNotFound"


def test_local_keys_cannot_escape_the_bucket(tmp_path: pytest.TempPathFactory) -> None:
    storage = LocalStorage(str(tmp_path))
    for bucket, key in (("b", "../x"), ("b", "/abs"), ("..", "x"), ("b", "a/./c")):
        with pytest.raises(ConnectorError) as caught:
            storage.path(bucket, key)
        assert caught.value.code == "InvalidArgument"


def test_metadata_runs_on_either_backend(backend: S3Env) -> None:
    backend.put("sales/2024/orders.csv", b"id,name,amount\n1,a,2.5\n")
    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": pa.array([1], pa.int64()), "ok": [True]}), buffer)
    backend.put("warehouse/users.parquet", buffer.getvalue())
    metadata = S3Metadata()
    buckets = metadata.list_entities(NO_PROFILE, None, None, None).entities
    assert {"name": backend.bucket, "label": backend.bucket, "hasNestedEntities": True} in buckets
    page = metadata.list_entities(NO_PROFILE, backend.bucket, None, None)
    assert [e["name"] for e in page.entities] == [f"{backend.bucket}/sales", f"{backend.bucket}/warehouse"]
    fields = metadata.describe_entity(NO_PROFILE, f"{backend.bucket}/sales")
    assert [f["identifier"] for f in fields] == ["id", "name", "amount"]
    fields = metadata.describe_entity(NO_PROFILE, f"{backend.bucket}/warehouse")
    assert {f["identifier"]: f["supportedFieldTypeDetails"]["v1"]["fieldType"] for f in fields} == {
        "id": "Integer",
        "ok": "Boolean",
    }
    with pytest.raises(ConnectorError) as caught:
        metadata.describe_entity(NO_PROFILE, "no-such-bucket-here/x")
    assert caught.value.code == "ResourceNotFound"


def test_local_metadata_pages_buckets(tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "SLUICE_S3_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    for bucket in ("b-one", "b-three", "b-two"):
        (tmp_path / "s3" / bucket).mkdir(parents=True)  # type: ignore[operator]
    metadata = S3Metadata(storage_factory=lambda: open_storage(str(tmp_path)))
    first = metadata.list_entities(NO_PROFILE, None, 2, None)
    assert [e["name"] for e in first.entities] == ["b-one", "b-three"] and first.next_token
    rest = metadata.list_entities(NO_PROFILE, None, 2, first.next_token)
    assert [e["name"] for e in rest.entities] == ["b-two"] and rest.next_token is None


def test_local_writes_survive_a_shared_folder_pruned_under_them(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Another run deleting its last file prunes the shared folder between our mkdir and open."""
    storage = LocalStorage(str(tmp_path))
    (tmp_path / "b").mkdir()
    real_mkdir = os.mkdir
    pruned: list[str] = []

    def mkdir_then_pruned(path: Any, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
        real_mkdir(path, mode, dir_fd=dir_fd)
        if str(path) in {".sluice-staging", "out"} and str(path) not in pruned:
            pruned.append(str(path))
            os.rmdir(path, dir_fd=dir_fd)  # the other run's prune, at the worst moment

    monkeypatch.setattr(os, "mkdir", mkdir_then_pruned)
    with storage.open_output_stream("b", ".sluice-staging/run-1/part-0.csv") as out:
        out.write(b"1")
    storage.move("b", ".sluice-staging/run-1/part-0.csv", "out/part-0.csv")
    assert (tmp_path / "b" / "out" / "part-0.csv").read_bytes() == b"1"
    assert pruned == [".sluice-staging", "out"]
