"""S3Source on both backends: CSV, JSON lines and Parquet in; errors; stats; early stop."""

from __future__ import annotations

import io
import json
import threading

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sluice.connectors import registry
from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.s3.source import S3Source
from tests.unit.connectors import s3_fixtures
from tests.unit.connectors.s3_fixtures import S3Env

backend = s3_fixtures.backend  # every test runs on the local store and on moto
moto_endpoint = s3_fixtures.moto_endpoint
NO_PROFILE = ProfileView(name=None, connector_type="S3")

QUOTED = (
    b'id,name,note\n'
    b'1,"Smith, Jane","said ""hi"""\n'
    b'2,,"two\nlines"\n'
    b'3,"",x\n'
)


def read_all(source: S3Source) -> pa.Table:
    batches = list(source.read())
    return pa.Table.from_batches(batches) if batches else pa.table({})


def source_for(backend: S3Env, prefix: str = "in", file_type: str | None = None, **ctx: object) -> S3Source:
    props: dict[str, object] = {"bucketName": backend.bucket, "bucketPrefix": prefix}
    if file_type:
        props["s3InputFormatConfig"] = {"s3InputFileType": file_type}
    spec = registry.CONNECTORS["S3"]
    assert spec.open_source is not None
    source = spec.open_source(NO_PROFILE, props, backend.context(**ctx))
    assert isinstance(source, S3Source)
    return source


def test_quoted_csv_fields_are_strings_and_empty_cells_null(backend: S3Env) -> None:
    backend.put("in/a.csv", QUOTED)
    table = read_all(source_for(backend))
    assert table.schema == pa.schema([("id", pa.string()), ("name", pa.string()), ("note", pa.string())])
    assert table.to_pylist() == [
        {"id": "1", "name": "Smith, Jane", "note": 'said "hi"'},
        {"id": "2", "name": None, "note": "two\nlines"},
        {"id": "3", "name": "", "note": "x"},  # a quoted empty string stays a string
    ]


def test_reads_every_file_recursively_in_key_order_and_skips_non_data(backend: S3Env) -> None:
    backend.put("in/b.csv", b"id,v\n3,c\n")
    backend.put("in/a/2.csv", b"id,v\n2,b\n")
    backend.put("in/a/1.csv", b"\xef\xbb\xbfid,v\n1,a\n")  # a byte-order mark is not part of the header
    backend.put("in/empty.csv", b"")
    backend.put("in/folder/", b"")
    backend.put("in-other/x.csv", b"id,v\n9,z\n")
    backend.put(".sluice-staging/run/in/x.csv", b"other,cols\n1,2\n")
    source = source_for(backend)
    assert [item.key for item in source.objects()] == ["in/a/1.csv", "in/a/2.csv", "in/b.csv"]
    assert read_all(source).column("id").to_pylist() == ["1", "2", "3"]
    whole_bucket = source_for(backend, prefix="")
    assert ".sluice-staging/run/in/x.csv" not in [item.key for item in whole_bucket.objects()]


def test_a_prefix_naming_one_object_reads_just_it(backend: S3Env) -> None:
    backend.put("in/a.csv", b"id\n1\n")
    backend.put("in/a.csv.bak/b.csv", b"id\n2\n")
    assert read_all(source_for(backend, prefix="in/a.csv")).column("id").to_pylist() == ["1"]


def test_json_lines(backend: S3Env) -> None:
    rows = [{"id": 1, "name": "a", "ok": True}, {"id": 2, "name": None, "ok": False}]
    backend.put("in/part-1.jsonl", "\n".join(json.dumps(r) for r in rows).encode())
    backend.put("in/part-2.json", json.dumps({"ok": True, "name": "c", "id": 3}).encode())  # other key order
    table = read_all(source_for(backend, file_type="JSON"))
    assert table.column_names == ["id", "name", "ok"]
    assert table.column("id").to_pylist() == [1, 2, 3]
    assert table.column("name").to_pylist() == ["a", None, "c"]


