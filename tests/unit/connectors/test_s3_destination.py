"""S3Destination on both backends: formats, typing, layout, aggregation, staging, commit/abort."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from sluice.connectors import registry
from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.s3.destination import S3Destination, cleanup_staging, layout
from sluice.connectors.s3.source import S3Source
from tests.unit.connectors import s3_fixtures
from tests.unit.connectors.s3_fixtures import S3Env

backend = s3_fixtures.backend  # every test runs on the local store and on moto
moto_endpoint = s3_fixtures.moto_endpoint
NO_PROFILE = ProfileView(name=None, connector_type="S3")
EXEC = "3f2c9a1e-1111-4222-8333-944455556666"
TYPED = pa.record_batch(
    {
        "id": pa.array([1, 2, None], pa.int64()),
        "price": pa.array([1.5, None, 3.25]),
        "name": pa.array(["a, b", 'q"uote', "multi\nline"]),
        "ok": pa.array([True, False, None]),
    }
)


def destination(backend: S3Env, output: dict[str, Any] | None = None, prefix: str = "out", **ctx: Any) -> S3Destination:
    props: dict[str, Any] = {"bucketName": backend.bucket, "bucketPrefix": prefix}
    if output is not None:
        props["s3OutputFormatConfig"] = output
    spec = registry.CONNECTORS["S3"]
    assert spec.open_destination is not None
    opened = spec.open_destination(NO_PROFILE, props, backend.context(**ctx))
    assert isinstance(opened, S3Destination)
    return opened


def read_back(backend: S3Env, key: str) -> pa.Table:
    body = backend.get(key)
    if key.endswith(".parquet"):
        return pq.read_table(io.BytesIO(body))
    if key.endswith(".csv"):
        names = body.split(b"\n", 1)[0].decode().replace('"', "").split(",")
        convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True)
        return pacsv.read_csv(io.BytesIO(body), convert_options=convert)
    return pa.Table.from_pylist([json.loads(line) for line in body.decode().splitlines()])


@pytest.mark.parametrize("file_type", ["CSV", "JSON", "PARQUET"])
def test_round_trips_each_format(backend: S3Env, file_type: str) -> None:
    dest = destination(backend, {"fileType": file_type, "preserveSourceDataTyping": True})
    dest.write(TYPED)
    dest.write(TYPED)
    result = dest.commit()
    ext = {"CSV": "csv", "JSON": "json", "PARQUET": "parquet"}[file_type]
    key = f"out/orders-flow/{EXEC}/{EXEC}-part-00000.{ext}"
    assert result.files == [key] and backend.listed() == [key]
    assert result.records_written == 6
    assert result.bytes_written == len(backend.get(key))
    assert result.location == f"s3://{backend.bucket}/out/orders-flow/{EXEC}/"
    table = read_back(backend, key)
    expected = pa.Table.from_batches([TYPED, TYPED])
    if file_type == "CSV":  # CSV is text: every field a string, null an empty cell
        assert table.column("name").to_pylist() == expected.column("name").to_pylist()
        assert table.column("id").to_pylist() == ["1", "2", None] * 2
        assert table.column("ok").to_pylist() == ["true", "false", None] * 2
    else:
        assert table.to_pylist() == expected.to_pylist()
    if file_type == "PARQUET":
        assert table.schema.equals(TYPED.schema)
        assert pq.ParquetFile(io.BytesIO(backend.get(key))).metadata.row_group(0).column(0).compression == "SNAPPY"


def test_sluice_reads_back_what_it_wrote(backend: S3Env) -> None:
    dest = destination(backend, {"fileType": "CSV"})
    dest.write(TYPED)
    dest.commit()
    props = {"bucketName": backend.bucket, "bucketPrefix": "out/orders-flow"}
    table = pa.Table.from_batches(list(S3Source(NO_PROFILE, props, backend.context()).read()))
    assert table.column("name").to_pylist() == ["a, b", 'q"uote', "multi\nline"]
    assert table.column("price").to_pylist() == ["1.5", None, "3.25"]


@pytest.mark.parametrize(("preserve", "types"), [(None, ["string"] * 4), (False, ["string"] * 4),
                                                 (True, ["int64", "double", "string", "bool"])])
def test_preserve_source_data_typing(backend: S3Env, preserve: bool | None, types: list[str]) -> None:
    output: dict[str, Any] = {"fileType": "PARQUET"}
    if preserve is not None:
        output["preserveSourceDataTyping"] = preserve
    dest = destination(backend, output)
    dest.write(TYPED)
    result = dest.commit()
    table = read_back(backend, result.files[0])
    assert [str(t) for t in table.schema.types] == types
    assert result.schema is not None and [str(t) for t in result.schema.types] == types
    if not preserve:
        assert table.column("id").to_pylist() == ["1", "2", None]
        assert table.column("ok").to_pylist() == ["true", "false", None]


def test_strings_cover_timestamps_nested_and_binary(backend: S3Env) -> None:
    batch = pa.record_batch(
        {
            "at": pa.array([0, None], pa.timestamp("s", tz="UTC")),
            "tags": pa.array([["a", "b"], None]),
            "raw": pa.array([b"\x00\x01", None]),
            "day": pa.array([0, 1], pa.date32()),
        }
    )
    dest = destination(backend, {"fileType": "PARQUET"})
    dest.write(batch)
    table = read_back(backend, dest.commit().files[0])
    assert table.to_pylist() == [
        {"at": "1970-01-01T00:00:00Z", "tags": '["a", "b"]', "raw": "AAE=", "day": "1970-01-01"},
        {"at": None, "tags": None, "raw": None, "day": "1970-01-02"},
    ]


LAYOUTS = [
    (None, f"out/orders-flow/{EXEC}/{EXEC}-part-00000.json"),
    ({"pathPrefixHierarchy": []}, f"out/orders-flow/{EXEC}-part-00000.json"),
    ({"prefixType": "PATH", "prefixFormat": "YEAR"}, f"out/orders-flow/2024/{EXEC}/{EXEC}-part-00000.json"),
    ({"prefixType": "PATH", "prefixFormat": "MONTH"}, f"out/orders-flow/2024/03/{EXEC}/{EXEC}-part-00000.json"),
    ({"prefixType": "PATH", "prefixFormat": "DAY"}, f"out/orders-flow/2024/03/15/{EXEC}/{EXEC}-part-00000.json"),
    ({"prefixType": "PATH", "prefixFormat": "HOUR"}, f"out/orders-flow/2024/03/15/10/{EXEC}/{EXEC}-part-00000.json"),
    (
        {"prefixType": "PATH", "prefixFormat": "MINUTE"},
        f"out/orders-flow/2024/03/15/10/30/{EXEC}/{EXEC}-part-00000.json",
    ),
    ({"prefixFormat": "DAY"}, f"out/orders-flow/2024/03/15/{EXEC}/{EXEC}-part-00000.json"),
    ({"prefixType": "PATH"}, f"out/orders-flow/{EXEC}/{EXEC}-part-00000.json"),
    ({"prefixType": "FILENAME", "prefixFormat": "YEAR"}, f"out/orders-flow/{EXEC}/2024-{EXEC}-part-00000.json"),
    ({"prefixType": "FILENAME", "prefixFormat": "DAY"}, f"out/orders-flow/{EXEC}/2024-03-15-{EXEC}-part-00000.json"),
    (
        {"prefixType": "FILENAME", "prefixFormat": "MINUTE"},
        f"out/orders-flow/{EXEC}/2024-03-15T10-30-{EXEC}-part-00000.json",
    ),
    (
        {"prefixType": "PATH_AND_FILENAME", "prefixFormat": "HOUR"},
        f"out/orders-flow/2024/03/15/10/{EXEC}/2024-03-15T10-{EXEC}-part-00000.json",
    ),
    (
        {"pathPrefixHierarchy": ["SCHEMA_VERSION"]},
        f"out/orders-flow/schemaVersion_3/{EXEC}-part-00000.json",
    ),
    (
        {"pathPrefixHierarchy": ["EXECUTION_ID", "SCHEMA_VERSION"]},
        f"out/orders-flow/{EXEC}/schemaVersion_3/{EXEC}-part-00000.json",
    ),
    (
        {"prefixType": "PATH", "prefixFormat": "DAY", "pathPrefixHierarchy": ["SCHEMA_VERSION", "EXECUTION_ID"]},
        f"out/orders-flow/2024/03/15/schemaVersion_3/{EXEC}/{EXEC}-part-00000.json",
    ),
]


@pytest.mark.parametrize(("prefix_config", "key"), LAYOUTS)
def test_prefix_config_layout(backend: S3Env, prefix_config: dict[str, Any] | None, key: str) -> None:
    output: dict[str, Any] = {"fileType": "JSON"}
    if prefix_config is not None:
        output["prefixConfig"] = prefix_config
    dest = destination(backend, output)
    dest.write(TYPED)
    result = dest.commit()
    assert result.files == [key]
    assert backend.listed() == [key]
    assert result.location == f"s3://{backend.bucket}/{key.rsplit('/', 1)[0]}/"


def test_no_bucket_prefix_starts_at_the_flow_name(backend: S3Env) -> None:
    folders, file_prefix = layout(None, backend.context())
    assert (folders, file_prefix) == ([EXEC], "")
    dest = destination(backend, {"fileType": "CSV"}, prefix="")
    dest.write(TYPED)
    assert dest.commit().files == [f"orders-flow/{EXEC}/{EXEC}-part-00000.csv"]


def test_partitions_become_key_value_folders(backend: S3Env) -> None:
    dest = destination(backend, {"fileType": "CSV", "aggregationConfig": {"aggregationType": "SingleFile"}})
    batch = TYPED.append_column("region", pa.array(["eu", "eu", "eu"]))
    dest.write(batch, {"region": "eu", "day": "2024/03"})
    dest.write(batch.slice(0, 1), {"region": "us", "day": "x"})
    dest.write(batch, {"region": "eu", "day": "2024/03"})
    result = dest.commit()
    base = f"out/orders-flow/{EXEC}"
    assert result.files == [
        f"{base}/region=eu/day=2024%2F03/{EXEC}-part-00000.csv",
        f"{base}/region=us/day=x/{EXEC}-part-00001.csv",
    ]
    assert result.partitions == [{"region": "eu", "day": "2024/03"}, {"region": "us", "day": "x"}]
    table = read_back(backend, result.files[0])
    assert table.column_names == ["id", "price", "name", "ok"]  # partition columns live in the path
    assert table.num_rows == 6


@pytest.mark.parametrize("file_type", ["CSV", "JSON", "PARQUET"])
def test_aggregation_none_rolls_files_at_the_target_size(backend: S3Env, file_type: str) -> None:
    text = [f"{i:08d}-{i * 7919 % 100_003:032d}" for i in range(20_000)]  # distinct: no compressing away
    big = pa.record_batch({"id": pa.array(range(20_000)), "text": pa.array(text)})
    dest = destination(
        backend, {"fileType": file_type, "aggregationConfig": {"aggregationType": "None", "targetFileSize": 1}},
        batch_size=20_000,
    )
    for _ in range(6):
        dest.write(big)
    result = dest.commit()
    assert len(result.files) > 1
    assert [f.rsplit("-", 1)[1].split(".")[0] for f in result.files] == [f"{n:05d}" for n in range(len(result.files))]
    assert sum(read_back(backend, key).num_rows for key in result.files) == 120_000
    single = destination(
        backend, {"fileType": file_type, "aggregationConfig": {"aggregationType": "SingleFile", "targetFileSize": 1}},
        execution_id="single-run",
    )
    for _ in range(6):
        single.write(big)
    assert len(single.commit().files) == 1


def test_nothing_is_visible_before_commit_and_commit_publishes(backend: S3Env) -> None:
    dest = destination(backend, {"fileType": "PARQUET"}, batch_size=2)
    dest.write(TYPED)
    assert all(key.startswith(f".sluice-staging/{EXEC}/") for key in backend.listed())
    result = dest.commit()
    assert backend.listed() == result.files
    if backend.kind == "local":
        assert ".sluice-staging" not in backend.local_dirs()
    with pytest.raises(ConnectorError):
        dest.write(TYPED)


def test_abort_leaves_nothing(backend: S3Env) -> None:
    backend.put("out/existing.csv", b"id\n1\n")
    dest = destination(backend, {"fileType": "CSV", "aggregationConfig": {"targetFileSize": 1}})
    for _ in range(3):
        dest.write(TYPED)
    dest.abort()
    dest.abort()  # idempotent
    assert backend.listed() == ["out/existing.csv"]
    if backend.kind == "local":
        assert backend.local_dirs() == ["out"]


def test_abort_after_a_failed_commit_removes_published_files(backend: S3Env, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = destination(backend, {"fileType": "CSV"})
    dest.write(TYPED, {"p": "1"})
    dest.write(TYPED, {"p": "2"})
    original = dest.storage.move
    calls = []

    def failing_move(bucket: str, source: str, target: str) -> None:
        calls.append(source)
        if len(calls) == 2:
            raise OSError("disk gone")
        original(bucket, source, target)

    monkeypatch.setattr(dest.storage, "move", failing_move)
    with pytest.raises(ConnectorError):
        dest.commit()
    dest.abort()
    assert backend.listed() == []


def test_cleanup_staging_after_a_killed_run(backend: S3Env) -> None:
    dest = destination(backend, {"fileType": "JSON"})
    dest.write(TYPED)
    for output in list(dest._open.values()):
        output.close()  # the process dies here: files staged, never committed
    assert backend.listed()
    cleanup_staging({"bucketName": backend.bucket}, backend.data_dir, EXEC)
    assert backend.listed() == []
    cleanup_staging({"bucketName": "no-such-bucket-here"}, backend.data_dir, EXEC)  # nothing to do
    spec = registry.CONNECTORS["S3"]
    assert spec.cleanup_destination is not None
    spec.cleanup_destination({"bucketName": backend.bucket}, backend.data_dir, EXEC)


def test_manifest_precedes_the_moves_and_rolls_the_run_back(backend: S3Env) -> None:
    """Killed after publishing some files: the manifest names every key that may be visible."""
    backend.put("out/orders-flow/other/previous.csv", b"kept\n")  # another run's object
    seen: list[Any] = []

    def before_publish(manifest: Any) -> None:
        assert [k for k in backend.listed() if not k.startswith(".sluice-staging/")] == [
            "out/orders-flow/other/previous.csv"], "a file was published before its manifest"
        seen.append(manifest)

    dest = destination(backend, {"fileType": "CSV", "aggregationConfig": {"aggregationType": "SingleFile"}},
                       before_publish=before_publish)
    batch = TYPED.append_column("region", pa.array(["eu", "us", "eu"]))
    dest.write(batch.slice(0, 1), {"region": "eu"})
    dest.write(batch.slice(1, 1), {"region": "us"})
    result = dest.commit()
    [manifest] = seen
    assert manifest["bucket"] == backend.bucket and manifest["staging"] == f".sluice-staging/{EXEC}/"
    assert manifest["keys"] == result.files and len(result.files) == 2
    spec = registry.CONNECTORS["S3"]
    assert spec.rollback_destination is not None
    spec.rollback_destination(manifest, backend.data_dir)
    assert backend.listed() == ["out/orders-flow/other/previous.csv"]
    spec.rollback_destination(manifest, backend.data_dir)  # again: nothing left is fine


def test_open_files_are_bounded(backend: S3Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """More partitions than open files: the least recently written closes, later batches start new parts."""
    monkeypatch.setenv("SLUICE_S3_MAX_OPEN_FILES", "2")
    dest = destination(backend, {"fileType": "JSON"})
    for region in ("a", "b", "c", "a"):
        dest.write(TYPED.slice(0, 1), {"region": region})
        assert len(dest._open) <= 2
    result = dest.commit()
    assert [key.split("/")[-2] for key in result.files] == ["region=a", "region=b", "region=c", "region=a"]
    assert result.records_written == 4 and result.partitions == [{"region": r} for r in "abc"]


def test_empty_run_writes_nothing(backend: S3Env) -> None:
    dest = destination(backend, {"fileType": "PARQUET"})
    dest.write(TYPED.slice(0, 0))
    result = dest.commit()
    assert result.files == [] and result.records_written == 0 and backend.listed() == []


def test_missing_bucket_and_bad_config(backend: S3Env) -> None:
    with pytest.raises(ConnectorError) as caught:
        S3Destination(NO_PROFILE, {"bucketName": "no-such-bucket-here"}, backend.context())
    assert caught.value.code == "ResourceNotFound"
    for output in ({"fileType": "XML"}, {"prefixConfig": {"pathPrefixHierarchy": ["NOPE"]}}):
        with pytest.raises(ConnectorError) as caught:
            destination(backend, output)
        assert caught.value.code == "InvalidArgument"


@pytest.mark.parametrize("file_type", ["PARQUET", "CSV"])
def test_memory_stays_bounded_over_two_million_rows(tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
                                                     file_type: str) -> None:
    """Structural: every batch reaches the open file's stream; at most one batch of rows is held."""
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "SLUICE_S3_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "s3" / "big").mkdir(parents=True)
    env = S3Env("local", str(tmp_path), "big")
    batch_size = 50_000
    dest = S3Destination(NO_PROFILE, {"bucketName": "big", "s3OutputFormatConfig": {
        "fileType": file_type, "preserveSourceDataTyping": True}}, env.context(batch_size=batch_size))
    batch = pa.record_batch({"id": pa.array(range(10_000), pa.int64()), "v": pa.array([1.5] * 10_000),
                             "s": pa.array(["some text value"] * 10_000)})
    baseline = None
    streamed = []
    for index in range(200):  # 2,000,000 rows
        dest.write(batch)
        assert dest.buffered_rows <= batch_size
        output = next(iter(dest._open.values()))
        streamed.append(output.written_bytes)
        allocated = pa.total_allocated_bytes()
        if index == 10:
            baseline = allocated
        elif baseline is not None:
            assert allocated <= baseline + 16 * 1024 * 1024
    assert streamed[-1] > streamed[len(streamed) // 2] > streamed[10]  # bytes leave memory as we go
    result = dest.commit()
    assert result.records_written == 2_000_000


def test_files_a_source_hands_over_publish_beside_the_records(backend: S3Env) -> None:
    manifests: list[Any] = []
    dest = destination(backend, {"fileType": "PARQUET"}, before_publish=manifests.append)
    dest.write(TYPED)
    dest.add_file("101/v1.0/source/leaflet ñ.pdf", io.BytesIO(b"%PDF-1.4 one"))
    dest.add_file("101/v1.0/renditions/viewable_rendition__v/v.pdf", io.BytesIO(b"%PDF-1.4 two"))
    assert not [k for k in backend.listed() if k.endswith(".pdf")]  # staged, not visible yet
    result = dest.commit()
    files = f"out/orders-flow/{EXEC}/files"  # the run's own folder (AppFlow's default layout)
    assert backend.get(f"{files}/101/v1.0/source/leaflet ñ.pdf") == b"%PDF-1.4 one"
    assert backend.get(f"{files}/101/v1.0/renditions/viewable_rendition__v/v.pdf") == b"%PDF-1.4 two"
    assert f"{files}/101/v1.0/source/leaflet ñ.pdf" in manifests[0]["keys"]  # a rollback removes them too
    assert result.records_written == 3 and len(result.files) == 3
    assert not [k for k in backend.listed() if ".sluice-staging" in k]


def test_files_of_a_shared_folder_carry_the_execution_id(backend: S3Env) -> None:
    dest = destination(backend, {"fileType": "PARQUET", "prefixConfig": {"pathPrefixHierarchy": ["SCHEMA_VERSION"]}})
    dest.add_file("7/v0.1/source/a.pdf", io.BytesIO(b"a"))
    dest.commit()
    landed = [k for k in backend.listed() if k.endswith(".pdf")]
    assert landed == [f"out/orders-flow/schemaVersion_3/{EXEC}-files/7/v0.1/source/a.pdf"]


def test_handed_files_are_dropped_on_abort_and_must_stay_inside(backend: S3Env) -> None:
    dest = destination(backend, {"fileType": "PARQUET"})
    with pytest.raises(ConnectorError, match="inside the flow's folder"):
        dest.add_file("../../elsewhere.pdf", io.BytesIO(b"x"))
    dest.add_file("1/v0.1/source/a.pdf", io.BytesIO(b"x"))
    dest.abort()
    assert backend.listed() == []
