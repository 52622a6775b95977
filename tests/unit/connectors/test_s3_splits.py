"""S3 source splits (connectors/s3/splits.py): every way of cutting an object reads exactly the rows,
in the order, of the serial streaming `read()`."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sluice.connectors.base import ConnectorError, RunContext, split_plan
from sluice.connectors.s3 import splits as planning
from sluice.connectors.s3.source import S3Source
from sluice.engine import parallel
from tests.unit.connectors import s3_fixtures
from tests.unit.connectors.s3_fixtures import S3Env

backend = s3_fixtures.backend
moto_endpoint = s3_fixtures.moto_endpoint


def context(data_dir: str, **overrides: object) -> RunContext:
    values: dict[str, object] = {"flow_name": "f", "execution_id": "e1", "schema_version": 1, "started_at": 0.0,
                                 "data_dir": data_dir, "batch_size": 7}
    values.update(overrides)
    return RunContext(**values)  # type: ignore[arg-type]


def source(data_dir: str, bucket: str, split_bytes: int, file_type: str = "CSV", **ctx: object) -> S3Source:
    props = {"bucketName": bucket, "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": file_type}}
    return S3Source(None, props, context(data_dir, **ctx), split_bytes=split_bytes)


def serial(data_dir: str, bucket: str, file_type: str = "CSV", **ctx: object) -> list[dict[str, object]]:
    return [row for batch in source(data_dir, bucket, 1 << 30, file_type, **ctx).read() for row in batch.to_pylist()]


def by_splits(src: S3Source) -> list[dict[str, object]]:
    """The splits read one after another, in order (as one thread of the engine would)."""
    plan = split_plan(src)
    assert plan is not None
    return [row for split in plan for batch in src.read_split(split) for row in batch.to_pylist()]


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, Path]:
    """The embedded local store, whatever the environment says (as s3_fixtures' local backend)."""
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "SLUICE_S3_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "s3" / "bucket" / "in"
    folder.mkdir(parents=True)
    return str(tmp_path), "bucket", folder


def every_split_size(local: tuple[str, str, Path], body: bytes, name: str = "a.csv") -> None:
    """Cut the object at every split size from 1 byte up: always the serial rows."""
    data_dir, bucket, folder = local
    (folder / name).write_bytes(body)
    expected = serial(data_dir, bucket)
    for size in range(1, len(body) + 2):
        assert by_splits(source(data_dir, bucket, size)) == expected, size


def test_quoted_newlines_at_every_possible_boundary(local: tuple[str, str, Path]) -> None:
    every_split_size(local, b'id,text,n\n1,"a\nb",2\n2,"x\n\ny, ""z""\n",3\n3,,4\n4,"",5\n')


def test_a_quoted_value_that_looks_like_rows_is_caught_by_the_sentinel(local: tuple[str, str, Path]) -> None:
    # Inside the quotes are whole "rows" of three fields: the field-count guess takes them for
    # row starts, and only the sentinel check shows the range ended inside the value.
    fake_rows = "".join(f"{i},x,y\n" for i in range(40))
    body = f'a,b,c\n1,"{fake_rows}",z\n2,p,q\n'.encode()
    data_dir, bucket, folder = local
    (folder / "a.csv").write_bytes(body)
    src = source(data_dir, bucket, 64)
    plan = split_plan(src)
    assert plan is not None and len(plan) > 3
    rows = [row for split in plan for batch in src.read_split(split) for row in batch.to_pylist()]
    assert rows == serial(data_dir, bucket) and [row["a"] for row in rows] == ["1", "2"]
    verdicts = plan[0].verdicts
    assert verdicts is not None and False in verdicts._decided.values()  # a guess proved wrong


def test_a_row_larger_than_the_split_size(local: tuple[str, str, Path]) -> None:
    big = "w" * 5000
    every_split_size(local, f'k,v\n1,{big}\n2,"{big}\n{big}"\n3,s\n'.encode()[:200] + b"\n")
    data_dir, bucket, folder = local
    (folder / "a.csv").write_bytes(f'k,v\n1,{big}\n2,"{big}\n{big}"\n3,s\n'.encode())
    for size in (10, 100, 4999, 5001):
        assert by_splits(source(data_dir, bucket, size)) == serial(data_dir, bucket)


def test_crlf_bom_and_no_trailing_newline(local: tuple[str, str, Path]) -> None:
    every_split_size(local, b'\xef\xbb\xbfid,name\r\n1,"a\r\nb"\r\n2,c\r\n3,"d,e"')
    data_dir, bucket, _ = local
    assert by_splits(source(data_dir, bucket, 5))[0] == {"id": "1", "name": "a\r\nb"}


def test_one_row_objects_with_and_without_a_newline(local: tuple[str, str, Path]) -> None:
    every_split_size(local, b"a,b\n1,2\n")
    every_split_size(local, b"a,b\n1,2")


def test_header_only_and_empty_objects_have_no_rows(local: tuple[str, str, Path]) -> None:
    data_dir, bucket, folder = local
    (folder / "b.csv").write_bytes(b"a,b\n")
    (folder / "c.csv").write_bytes(b"")  # skipped, as the serial read skips it
    (folder / "d.csv").write_bytes(b"a,b\n1,2\n")
    for size in (1, 2, 3, 100):
        assert by_splits(source(data_dir, bucket, size)) == [{"a": "1", "b": "2"}] == serial(data_dir, bucket)
    # A header without even a newline: no rows (the streaming reader cannot tell its columns).
    (folder / "a.csv").write_bytes(b"a,b")
    assert by_splits(source(data_dir, bucket, 2)) == [{"a": "1", "b": "2"}]


def test_the_header_is_read_once_and_given_to_every_range(local: tuple[str, str, Path]) -> None:
    data_dir, bucket, folder = local
    (folder / "a.csv").write_bytes(b'"x, y",,x\n' + b"".join(b"%d,b,c\n" % i for i in range(50)))
    rows = by_splits(source(data_dir, bucket, 16))
    assert len(rows) == 50 and list(rows[0]) == ["x, y", "column2", "x"]
    assert rows == serial(data_dir, bucket)


def test_only_the_columns_the_tasks_read_are_parsed(local: tuple[str, str, Path]) -> None:
    data_dir, bucket, folder = local
    (folder / "a.csv").write_bytes(b"a,b,c,d\n1,2,3,4\n5,6,7,8\n")
    tasks = ({"taskType": "Map", "sourceFields": ["b"], "connectorOperator": {"S3": "NO_OP"}, "destinationField": "b"},)
    assert by_splits(source(data_dir, bucket, 4, tasks=tasks)) == [{"b": "2"}, {"b": "6"}]
    map_all = ({"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"}},)
    assert by_splits(source(data_dir, bucket, 4, tasks=map_all)) == serial(data_dir, bucket)
    missing = ({"taskType": "Map", "sourceFields": ["zz"], "connectorOperator": {"S3": "NO_OP"},
                "destinationField": "zz"},)  # every column, so the task's error lists them
    assert by_splits(source(data_dir, bucket, 4, tasks=missing)) == serial(data_dir, bucket)


