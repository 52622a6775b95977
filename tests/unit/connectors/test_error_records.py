"""ErrorSink: layout, JSON lines, manifests, fail-fast flag, no-bucket counting (local S3 store)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from sluice.connectors.base import ConnectorError, RunContext
from sluice.connectors.error_records import ErrorSink
from tests.unit.connectors import s3_fixtures
from tests.unit.connectors.s3_fixtures import S3Env

backend = s3_fixtures.backend  # the local store and moto's S3
moto_endpoint = s3_fixtures.moto_endpoint


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunContext:
    monkeypatch.setenv("SLUICE_S3_BACKEND", "local")
    (tmp_path / "s3" / "errors-bucket").mkdir(parents=True)
    return RunContext(flow_name="to-sf", execution_id="exec-1", schema_version=1, started_at=0.0,
                      data_dir=str(tmp_path))


def test_writes_records_with_error_fields_under_the_appflow_layout(ctx: RunContext, tmp_path: Path) -> None:
    sink = ErrorSink({"bucketName": "errors-bucket", "bucketPrefix": "/sf/errs/"}, ctx)
    sink.check()
    sink.add([{"Name": "REJECT a", "Amount": Decimal("1.50"), "When": datetime(2024, 1, 2, 3, 4, tzinfo=UTC)}],
             "FIELD_CUSTOM_VALIDATION_EXCEPTION", "no rejects")
    sink.add([{"Name": "b", "Day": date(2024, 5, 6)}, {"Name": None}], "REQUIRED_FIELD_MISSING", "missing")
    location = sink.commit()
    assert location == "s3://errors-bucket/sf/errs/to-sf/exec-1/errors.jsonl"
    lines = (tmp_path / "s3/errors-bucket/sf/errs/to-sf/exec-1/errors.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert rows[0] == {"Name": "REJECT a", "Amount": "1.50", "When": "2024-01-02T03:04:00Z",
                       "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "errorMessage": "no rejects"}
    assert rows[1]["Day"] == "2024-05-06" and rows[2] == {"Name": None, "errorCode": "REQUIRED_FIELD_MISSING",
                                                           "errorMessage": "missing"}
    assert sink.count == 3 and sink.commit() == location  # committing twice writes once
    assert "3 record(s) were refused" in sink.summary() and location in sink.summary()


def test_without_a_bucket_failures_are_only_counted(ctx: RunContext, tmp_path: Path) -> None:
    sink = ErrorSink({"failOnFirstDestinationError": True}, ctx)
    assert sink.fail_fast and not sink.configured
    for number in range(8):
        sink.add([{"Name": number}], "CODE", f"message {number}")
    assert sink.commit() is None and sink.location() is None
    assert sink.write_manifest("written.csv", [{"Id": "1"}]) is None
    assert sink.count == 8 and len(sink.messages) == 5 and sink.messages[0] == "CODE: message 0"
    assert not list((tmp_path / "s3").rglob("*.jsonl"))


def test_nothing_failed_writes_nothing(ctx: RunContext, tmp_path: Path) -> None:
    sink = ErrorSink({"bucketName": "errors-bucket"}, ctx)
    assert not sink.fail_fast and sink.commit() is None
    assert sink.summary() == "no record was refused"
    assert not [p for p in (tmp_path / "s3/errors-bucket").rglob("*") if p.is_file()]


def test_manifest_csv_and_json_lines(ctx: RunContext, tmp_path: Path) -> None:
    sink = ErrorSink({"bucketName": "errors-bucket", "bucketPrefix": "p"}, ctx)
    where = sink.write_manifest("written.csv", iter([{"Id": "001A", "note": "a,b"}, {"Id": "001B", "note": None}]))
    assert where == "s3://errors-bucket/p/to-sf/exec-1/written.csv"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "s3/errors-bucket/p/to-sf/exec-1/written.csv").read_text())))
    assert rows == [{"Id": "001A", "note": "a,b"}, {"Id": "001B", "note": ""}]
    sink.write_manifest("ids.jsonl", [{"Id": "x"}])
    assert (tmp_path / "s3/errors-bucket/p/to-sf/exec-1/ids.jsonl").read_text() == '{"Id":"x"}\n'


def test_missing_bucket_fails_the_check(ctx: RunContext) -> None:
    with pytest.raises(ConnectorError) as caught:
        ErrorSink({"bucketName": "no-such-bucket"}, ctx).check()
    assert caught.value.code == "ResourceNotFound"


def test_large_failures_spill_and_discard(ctx: RunContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sluice.connectors.error_records.SPILL_BYTES", 1024)
    sink = ErrorSink({"bucketName": "errors-bucket"}, ctx)
    sink.add([{"Name": "x" * 100, "n": n} for n in range(200)], "E", "m")
    sink.discard()
    assert sink.commit() is None
    sink.add([{"n": n} for n in range(500)], "E", "m")
    sink.commit()
    text = (tmp_path / "s3/errors-bucket/to-sf/exec-1/errors.jsonl").read_text()
    assert len(text.splitlines()) == 500


def test_both_backends(backend: S3Env) -> None:
    sink = ErrorSink({"bucketName": backend.bucket, "bucketPrefix": "errs"}, backend.context())
    sink.check()
    sink.add([{"Name": "REJECT 1"}], "FIELD_CUSTOM_VALIDATION_EXCEPTION", "rejected")
    folder = "errs/orders-flow/3f2c9a1e-1111-4222-8333-944455556666"
    assert sink.commit() == f"s3://{backend.bucket}/{folder}/errors.jsonl"
    assert sink.write_manifest("written.csv", [{"Id": "001A"}]) == f"s3://{backend.bucket}/{folder}/written.csv"
    assert backend.listed() == [f"{folder}/errors.jsonl", f"{folder}/written.csv"]
    assert json.loads(backend.get(f"{folder}/errors.jsonl"))["errorCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert backend.get(f"{folder}/written.csv") == b"Id\n001A\n"
