"""SalesforceDestination against an in-test Salesforce (httpx.MockTransport): validation, spooling,
API choice, 200-record calls, value serialisation, Bulk jobs, fail-fast and interrupted commits."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.salesforce import destination as dest_module
from sluice.connectors.salesforce.bulk_ingest import _lines, bulk_error
from sluice.connectors.salesforce.client import SalesforceClient
from sluice.connectors.salesforce.destination import SalesforceDestination, cleanup_staging, plan_of
from sluice.connectors.salesforce.write_common import Progress, csv_text, json_value

PROFILE = ProfileView(name="sf", connector_type="Salesforce",
                      credentials={"accessToken": "token-1", "instanceUrl": "https://org.test"})


class MockOrg:
    """Just enough Salesforce: Collections and Bulk ingest; names starting REJECT are refused."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.jobs: dict[str, dict[str, Any]] = {}
        self.fail_after: int | None = None  # answer 500 to the n-th write call
        self.writes = 0

    def outcome(self, record: dict[str, Any], index: int) -> dict[str, Any]:
        name = str(record.get("Name") or record.get("LastName") or "")
        if name.startswith("REJECT"):
            error = {"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "rejected", "fields": []}
            return {"id": None, "success": False, "errors": [error]}
        return {"id": record.get("Id") or f"001{index:012d}", "success": True, "errors": []}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path.removeprefix("/services/data/v59.0/"), request.method
        body = json.loads(request.content) if request.content and method != "PUT" else None
        self.calls.append((method, path, body if body is not None else request.content))
        if path.startswith("composite/sobjects"):
            self.writes += 1
            if self.fail_after is not None and self.writes > self.fail_after:
                return httpx.Response(400, json=[{"errorCode": "INVALID_FIELD", "message": "No such column 'X'"}])
            if method == "DELETE":
                ids = request.url.params["ids"].split(",")
                return httpx.Response(200, json=[self.outcome({"Id": i}, n) for n, i in enumerate(ids)])
            return httpx.Response(200, json=[self.outcome(r, n) for n, r in enumerate(body["records"])])
        if path == "jobs/ingest" and method == "POST":
            job_id = f"750{len(self.jobs):012d}"
            self.jobs[job_id] = {"spec": body, "csv": b"", "polls": 0}
            return httpx.Response(200, json={"id": job_id, "state": "Open"})
        parts = path.split("/")
        job = self.jobs[parts[2]]
        if method == "PUT":
            job["csv"] = request.content
            return httpx.Response(201)
        if method == "PATCH":
            job["state"] = body["state"]
            return httpx.Response(200, json={"id": parts[2], "state": body["state"]})
        rows = list(csv.DictReader(io.StringIO(job["csv"].decode())))
        if len(parts) == 3:
            job["polls"] += 1
            return httpx.Response(200, json={"id": parts[2], "state": "JobComplete" if job["polls"] > 1 else
                                             "InProgress"})
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        columns = list(rows[0]) if rows else []
        if parts[3] == "successfulResults":
            writer.writerow(["sf__Id", "sf__Created", *columns])
            for n, row in enumerate(rows):
                if self.outcome(row, n)["success"]:
                    writer.writerow([self.outcome(row, n)["id"], "true", *row.values()])
        elif parts[3] == "failedResults":
            writer.writerow(["sf__Id", "sf__Error", *columns])
            for n, row in enumerate(rows):
                if not self.outcome(row, n)["success"]:
                    writer.writerow(["", "FIELD_CUSTOM_VALIDATION_EXCEPTION:rejected", *row.values()])
        else:
            writer.writerow(columns)
        return httpx.Response(200, content=out.getvalue().encode(), headers={"Content-Type": "text/csv"})


@pytest.fixture
def org() -> MockOrg:
    return MockOrg()


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunContext:
    monkeypatch.setenv("SLUICE_S3_BACKEND", "local")
    (tmp_path / "s3" / "errs").mkdir(parents=True)
    return RunContext(flow_name="flow", execution_id="exec-9", schema_version=1, started_at=0.0,
                      data_dir=str(tmp_path))


def open_dest(org: MockOrg, ctx: RunContext, **props: Any) -> SalesforceDestination:
    client = SalesforceClient(PROFILE, http=httpx.Client(transport=httpx.MockTransport(org)), sleep=lambda s: None)
    destination = SalesforceDestination(PROFILE, {"object": "Account", **props}, ctx, client=client)
    destination.bulk_options = {"first_pause": 0.0}
    return destination


def names(count: int, reject: set[int] | None = None) -> pa.RecordBatch:
    reject = reject or set()
    return pa.record_batch({"Name": [f"REJECT {n}" if n in reject else f"acct {n}" for n in range(count)]})


def test_properties_are_validated() -> None:
    with pytest.raises(ConnectorError, match="exactly one idFieldNames"):
        plan_of({"object": "Account", "writeOperationType": "UPSERT"})
    with pytest.raises(ConnectorError, match="exactly one idFieldNames") as caught:
        plan_of({"object": "Account", "writeOperationType": "UPSERT", "idFieldNames": ["a", "b"]})
    assert caught.value.code == "InvalidArgument"
    with pytest.raises(ConnectorError, match="object is required"):
        plan_of({})
    with pytest.raises(ConnectorError, match="MERGE"):
        plan_of({"object": "Account", "writeOperationType": "MERGE"})
    assert plan_of({"object": "Account", "writeOperationType": "DELETE"}).id_field == "Id"
    assert plan_of({"object": "A", "writeOperationType": "UPSERT", "idFieldNames": ["Ext__c"]}).external_id == "Ext__c"
    assert plan_of({"object": "A"}).operation == "insert"


def test_update_without_the_id_column_fails_before_anything_is_sent(org: MockOrg, ctx: RunContext) -> None:
    dest = open_dest(org, ctx, writeOperationType="UPDATE")
    with pytest.raises(ConnectorError, match="needs the field 'Id'"):
        dest.write(names(3))
    assert org.calls == []


def test_write_spools_and_commit_sends_collections_of_200(org: MockOrg, ctx: RunContext, tmp_path: Path) -> None:
    dest = open_dest(org, ctx)
    for _ in range(3):
        dest.write(names(150))
    spool = tmp_path / ".sluice-spool" / "exec-9" / "salesforce-0.arrow"
    assert spool.is_file() and org.calls == []  # nothing reaches Salesforce before commit
    result = dest.commit()
    assert [len(call[2]["records"]) for call in org.calls] == [200, 200, 50]
    assert {call[:2] for call in org.calls} == {("POST", "composite/sobjects")}
    assert org.calls[0][2]["allOrNone"] is False
    assert org.calls[0][2]["records"][0] == {"attributes": {"type": "Account"}, "Name": "acct 0"}
    assert result.records_written == 450 and result.put_failures == 0 and result.bytes_written > 0
    assert result.location is None and dest.used_api == "REST_SYNC"
    assert not (tmp_path / ".sluice-spool").exists()


def test_json_values_and_nulls(org: MockOrg, ctx: RunContext) -> None:
    batch = pa.record_batch({
        "Id": ["001A", "001B"],
        "When": pa.array([datetime(2024, 1, 31, 10, 0, 0, 123000, tzinfo=UTC), None], pa.timestamp("ms", "UTC")),
        "Day": pa.array([date(2024, 1, 31), None]),
        "Amount": pa.array([Decimal("12.50"), Decimal("3")], pa.decimal128(10, 2)),
        "Active": [True, None],
        "Tags": [["a", "b"], None],
    })
    dest = open_dest(org, ctx, writeOperationType="UPDATE")
    dest.write(batch)
    dest.commit()
    method, path, body = org.calls[0]
    assert (method, path) == ("PATCH", "composite/sobjects")
    assert body["records"][0] == {"attributes": {"type": "Account"}, "Id": "001A", "When": "2024-01-31T10:00:00.123Z",
                                  "Day": "2024-01-31", "Amount": 12.5, "Active": True, "Tags": "a;b"}
    # Update: null clears the field in Salesforce.
    assert body["records"][1]["When"] is None and body["records"][1]["Active"] is None
    assert json_value(Decimal("3.00")) == 3 and csv_text(None) == "" and csv_text(False) == "false"


def test_insert_leaves_nulls_out_and_upsert_and_delete_paths(org: MockOrg, ctx: RunContext) -> None:
    dest = open_dest(org, ctx)
    dest.write(pa.record_batch({"Name": ["a"], "Phone": pa.array([None], pa.string())}))
    dest.commit()
    assert org.calls[-1][2]["records"][0] == {"attributes": {"type": "Account"}, "Name": "a"}
    dest = open_dest(org, ctx, writeOperationType="UPSERT", idFieldNames=["Ext__c"])
    dest.write(pa.record_batch({"Ext__c": ["e1"], "Name": ["a"], "Id": ["001X"]}))
    dest.commit()
    assert org.calls[-1][:2] == ("PATCH", "composite/sobjects/Account/Ext__c")
    assert "Id" not in org.calls[-1][2]["records"][0]
    dest = open_dest(org, ctx, writeOperationType="DELETE")
    dest.write(pa.record_batch({"Id": ["001A", None, "001C"], "Name": ["x", "y", "z"]}))
    result = dest.commit()
    assert org.calls[-1][:2] == ("DELETE", "composite/sobjects")
    assert result.records_written == 2 and result.put_failures == 1


def test_automatic_switches_to_bulk_at_1000_records(org: MockOrg, ctx: RunContext) -> None:
    dest = open_dest(org, ctx, errorHandlingConfig={"bucketName": "errs"})
    dest.write(names(999))
    dest.write(pa.record_batch({"Name": ['REJECT "quoted", comma']}))
    result = dest.commit()
    assert dest.used_api == "BULKV2"
    job = next(iter(org.jobs.values()))
    assert job["spec"] == {"object": "Account", "operation": "insert", "contentType": "CSV", "lineEnding": "LF"}
    assert job["csv"].startswith(b"Name\nacct 0\n") and job["csv"].endswith(b'"REJECT ""quoted"", comma"\n')
    assert job["state"] == "UploadComplete"
    assert result.records_written == 999 and result.put_failures == 1
    assert result.bytes_written == len(job["csv"])


def test_bulk_splits_uploads_into_jobs_and_upsert_names_the_external_id(org: MockOrg, ctx: RunContext) -> None:
    dest = open_dest(org, ctx, dataTransferApi="BULKV2", writeOperationType="UPSERT", idFieldNames=["Ext__c"])
    dest.bulk_options["max_upload_bytes"] = 200
    dest.write(pa.record_batch({"Ext__c": [f"e{n}" for n in range(40)], "Name": [f"n{n}" for n in range(40)],
                                "Note": [None] * 40}))
    result = dest.commit()
    assert len(org.jobs) > 1 and result.records_written == 40
    for job in org.jobs.values():
        assert job["spec"]["externalIdFieldName"] == "Ext__c" and len(job["csv"]) <= 200
        assert job["csv"].startswith(b"Ext__c,Name,Note\n")
    assert b"e0,n0,\n" in next(iter(org.jobs.values()))["csv"]  # null -> empty field: left unchanged


def test_fail_fast_stops_after_the_call_with_the_first_refusal(org: MockOrg, ctx: RunContext, tmp_path: Path) -> None:
    dest = open_dest(org, ctx, errorHandlingConfig={"bucketName": "errs", "bucketPrefix": "sf",
                                                    "failOnFirstDestinationError": True})
    dest.write(names(700, reject={250}))
    with pytest.raises(ConnectorError) as caught:
        dest.commit()
    assert len(org.calls) == 2  # the second call held the refusal; no third call
    message = caught.value.message
    assert caught.value.code == "InvalidArgument"
    assert "399 record(s) were written to Account before the stop" in message
    assert "s3://errs/sf/flow/exec-9/written.csv" in message and "s3://errs/sf/flow/exec-9/errors.jsonl" in message
    assert "300 record(s) were not sent" in message
    folder = tmp_path / "s3/errs/sf/flow/exec-9"
    ids = list(csv.DictReader(io.StringIO((folder / "written.csv").read_text())))
    assert len(ids) == 399 and ids[0]["Id"] == "001000000000000"
    error = json.loads((folder / "errors.jsonl").read_text())
    assert error == {"Name": "REJECT 250", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "errorMessage": "rejected"}
    dest.abort()
    assert not (tmp_path / ".sluice-spool").exists() and (folder / "errors.jsonl").exists()


def test_fail_fast_without_bucket_names_first_and_last_ids(org: MockOrg, ctx: RunContext) -> None:
    dest = open_dest(org, ctx, errorHandlingConfig={"failOnFirstDestinationError": True})
    dest.write(names(5, reject={3}))
    with pytest.raises(ConnectorError) as caught:
        dest.commit()
    message = caught.value.message
    assert "4 record(s) were written" in message
    assert "first written id is 001000000000000 and the last 001000000000004" in message
    assert "no error bucket is configured" in message


def test_transport_failure_mid_way_reports_what_was_written(org: MockOrg, ctx: RunContext) -> None:
    org.fail_after = 2
    dest = open_dest(org, ctx)
    dest.write(names(650))
    with pytest.raises(ConnectorError) as caught:
        dest.commit()
    assert caught.value.code == "InvalidArgument"
    assert "INVALID_FIELD" in caught.value.message and "400 record(s) had already been written" in caught.value.message


def test_abort_and_cleanup_drop_the_spool(org: MockOrg, ctx: RunContext, tmp_path: Path) -> None:
    dest = open_dest(org, ctx)
    other = open_dest(org, ctx)
    dest.write(names(2))
    other.write(names(2))
    folder = tmp_path / ".sluice-spool" / "exec-9"
    assert sorted(p.name for p in folder.iterdir()) == ["salesforce-0.arrow", "salesforce-1.arrow"]
    dest.abort()
    assert [p.name for p in folder.iterdir()] == ["salesforce-1.arrow"]
    cleanup_staging({}, str(tmp_path), "exec-9")
    assert not folder.exists()
    cleanup_staging({}, str(tmp_path), "exec-9")  # nothing there is fine
    assert org.calls == []


def test_schema_change_starts_a_new_spool_file(org: MockOrg, ctx: RunContext) -> None:
    dest = open_dest(org, ctx)
    dest.write(pa.record_batch({"Name": ["a"], "N": pa.array([1], pa.int64())}))
    dest.write(pa.record_batch({"Name": ["b"], "N": pa.array(["x"], pa.string())}))
    assert len(dest.spool.files) == 2
    assert dest.commit().records_written == 2


def test_cancel_during_collections(org: MockOrg, ctx: RunContext, monkeypatch: pytest.MonkeyPatch) -> None:
    stop = iter([False, True])
    dest = open_dest(org, ctx)
    monkeypatch.setattr(dest, "ctx", RunContext(**{**{f: getattr(ctx, f) for f in ("flow_name", "execution_id",
                        "schema_version", "started_at", "data_dir")}, "should_stop": lambda: next(stop)}))
    dest.write(names(300))
    with pytest.raises(ConnectorError, match=r"canceled.*200 record"):
        dest.commit()


def test_missing_error_bucket_fails_at_open(org: MockOrg, ctx: RunContext) -> None:
    with pytest.raises(ConnectorError) as caught:
        open_dest(org, ctx, errorHandlingConfig={"bucketName": "nope"})
    assert caught.value.code == "ResourceNotFound"
    assert dest_module.BULK_THRESHOLD == 1000


def test_nothing_spooled_sends_nothing(org: MockOrg, ctx: RunContext) -> None:
    dest = open_dest(org, ctx, dataTransferApi="BULKV2")
    dest.write(names(0))
    result = dest.commit()
    assert (result.records_written, result.put_failures, result.bytes_written) == (0, 0, 0) and org.calls == []
    with pytest.raises(ConnectorError, match="already committed"):
        dest.write(names(1))


def test_bulk_result_parsing() -> None:
    assert bulk_error("REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --") == (
        "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]")
    assert bulk_error("FIELD_CUSTOM_VALIDATION_EXCEPTION:rejected") == ("FIELD_CUSTOM_VALIDATION_EXCEPTION", "rejected")
    assert bulk_error("") == ("UNKNOWN_EXCEPTION", "Salesforce gave no reason")
    chunks = [b'\xef\xbb\xbfa,b\n1,"x', b'\ny"\n2,', "\u00e9".encode()[:1], "\u00e9".encode()[1:]]
    rows = list(csv.reader(_lines(iter(chunks))))
    assert rows == [["a", "b"], ["1", "x\ny"], ["2", "\u00e9"]]


def test_written_ids_spill_to_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sluice.connectors.salesforce.write_common.IDS_SPILL_BYTES", 64)
    progress = Progress()
    for n in range(100):
        progress.wrote(f"001{n:015d}")
    assert [row["Id"] for row in progress.written_rows()][::99] == ["001000000000000000", "001000000000000099"]
    assert (progress.first_id, progress.last_id, progress.written) == ("001000000000000000", "001000000000000099", 100)
    progress.close()