def test_a_malformed_row_fails_with_the_key_and_line(local: tuple[str, str, Path]) -> None:
    data_dir, bucket, folder = local
    (folder / "a.csv").write_bytes(b"a,b\n" + b"1,2\n" * 30 + b"1,2,3\n" + b"1,2\n" * 30)
    for size in (8, 50, 1000):
        with pytest.raises(ConnectorError) as caught:
            by_splits(source(data_dir, bucket, size))
        assert caught.value.code == "InvalidArgument" and "a.csv" in caught.value.message
        assert "line 32" in caught.value.message


def test_json_lines_ranges(local: tuple[str, str, Path]) -> None:
    data_dir, bucket, folder = local
    lines = [json.dumps({"id": i, "text": f"line\nbreak {i}", "n": None if i % 3 else i / 2}) for i in range(40)]
    (folder / "a.json").write_text("\n".join(lines))  # no trailing newline
    expected = serial(data_dir, bucket, "JSON")
    for size in (1, 7, 50, 333, 10_000):
        assert by_splits(source(data_dir, bucket, size, "JSON")) == expected


def test_json_objects_with_other_fields_fail_the_read(local: tuple[str, str, Path]) -> None:
    # Only the first object's fields are read while planning; the others' are checked when read.
    data_dir, bucket, folder = local
    (folder / "a.json").write_text("".join(json.dumps({"id": i, "t": "x" * 20}) + "\n" for i in range(30)))
    (folder / "b.json").write_text("".join(json.dumps({"id": i, "u": "y" * 20}) + "\n" for i in range(30)))
    src = source(data_dir, bucket, 100, "JSON")
    plan = split_plan(src)
    assert plan is not None and len(plan) > 4
    with pytest.raises(ConnectorError) as caught:
        by_splits(src)
    assert caught.value.code == "InvalidArgument" and caught.value.message.startswith("in/b.json: its columns")


