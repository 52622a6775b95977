"""Incremental pulls from S3 by last-modified time, on both backends.

A window is `(window_start, window_end]`: an object listed with last-modified time `t` is read
by the run whose window holds `t`, and by no other. Local mtimes are set with `os.utime` (exact
ns); moto stamps objects itself, so those tests read the listed time and place windows around it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.s3.source import S3Source, in_window
from sluice.connectors.s3.storage import ObjectInfo, Storage, open_storage
from tests.unit.connectors import s3_fixtures
from tests.unit.connectors.s3_fixtures import S3Env

backend = s3_fixtures.backend  # every test runs on the local store and on moto
moto_endpoint = s3_fixtures.moto_endpoint
NO_PROFILE = ProfileView(name=None, connector_type="S3")
BASE = 1_710_498_645  # 2024-03-15T10:30:45Z


def put(backend: S3Env, key: str, ident: str, mtime_ns: int | None = None) -> float:
    """Put a one-record CSV; on the local store set its mtime (ns). Returns the listed time."""
    backend.put(key, f"id\n{ident}\n".encode())
    if mtime_ns is not None and backend.kind == "local":
        os.utime(Path(backend.data_dir, "s3", backend.bucket, *key.split("/")), ns=(mtime_ns, mtime_ns))
    return listed_time(backend, key)


def listed_time(backend: S3Env, key: str) -> float:
    storage = open_storage(backend.data_dir)
    found = [item for item in storage.walk(backend.bucket, key) if item.key == key]
    assert found and found[0].last_modified is not None
    return found[0].last_modified


def source(backend: S3Env, start: float | None, end: float | None, storage: Storage | None = None,
           prefix: str = "in", **ctx: object) -> S3Source:
    props = {"bucketName": backend.bucket, "bucketPrefix": prefix}
    return S3Source(NO_PROFILE, props, backend.context(window_start=start, window_end=end, **ctx), storage)


def ids(src: S3Source) -> list[str]:
    batches = list(src.read())
    return pa.Table.from_batches(batches).column("id").to_pylist() if batches else []


class Hiding(Storage):
    """A storage whose listings miss some keys: an upload still in flight when a run lists."""

    def __init__(self, inner: Storage, hidden: set[str]) -> None:
        self.inner, self.hidden, self.kind = inner, hidden, inner.kind

    def walk(self, bucket: str, prefix: str) -> Iterator[ObjectInfo]:
        return (item for item in self.inner.walk(bucket, prefix) if item.key not in self.hidden)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    # The abstract methods, delegated.
    def list_buckets(self, max_results=None, token=None):  # type: ignore[no-untyped-def]
        return self.inner.list_buckets(max_results, token)

    def require_bucket(self, bucket):  # type: ignore[no-untyped-def]
        return self.inner.require_bucket(bucket)

    def list_level(self, bucket, prefix, max_keys=None, token=None):  # type: ignore[no-untyped-def]
        return self.inner.list_level(bucket, prefix, max_keys, token)

    def head(self, bucket, key):  # type: ignore[no-untyped-def]
        return None if key in self.hidden else self.inner.head(bucket, key)

    def read_head(self, bucket, key, length):  # type: ignore[no-untyped-def]
        return self.inner.read_head(bucket, key, length)

    def open_input_file(self, bucket, key):  # type: ignore[no-untyped-def]
        return self.inner.open_input_file(bucket, key)

    def open_input_stream(self, bucket, key):  # type: ignore[no-untyped-def]
        return self.inner.open_input_stream(bucket, key)

    def open_output_stream(self, bucket, key):  # type: ignore[no-untyped-def]
        return self.inner.open_output_stream(bucket, key)

    def move(self, bucket, source, target):  # type: ignore[no-untyped-def]
        return self.inner.move(bucket, source, target)

    def delete(self, bucket, key):  # type: ignore[no-untyped-def]
        return self.inner.delete(bucket, key)

    def delete_prefix(self, bucket, prefix):  # type: ignore[no-untyped-def]
        return self.inner.delete_prefix(bucket, prefix)

    def errors(self, target):  # type: ignore[no-untyped-def]
        return self.inner.errors(target)


def test_every_listing_reports_the_same_last_modified(backend: S3Env) -> None:
    before = time.time()
    backend.put("in/a.csv", b"id\n1\n")
    storage = open_storage(backend.data_dir)
    walked = next(iter(storage.walk(backend.bucket, "in/")))
    level = storage.list_level(backend.bucket, "in/").objects[0]
    head = storage.head(backend.bucket, "in/a.csv")
    assert head is not None
    assert walked.last_modified == level.last_modified == head.last_modified
    assert walked.last_modified is not None
    assert before - 2 <= walked.last_modified <= time.time() + 2  # real S3: whole seconds
    if backend.kind == "local":
        path = Path(backend.data_dir, "s3", backend.bucket, "in", "a.csv")
        assert walked.last_modified == path.stat().st_mtime_ns / 1_000_000_000  # int/int: correctly rounded
    assert walked == ObjectInfo("in/a.csv", 5)  # the time takes no part in equality


def test_boundary_objects_belong_to_the_earlier_window(backend: S3Env) -> None:
    ns = BASE * 1_000_000_000 + 500_000_000  # b = BASE + 0.5 s, exactly
    times = {
        "in/1.csv": put(backend, "in/1.csv", "1", ns - 1_000_000_000),
        "in/2.csv": put(backend, "in/2.csv", "2", ns),  # exactly on the boundary b
        "in/3.csv": put(backend, "in/3.csv", "3", ns),
        "in/4.csv": put(backend, "in/4.csv", "4", ns + 1_000),  # one microsecond after b
        "in/5.csv": put(backend, "in/5.csv", "5", ns + 2_000_000_000),
        # Epoch seconds as a float resolve about 0.24 us today: 1 ns after b lists as b itself.
        "in/6.csv": put(backend, "in/6.csv", "6", ns + 1),
    }
    b = times["in/2.csv"]
    first, second = ids(source(backend, None, b)), ids(source(backend, b, max(times.values()) + 10))
    assert sorted(first + second) == ["1", "2", "3", "4", "5", "6"]  # none missed, none twice
    assert "2" in first and "2" not in second  # the object exactly on the boundary: earlier window
    if times["in/3.csv"] == b:  # moto stamps uploads itself, in whole seconds: 3 may land later
        assert "3" in first and "3" not in second
    if backend.kind == "local":
        assert times["in/6.csv"] == b
        assert (first, second) == (["1", "2", "3", "6"], ["4", "5"])
        a = times["in/1.csv"]
        assert a == b - 1
        assert ids(source(backend, a, b)) == ["2", "3", "6"]  # (a, b]: the object at a is out
        assert ids(source(backend, a - 0.001, a)) == ["1"]


def test_consecutive_windows_read_every_object_exactly_once(backend: S3Env) -> None:
    step = 250_000_000  # 0.25 s apart on the local store; moto stamps its own times
    times = [put(backend, f"in/{i:02}.csv", str(i), BASE * 1_000_000_000 + i * step) for i in range(12)]
    bounds = sorted({*times, times[0] - 5, max(times) + 5, (times[3] + times[4]) / 2})
    seen: list[str] = []
    start: float | None = None
    for end in bounds:
        got = ids(source(backend, start, end))
        assert all(start is None or start < t <= end for i, t in enumerate(times) if str(i) in got)
        seen += got
        start = end
    assert sorted(seen, key=int) == [str(i) for i in range(12)]


def test_no_lower_bound_reads_everything_up_to_the_end(backend: S3Env) -> None:
    t1 = put(backend, "in/a.csv", "1", (BASE - 10**6) * 1_000_000_000)
    assert ids(source(backend, None, t1)) == ["1"]
    assert ids(source(backend, None, t1 - 1)) == []
    assert ids(source(backend, None, None)) == ["1"]  # a complete pull ignores the times


def test_a_late_arriving_object_is_not_read_by_the_next_window(backend: S3Env) -> None:
    """S3 semantics, as in AppFlow: a window is chosen by last-modified time, once.

    An object whose last-modified time falls in a window that already ran (an upload still in
    flight when that run listed, or a file copied in with its old mtime) is not read later.
    """
    ta = put(backend, "in/a.csv", "a", BASE * 1_000_000_000)
    tx = put(backend, "in/x.csv", "x", BASE * 1_000_000_000 + 1)
    end = max(ta, tx)
    storage = open_storage(backend.data_dir)
    assert ids(source(backend, None, end, Hiding(storage, {"in/x.csv"}))) == ["a"]
    assert ids(source(backend, end, end + 3600, storage)) == []  # x is never read


def test_a_file_copied_in_with_an_old_mtime_is_skipped(backend: S3Env) -> None:
    if backend.kind != "local":
        pytest.skip("S3 sets LastModified itself")
    put(backend, "in/a.csv", "a", BASE * 1_000_000_000)
    assert ids(source(backend, BASE - 60, BASE + 60)) == ["a"]
    put(backend, "in/old.csv", "old", (BASE - 30) * 1_000_000_000)  # e.g. `cp -p`, `rsync -t`
    put(backend, "in/new.csv", "new", (BASE + 90) * 1_000_000_000)
    assert ids(source(backend, BASE + 60, BASE + 120)) == ["new"]


def test_a_failed_run_rereads_the_same_window(backend: S3Env) -> None:
    body = "id\n" + "".join(f"{i}\n" for i in range(500))
    for name in "abc":
        backend.put(f"in/{name}.csv", body.encode())
        if backend.kind == "local":
            path = Path(backend.data_dir, "s3", backend.bucket, "in", f"{name}.csv")
            os.utime(path, ns=(BASE * 1_000_000_000, BASE * 1_000_000_000))
    end = max(listed_time(backend, f"in/{name}.csv") for name in "abc")
    reader = source(backend, None, end, batch_size=100).read()
    partial = [next(reader).num_rows for _ in range(3)]
    reader.close()  # the run fails half-way; the window is not advanced
    assert sum(partial) == 300
    # Something arrives after the window before the retry.
    if backend.kind == "local":
        put(backend, "in/d.csv", "late", (BASE + 1) * 1_000_000_000)
    else:
        while time.time() < end + 1.05:  # real S3 stamps whole seconds: wait for the next one
            time.sleep(0.05)
        put(backend, "in/d.csv", "late")
    assert listed_time(backend, "in/d.csv") > end
    first = source(backend, None, end)
    retried = ids(first)
    assert retried == [str(i) for i in range(500)] * 3
    assert ids(source(backend, None, end)) == retried
    assert first.stats.bytes_read == 3 * len(body)  # the object outside the window is not read
    assert ids(source(backend, end, end + 3600)) == ["late"]


def test_a_prefix_naming_one_object_is_windowed_too(backend: S3Env) -> None:
    t = put(backend, "in/a.csv", "1", BASE * 1_000_000_000)
    assert ids(source(backend, None, t, prefix="in/a.csv")) == ["1"]
    assert ids(source(backend, t, t + 3600, prefix="in/a.csv")) == []


def test_a_window_field_leaves_the_filtering_to_the_engine(backend: S3Env) -> None:
    t = put(backend, "in/a.csv", "1", BASE * 1_000_000_000)
    src = source(backend, t, t + 3600, window_field="updated_at")
    assert not src.windowed
    assert ids(src) == ["1"]


def test_an_object_without_a_time_cannot_be_placed() -> None:
    with pytest.raises(ConnectorError) as caught:
        in_window(ObjectInfo("in/a.csv", 3), None, 10.0)
    assert caught.value.code == "ServerError"
    assert "in/a.csv" in caught.value.message
    assert in_window(ObjectInfo("k", 1, 10.0), None, 10.0)
    assert not in_window(ObjectInfo("k", 1, 10.0), 10.0, 20.0)
