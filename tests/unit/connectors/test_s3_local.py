"""sluice.connectors.s3.local: the bucket policy (also for error buckets), and no symlink followed under the root."""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

import pyarrow as pa
import pytest

from sluice.connectors.base import ConnectorError, RunContext
from sluice.connectors.error_records import ErrorSink
from sluice.connectors.s3 import local as local_module
from sluice.connectors.s3.local import LocalStorage

SECRET = b"top-secret-key-material\n"


class Only:
    """A `BucketPolicy` allowing the named buckets."""

    def __init__(self, *names: str) -> None:
        self.names = set(names)
        self.asked: list[set[str]] = []

    def allowed(self, names: Collection[str]) -> set[str]:
        self.asked.append(set(names))
        return self.names & set(names)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/b (a real bucket with links inside), root/other, root/alias -> root/b, and an outside folder."""
    root = tmp_path / "s3"
    (root / "b" / "in").mkdir(parents=True)
    (root / "b" / "in" / "real.csv").write_bytes(b"id\n1\n")
    (root / "other").mkdir()
    (root / "other" / "x.csv").write_bytes(b"id\n2\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.csv").write_bytes(b"id\n3\n")
    (tmp_path / "master.key").write_bytes(SECRET)
    (root / "b" / "in" / "key.csv").symlink_to(tmp_path / "master.key")
    (root / "b" / "in" / "out").symlink_to(outside, target_is_directory=True)
    (root / "b" / "link").symlink_to(outside, target_is_directory=True)
    (root / "alias").symlink_to(root / "b", target_is_directory=True)
    os.mkfifo(root / "b" / "in" / "pipe.csv")
    return tmp_path


def storage(tree: Path, policy: Only | None = None) -> LocalStorage:
    return LocalStorage(str(tree / "s3"), policy)


def code(call: object) -> str:
    with pytest.raises(ConnectorError) as caught:
        call()  # type: ignore[operator]
    return caught.value.code


def test_listings_keep_real_folders_and_files_only(tree: Path) -> None:
    local = storage(tree)
    assert local.list_buckets() == (["b", "other"], None)
    level = local.list_level("b", "in/")
    assert level.folders == [] and [o.key for o in level.objects] == ["in/real.csv"]
    assert local.list_level("b", "").folders == ["in/"]
    assert [o.key for o in local.walk("b", "")] == ["in/real.csv"]
    assert local.list_level("b", "link/").objects == [] and list(local.walk("b", "link/")) == []
    assert list(local.walk("b", "in/out/")) == []


def test_reads_through_links_are_refused(tree: Path) -> None:
    local = storage(tree)
    assert local.head("b", "in/key.csv") is None and local.head("b", "in/out/o.csv") is None
    assert local.head("b", "in/pipe.csv") is None
    for key in ("in/key.csv", "in/out/o.csv", "link/o.csv", "in/pipe.csv"):
        assert code(lambda k=key: local.read_head("b", k, 100)) == "ResourceNotFound"
        assert code(lambda k=key: local.open_input_stream("b", k)) == "ResourceNotFound"
        assert code(lambda k=key: local.open_input_file("b", k)) == "ResourceNotFound"
    assert local.read_head("b", "in/real.csv", 100) == b"id\n1\n"
    with local.open_input_file("b", "in/real.csv") as handle:
        assert handle.read() == b"id\n1\n"


def test_a_linked_bucket_folder_does_not_exist(tree: Path) -> None:
    local = storage(tree)
    for call in (lambda: local.require_bucket("alias"), lambda: list(local.walk("alias", "")),
                 lambda: local.read_head("alias", "in/real.csv", 10),
                 lambda: local.open_output_stream("alias", "new.csv")):
        assert code(call) == "ResourceNotFound"
    assert not (tree / "s3" / "b" / "new.csv").exists()


def test_writes_moves_and_deletes_never_go_through_links(tree: Path) -> None:
    local = storage(tree)
    assert code(lambda: local.open_output_stream("b", "in/out/w.csv")) == "InvalidArgument"
    assert code(lambda: local.open_output_stream("b", "link/deeper/w.csv")) == "InvalidArgument"
    assert code(lambda: local.open_output_stream("b", "in/key.csv")) == "InvalidArgument"
    with local.open_output_stream("b", "stage/a.csv") as out:
        out.write(b"id\n9\n")
    assert code(lambda: local.move("b", "stage/a.csv", "link/a.csv")) == "InvalidArgument"
    assert code(lambda: local.move("b", "in/key.csv", "moved.csv")) == "ResourceNotFound"
    local.delete("b", "in/key.csv")
    local.delete_prefix("b", "link/")
    local.delete_prefix("b", "in/out/")
    assert (tree / "master.key").read_bytes() == SECRET
    assert sorted(p.name for p in (tree / "outside").iterdir()) == ["o.csv"]
    assert (tree / "s3" / "b" / "in" / "key.csv").is_symlink()
    local.move("b", "stage/a.csv", "final/a.csv")
    assert (tree / "s3" / "b" / "final" / "a.csv").read_bytes() == b"id\n9\n"


def test_a_bucket_the_policy_refuses_looks_missing(tree: Path) -> None:
    policy = Only("b")
    local = storage(tree, policy)
    assert local.list_buckets() == (["b"], None)
    refused = pytest.raises(ConnectorError)
    with refused as caught:
        local.require_bucket("other")
    with pytest.raises(ConnectorError) as missing:
        local.require_bucket("nothing-here")
    assert caught.value.code == missing.value.code == "ResourceNotFound"
    assert str(caught.value).replace("other", "X") == str(missing.value).replace("nothing-here", "X")
    assert str(tree) not in str(caught.value)
    for call in (lambda: local.list_level("other", ""), lambda: local.head("other", "x.csv"),
                 lambda: local.read_head("other", "x.csv", 10), lambda: local.open_output_stream("other", "y.csv"),
                 lambda: local.delete("other", "x.csv"), lambda: local.delete_prefix("other", "a/")):
        assert code(call) == "ResourceNotFound"
    assert (tree / "s3" / "other" / "x.csv").exists() and not (tree / "s3" / "other" / "y.csv").exists()


def test_create_bucket_makes_a_folder_but_not_over_a_link(tree: Path) -> None:
    local = storage(tree)
    assert local.create_bucket("fresh") is True and (tree / "s3" / "fresh").is_dir()
    assert local.create_bucket("fresh") is False
    assert code(lambda: local.create_bucket("alias")) == "InvalidArgument"
    assert local.folders() == ["b", "fresh", "other"]


def test_error_buckets_follow_the_runs_policy(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_S3_BACKEND", "local")
    ctx = RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir=str(tree),
                     buckets=Only("b"))
    assert code(lambda: ErrorSink({"bucketName": "other"}, ctx).check()) == "ResourceNotFound"
    sink = ErrorSink({"bucketName": "b", "bucketPrefix": "errs"}, ctx)
    sink.check()
    sink.add([{"id": 1}], "E", "refused")
    assert sink.commit() == "s3://b/errs/f/e/errors.jsonl"


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_objects_open_as_arrow_files_and_as_python_files_without_proc(tree: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Arrow's own files read and write without holding the GIL; without /proc a Python file does.
    local = storage(tree)
    before = open_descriptors()
    for expect_python in (False, True):
        if expect_python:
            monkeypatch.setattr(local_module, "PROC_FD", str(tree / "no-proc" / "{}"))
        with local.open_input_file("b", "in/real.csv") as handle:
            assert isinstance(handle, pa.PythonFile) is expect_python
            assert handle.read_at(2, 3) == b"1\n" and handle.size() == 5
        with local.open_input_stream("b", "in/real.csv") as stream:
            assert isinstance(stream, pa.PythonFile) is expect_python and stream.read() == b"id\n1\n"
        with local.open_output_stream("b", f"stage/{expect_python}.csv") as out:
            assert isinstance(out, pa.PythonFile) is expect_python
            out.write(b"id\n")
            out.write(b"7\n")
            assert out.tell() == 5
        assert (tree / "s3" / "b" / "stage" / f"{expect_python}.csv").read_bytes() == b"id\n7\n"
        assert open_descriptors() == before  # the descriptor Arrow reopened was closed
    # The reopened file is the one the checked descriptor holds: links stay refused.
    assert code(lambda: local.open_input_file("b", "in/key.csv")) == "ResourceNotFound"