def test_a_json_record_longer_than_the_block_size(local: tuple[str, str, Path]) -> None:
    data_dir, bucket, folder = local
    rows = [{"id": i, "text": "z" * (50 + 40 * i)} for i in range(12)]
    (folder / "a.json").write_text("".join(json.dumps(row) + "\n" for row in rows))
    props = {"bucketName": bucket, "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "JSON"}}
    for split_bytes in (100, 1000, 1 << 20):
        src = S3Source(None, props, context(data_dir), block_size=64, split_bytes=split_bytes)
        assert by_splits(src) == rows


def test_parquet_row_groups(local: tuple[str, str, Path]) -> None:
    data_dir, bucket, folder = local
    table = pa.table({"id": list(range(100)), "s": [f"v{i}" for i in range(100)]})
    pq.write_table(table, folder / "a.parquet", row_group_size=10)
    src = source(data_dir, bucket, 1)
    plan = split_plan(src)
    assert plan is not None and len(plan) == 10
    assert by_splits(src) == serial(data_dir, bucket) == table.to_pylist()


def test_ranges_read_through_both_backends(backend: S3Env) -> None:
    body = b'id,t\n' + b"".join(b'%d,"q\n%d"\n' % (i, i) for i in range(60))
    backend.put("in/a.csv", body)
    expected = serial(backend.data_dir, backend.bucket)
    assert by_splits(source(backend.data_dir, backend.bucket, 37)) == expected and len(expected) == 60


def test_splits_on_threads_keep_the_serial_order(local: tuple[str, str, Path]) -> None:
    data_dir, bucket, folder = local
    for name in ("a", "b", "c"):
        (folder / f"{name}.csv").write_bytes(b"k,t\n" + b"".join(b'%s%d,"x\n,y"\n' % (name.encode(), i)
                                                                  for i in range(300)))
    src = source(data_dir, bucket, 97)
    plan = split_plan(src)
    assert plan is not None and len(plan) > 30
    halt = threading.Event()

    def identity() -> parallel.Transform:
        return lambda batch: parallel.Piece(batch.num_rows, batch)

    pieces = parallel.pieces(src.read_split, plan, 3, identity, halt, lambda: False)
    rows = [row for piece in pieces for row in piece.out.to_pylist()]
    assert rows == serial(data_dir, bucket)
    assert src.stats.bytes_read == sum(path.stat().st_size for path in folder.iterdir())


# -- the planning helpers --------------------------------------------------------------------


def test_header_end_respects_quotes() -> None:
    assert planning.header_end(b'a,"b\nc"\r\n1,2') == 9
    assert planning.header_end(b"a,b\r1") == 4
    assert planning.header_end(b"a,b") == 3


def test_field_counts_and_likely_row_start() -> None:
    assert planning.field_counts(b'1,"a,\nb",3\n4,5,6\n7,8', 0, 5) == [3, 3]
    text = b'ak\nbreak",x\n1,"y\nz",2\n3,w,4\n'  # starts inside a quoted value
    assert planning.likely_row_start(text, 3, rows=2) == text.index(b"1,")
    assert planning.likely_row_start(b"no newline", 3) is None


CELL = st.text(alphabet=st.sampled_from(list('ab ,"\n\r\t\u00e9')), max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=25),
       crlf=st.booleans(), trailing=st.booleans(), quote_all=st.booleans(), split_bytes=st.integers(1, 80))
def test_ranges_concatenated_equal_the_serial_parse(local: tuple[str, str, Path], rows: list[list[str]], crlf: bool,
                                                    trailing: bool, quote_all: bool, split_bytes: int) -> None:
    def cell(value: str) -> str:
        if quote_all or any(char in value for char in ',"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    ending = "\r\n" if crlf else "\n"
    # A row of only empty cells would be an empty line, which CSV readers skip: keep one mark.
    lines = ["a,b,c", *(",".join(cell(v) for v in [row[0] or "e", *row[1:]]) for row in rows)]
    text = ending.join(lines) + ending
    body = text.encode()
    if not trailing:
        body = body.rstrip(b"\r\n")
    data_dir, bucket, folder = local
    (folder / "a.csv").write_bytes(body)
    assert by_splits(source(data_dir, bucket, split_bytes)) == serial(data_dir, bucket)
