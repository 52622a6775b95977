"""SalesforceDestination against the fake org (tests/fakes/salesforce): every write operation through
sObject Collections and through Bulk API 2.0, refused records in the error file, fail-fast counts."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.salesforce.destination import SalesforceDestination
from tests.fakes.salesforce.server import FakeSalesforce

_runs = itertools.count()


@pytest.fixture(scope="module")
def fake() -> Iterator[Any]:
    with FakeSalesforce(seed_counts={"Account": 50, "Contact": 0, "Opportunity": 0}) as server:
        yield server


@pytest.fixture(scope="module")
def profile(fake: Any) -> ProfileView:
    answer = httpx.post(f"{fake.url}/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": "sluice-client", "client_secret": "sluice-secret"})
    answer.raise_for_status()
    return ProfileView(name="sf", connector_type="Salesforce",
                       credentials={"accessToken": answer.json()["access_token"], "instanceUrl": fake.url})


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunContext:
    monkeypatch.setenv("SLUICE_S3_BACKEND", "local")
    (tmp_path / "s3" / "errs").mkdir(parents=True)
    return RunContext(flow_name="to-sf", execution_id=f"exec-{next(_runs)}", schema_version=1, started_at=0.0,
                      data_dir=str(tmp_path))


def run(profile: ProfileView, ctx: RunContext, batch: pa.RecordBatch, **props: Any) -> Any:
    props.setdefault("errorHandlingConfig", {"bucketName": "errs"})
    dest = SalesforceDestination(profile, {"object": "Account", **props}, ctx)
    dest.bulk_options = {"first_pause": 0.05, "max_pause": 0.2}
    dest.write(batch)
    result = dest.commit()
    return result, dest


def errors_of(ctx: RunContext) -> list[dict[str, Any]]:
    path = Path(ctx.data_dir, "s3", "errs", "to-sf", ctx.execution_id, "errors.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def count(fake: Any, where: str) -> int:
    return int(fake.org.query(f"SELECT COUNT() FROM Account WHERE {where}").total_size)


def names(fake: Any, where: str) -> dict[str, str]:
    result = fake.org.query(f"SELECT Id, Name FROM Account WHERE {where}")
    return {str(row[0]): str(row[1]) for row in result.rows}


@pytest.mark.parametrize("api", ["REST_SYNC", "BULKV2"])
def test_insert_with_refused_rows(fake: Any, profile: ProfileView, ctx: RunContext, api: str) -> None:
    tag = f"ins-{api}"
    batch = pa.record_batch({
        "Name": [f"{tag}-{n}" if n % 10 != 3 else f"REJECT {tag}-{n}" for n in range(30)],
        "NumberOfEmployees": pa.array([n for n in range(30)], pa.int64()),
        "Phone": pa.array([None] * 30, pa.string()),
    })
    result, dest = run(profile, ctx, batch, dataTransferApi=api)
    assert dest.used_api == api
    assert (result.records_written, result.put_failures) == (27, 3)
    assert count(fake, f"Name LIKE '{tag}-%'") == 27
    errors = errors_of(ctx)
    assert len(errors) == 3 and {e["errorCode"] for e in errors} == {"FIELD_CUSTOM_VALIDATION_EXCEPTION"}
    assert sorted(e["Name"] for e in errors) == [f"REJECT {tag}-{n}" for n in (13, 23, 3)]


@pytest.mark.parametrize("api", ["REST_SYNC", "BULKV2"])
def test_update_and_delete(fake: Any, profile: ProfileView, ctx: RunContext, api: str) -> None:
    tag = f"upd-{api}"
    run(profile, ctx, pa.record_batch({"Name": [f"{tag}-{n}" for n in range(4)]}), dataTransferApi=api)
    ids = sorted(names(fake, f"Name LIKE '{tag}-%'"))
    batch = pa.record_batch({"Id": ids, "Name": [f"{tag}-new-{n}" for n in range(4)]})
    result, _ = run(profile, ctx, batch, dataTransferApi=api, writeOperationType="UPDATE")
    assert result.records_written == 4
    assert sorted(names(fake, f"Name LIKE '{tag}-new-%'")) == ids
    batch = pa.record_batch({"Id": [*ids[:2], "001000000000000XYZ"], "Name": ["a", "b", "c"]})
    result, _ = run(profile, ctx, batch, dataTransferApi=api, writeOperationType="DELETE")
    assert (result.records_written, result.put_failures) == (2, 1)
    assert sorted(names(fake, f"Name LIKE '{tag}-new-%'")) == ids[2:]
    assert len(errors_of(ctx)) == 1


@pytest.mark.parametrize("api", ["REST_SYNC", "BULKV2"])
def test_upsert_by_external_id(fake: Any, profile: ProfileView, ctx: RunContext, api: str) -> None:
    tag = f"ups-{api}"
    first = pa.record_batch({"External_Id__c": [f"{tag}-a", f"{tag}-b"], "Name": ["one", "two"]})
    run(profile, ctx, first, dataTransferApi=api, writeOperationType="UPSERT", idFieldNames=["External_Id__c"])
    again = pa.record_batch({"External_Id__c": [f"{tag}-b", f"{tag}-c"], "Name": [f"{tag} two", f"{tag} three"]})
    result, _ = run(profile, ctx, again, dataTransferApi=api, writeOperationType="UPSERT",
                    idFieldNames=["External_Id__c"])
    assert result.records_written == 2
    rows = fake.org.query(f"SELECT External_Id__c, Name FROM Account WHERE External_Id__c LIKE '{tag}-%'").rows
    assert sorted(tuple(row) for row in rows) == [(f"{tag}-a", "one"), (f"{tag}-b", f"{tag} two"),
                                                  (f"{tag}-c", f"{tag} three")]


def test_fail_fast_collections_stops_with_the_written_count(fake: Any, profile: ProfileView, ctx: RunContext) -> None:
    tag = "ff-rest"
    batch = pa.record_batch({"Name": [f"REJECT {tag}" if n == 250 else f"{tag}-{n}" for n in range(700)]})
    with pytest.raises(ConnectorError) as caught:
        run(profile, ctx, batch, errorHandlingConfig={"bucketName": "errs", "failOnFirstDestinationError": True})
    assert count(fake, f"Name LIKE '{tag}-%'") == 399
    message = caught.value.message
    assert "399 record(s) were written to Account before the stop" in message
    assert f"s3://errs/to-sf/{ctx.execution_id}/written.csv" in message
    written = Path(ctx.data_dir, "s3/errs/to-sf", ctx.execution_id, "written.csv").read_text().splitlines()
    assert len(written) == 400 and set(written[1:]) == set(names(fake, f"Name LIKE '{tag}-%'"))
    assert [e["Name"] for e in errors_of(ctx)] == [f"REJECT {tag}"]


def test_fail_fast_bulk_stops_after_the_job_with_the_refusal(fake: Any, profile: ProfileView, ctx: RunContext) -> None:
    tag = "ff-bulk"
    batch = pa.record_batch({"Name": [f"REJECT {tag}" if n == 5 else f"{tag}-{n:03d}" for n in range(60)]})
    dest = SalesforceDestination(profile, {"object": "Account", "dataTransferApi": "BULKV2", "errorHandlingConfig": {
        "failOnFirstDestinationError": True}}, ctx)
    dest.bulk_options = {"first_pause": 0.05, "max_pause": 0.2, "max_upload_bytes": 300}
    dest.write(batch)
    with pytest.raises(ConnectorError) as caught:
        dest.commit()
    written = count(fake, f"Name LIKE '{tag}-%'")
    assert 0 < written < 59
    assert f"{written} record(s) were written to Account before the stop" in caught.value.message
    assert f"{59 - written} record(s) were not sent" in caught.value.message
    dest.abort()


def test_cancel_while_a_bulk_job_runs_aborts_it(fake: Any, profile: ProfileView, ctx: RunContext) -> None:
    answers = iter([False])  # the check before the job passes; every later one asks to stop
    stopping = RunContext(flow_name=ctx.flow_name, execution_id=ctx.execution_id, schema_version=1, started_at=0.0,
                          data_dir=ctx.data_dir, should_stop=lambda: next(answers, True))
    dest = SalesforceDestination(profile, {"object": "Account", "dataTransferApi": "BULKV2"}, stopping)
    dest.bulk_options = {"first_pause": 0.05}
    dest.write(pa.record_batch({"Name": [f"cancel-{n}" for n in range(20)]}))
    with pytest.raises(ConnectorError, match="canceled while Bulk API job") as caught:
        dest.commit()
    written = count(fake, "Name LIKE 'cancel-%'")
    expected = f"{written} record(s) had already been written" if written else "No record was written"
    assert expected in caught.value.message
    dest.abort()
    assert not Path(ctx.data_dir, ".sluice-spool").exists()