def test_parquet_keys_are_read_as_parquet(backend: S3Env) -> None:
    data = pa.table({"id": pa.array(range(10), pa.int64()), "price": pa.array([x / 2 for x in range(10)])})
    buffer = io.BytesIO()
    pq.write_table(data, buffer, row_group_size=3)
    backend.put("in/data.parquet", buffer.getvalue())
    table = read_all(source_for(backend, batch_size=4))
    assert table.equals(data)


def test_batches_respect_batch_size_and_fill_stats(backend: S3Env) -> None:
    body = b"id,v\n" + b"".join(f"{i},x{i}\n".encode() for i in range(1000))
    backend.put("in/a.csv", body)
    backend.put("in/b.csv", body)
    source = source_for(backend, batch_size=300)
    batches = list(source.read())
    assert max(b.num_rows for b in batches) <= 300
    assert sum(b.num_rows for b in batches) == 2000
    assert source.stats.records_read == 2000
    assert source.stats.bytes_read == 2 * len(body)
    assert source.stats.pages_read == len(batches)
    assert source.stats.max_page_size == 300


def test_a_different_header_is_invalid_argument(backend: S3Env) -> None:
    backend.put("in/a.csv", b"id,name\n1,a\n")
    backend.put("in/b.csv", b"id,title\n2,b\n")
    with pytest.raises(ConnectorError) as caught:
        read_all(source_for(backend))
    assert caught.value.code == "InvalidArgument"
    assert caught.value.message.startswith("in/b.csv: ")
    assert "'title'" in caught.value.message


def test_a_malformed_row_names_the_key_and_line(backend: S3Env) -> None:
    backend.put("in/a.csv", b'id,name\n1,"x\ny"\n2,b,extra\n3,c\n')
    with pytest.raises(ConnectorError) as caught:
        read_all(source_for(backend))
    assert caught.value.code == "InvalidArgument"
    assert caught.value.message == "in/a.csv: line 4: expected 2 fields, found 3"


def test_malformed_json_is_invalid_argument(backend: S3Env) -> None:
    backend.put("in/a.json", b'{"id": 1}\n{"id": \n')
    with pytest.raises(ConnectorError) as caught:
        read_all(source_for(backend, file_type="JSON"))
    assert caught.value.code == "InvalidArgument"
    assert caught.value.message.startswith("in/a.json: ")


def test_missing_bucket_is_resource_not_found(backend: S3Env) -> None:
    props = {"bucketName": "no-such-bucket-here", "bucketPrefix": "in"}
    with pytest.raises(ConnectorError) as caught:
        list(S3Source(NO_PROFILE, props, backend.context()).read())
    assert caught.value.code == "ResourceNotFound"


def test_no_objects_is_a_run_with_no_records(backend: S3Env) -> None:
    source = source_for(backend, prefix="nothing/here")
    assert list(source.read()) == []
    assert source.stats.records_read == 0


def test_stops_between_batches_and_leaves_no_threads(backend: S3Env) -> None:
    body = b"id\n" + b"".join(f"{i}\n".encode() for i in range(5000))
    for name in "abcd":
        backend.put(f"in/{name}.csv", body)
    stop = threading.Event()
    source = source_for(backend, batch_size=100, should_stop=stop.is_set)
    seen = 0
    for batch in source.read():
        seen += batch.num_rows
        if seen >= 1000:
            stop.set()
    assert seen == 1000
    assert not [t for t in threading.enumerate() if t.name.startswith("s3-source")]


def test_closing_the_reader_early_releases_the_prefetch(backend: S3Env) -> None:
    body = b"id\n" + b"".join(f"{i}\n".encode() for i in range(5000))
    for name in "abc":
        backend.put(f"in/{name}.csv", body)
    reader = source_for(backend, batch_size=10).read()
    next(reader)
    reader.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("s3-source")]


@pytest.mark.parametrize("props", [{}, {"bucketName": "b", "s3InputFormatConfig": {"s3InputFileType": "XML"}}])
def test_bad_properties(backend: S3Env, props: dict[str, object]) -> None:
    with pytest.raises(ConnectorError) as caught:
        S3Source(NO_PROFILE, props, backend.context())
    assert caught.value.code == "InvalidArgument"
