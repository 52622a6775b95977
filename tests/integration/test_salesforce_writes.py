"""S3 -> Salesforce runs through boto3: INSERT, UPSERT, UPDATE and DELETE against the fake org,
with records the org rejects landing in the flow's error bucket.

The fake rejects any record whose Name starts with REJECT (a validation rule), so each test knows
exactly which records must fail. What landed is read back from the fake's own data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.salesforce.server import FakeSalesforce
from tests.integration.builders import unique
from tests.support.flows import (
    copy_columns,
    csv_bucket,
    error_records,
    new_bucket,
    s3_csv_source,
    saas_server,
    start_and_wait,
)
from tests.support.salesforce import sluice_env, token_profile
from tests.support.server import SluiceServer


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(seed_counts={"Account": 100, "Contact": 0, "Opportunity": 0})
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def sluice(fake: FakeSalesforce, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    with saas_server(tmp_path_factory.mktemp("sf-writes"), **sluice_env(fake.url)) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeSalesforce) -> str:
    name = unique("sf")
    appflow.create_connector_profile(**token_profile(name, fake))
    return name


def write_flow(sluice: SluiceServer, appflow: Any, profile: str, rows: list[dict[str, Any]], operation: str,
               id_fields: list[str] | None = None, fail_fast: bool = False, api: str = "AUTOMATIC") -> tuple[str, str]:
    """Put `rows` as CSV in a new bucket, create and run an S3 -> Salesforce Account flow; (flow, error bucket)."""
    source, errors, name = csv_bucket(sluice, rows), new_bucket(sluice, "err"), unique(f"sf-{operation.lower()}")
    destination: dict[str, Any] = {
        "object": "Account", "writeOperationType": operation, "dataTransferApi": api,
        "errorHandlingConfig": {"failOnFirstDestinationError": fail_fast, "bucketName": errors, "bucketPrefix": "sf"},
    }
    if id_fields:
        destination["idFieldNames"] = id_fields
    appflow.create_flow(
        flowName=name,
        triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig=s3_csv_source(source),
        destinationFlowConfigList=[{"connectorType": "Salesforce", "connectorProfileName": profile,
                                    "destinationConnectorProperties": {"Salesforce": destination}}],
        tasks=copy_columns(rows[0]),
    )
    return name, errors


def run(appflow: Any, name: str) -> dict[str, Any]:
    return start_and_wait(appflow, name, timeout=120)


def names(fake: FakeSalesforce, where: str) -> set[str]:
    return {r[0] for r in fake.org.query(f"SELECT Name FROM Account WHERE {where}").rows}


def test_insert_lands_records_and_rejects_go_to_the_error_bucket(sluice: SluiceServer, appflow: Any,
                                                                 fake: FakeSalesforce, profile: str) -> None:
    tag = unique("ins")
    rows = [{"Name": f"{tag}-{i}", "Phone": f"555-{i:04d}"} for i in range(5)] + [{"Name": f"REJECT-{tag}",
                                                                                   "Phone": "1"}]
    name, errors = write_flow(sluice, appflow, profile, rows, "INSERT")
    record = run(appflow, name)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 1
    assert names(fake, f"Name LIKE '{tag}-%'") == {f"{tag}-{i}" for i in range(5)}
    failed = error_records(sluice, errors)
    assert [r["Name"] for r in failed] == [f"REJECT-{tag}"]
    assert "FIELD_CUSTOM_VALIDATION_EXCEPTION" in json.dumps(failed)


def test_upsert_by_external_id_updates_and_creates(sluice: SluiceServer, appflow: Any, fake: FakeSalesforce,
                                                   profile: str) -> None:
    existing = fake.org.query("SELECT Id, External_Id__c FROM Account WHERE External_Id__c != null LIMIT 1").rows[0]
    tag = unique("ups")
    rows = [{"External_Id__c": existing[1], "Name": f"{tag}-old"}, {"External_Id__c": f"{tag}-x", "Name": f"{tag}-new"},
            {"External_Id__c": f"{tag}-y", "Name": f"REJECT-{tag}"}]
    name, errors = write_flow(sluice, appflow, profile, rows, "UPSERT", ["External_Id__c"])
    record = run(appflow, name)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 1
    assert fake.org.query(f"SELECT Name FROM Account WHERE Id = '{existing[0]}'").rows[0][0] == f"{tag}-old"
    assert names(fake, f"External_Id__c = '{tag}-x'") == {f"{tag}-new"}
    assert [r["Name"] for r in error_records(sluice, errors)] == [f"REJECT-{tag}"]


def test_upsert_needs_an_external_id_field(appflow: Any, sluice: SluiceServer, profile: str) -> None:
    with pytest.raises(appflow.exceptions.ValidationException, match="idFieldNames"):
        write_flow(sluice, appflow, profile, [{"Name": "x"}], "UPSERT")


def test_update_by_id_and_unknown_ids_fail_per_record(sluice: SluiceServer, appflow: Any, fake: FakeSalesforce,
                                                     profile: str) -> None:
    ids = [r[0] for r in fake.org.query("SELECT Id FROM Account ORDER BY Id LIMIT 2").rows]
    tag = unique("upd")
    rows = [{"Id": ids[0], "Name": f"{tag}-a"}, {"Id": ids[1], "Name": f"{tag}-b"},
            {"Id": "001000000000000AAA", "Name": f"{tag}-ghost"}]
    name, errors = write_flow(sluice, appflow, profile, rows, "UPDATE", ["Id"])
    record = run(appflow, name)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 1
    assert names(fake, f"Name LIKE '{tag}-%'") == {f"{tag}-a", f"{tag}-b"}
    assert [r["Name"] for r in error_records(sluice, errors)] == [f"{tag}-ghost"]


def test_delete_by_id(sluice: SluiceServer, appflow: Any, fake: FakeSalesforce, profile: str) -> None:
    ids = [r[0] for r in fake.org.query("SELECT Id FROM Account ORDER BY Id DESC LIMIT 3").rows]
    name, _ = write_flow(sluice, appflow, profile, [{"Id": i} for i in ids], "DELETE", ["Id"])
    record = run(appflow, name)
    assert record["executionStatus"] == "Successful", record
    remaining = {r[0] for r in fake.org.query("SELECT Id FROM Account").rows}
    assert not remaining & set(ids)
    deleted = {r[0] for r in fake.org.query("SELECT Id FROM Account WHERE IsDeleted = true", include_deleted=True).rows}
    assert set(ids) <= deleted


def test_large_insert_goes_through_bulk_api(sluice: SluiceServer, appflow: Any, fake: FakeSalesforce,
                                            profile: str) -> None:
    tag = unique("bulk")
    rows = [{"Name": f"{tag}-{i}" if i % 700 else f"REJECT-{tag}-{i}", "Phone": str(i)} for i in range(1500)]
    before = fake.org.counters.get("bulk_ingest_create", 0)
    name, errors = write_flow(sluice, appflow, profile, rows, "INSERT")
    record = run(appflow, name)
    assert record["executionStatus"] == "Successful", record
    rejected = [r for r in rows if r["Name"].startswith("REJECT")]
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == len(rejected)
    assert fake.org.counters.get("bulk_ingest_create", 0) == before + 1
    assert len(names(fake, f"Name LIKE '{tag}-%'")) == len(rows) - len(rejected)
    assert sorted(r["Name"] for r in error_records(sluice, errors)) == sorted(r["Name"] for r in rejected)


def test_fail_on_first_error_stops_and_says_what_was_written(sluice: SluiceServer, appflow: Any,
                                                             fake: FakeSalesforce, profile: str) -> None:
    tag = unique("ff")
    rows = [{"Name": f"{tag}-{i}"} for i in range(450)]
    rows[250]["Name"] = f"REJECT-{tag}"
    name, errors = write_flow(sluice, appflow, profile, rows, "INSERT", fail_fast=True, api="REST_SYNC")
    record = run(appflow, name)
    assert record["executionStatus"] == "Error"
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    written = names(fake, f"Name LIKE '{tag}-%'")
    # Collections send 200 records per call (allOrNone false): the first call wrote 200, the second
    # wrote 199 and refused the reject, and no third call was made.
    assert len(written) == 399
    assert "399 record(s) were written to Account before the stop" in message, message
    assert "50 record(s) were not sent" in message, message
    assert [r["Name"] for r in error_records(sluice, errors)] == [f"REJECT-{tag}"]
