"""Veeva -> S3 through boto3 against the fake Vault (over https, the test CA).

A wrong password is refused at CreateConnectorProfile; objects and fields come from the Vault's metadata; a
flow pages a VQL query through an expired session and a forced 429, landing every record once in Parquet
with its Filter in the query's WHERE; a scheduled incremental flow lands each edit once; a documents flow
(one type, all versions) lands the document records and, beside them, every source file and rendition.
Expected rows and bytes come from the fake.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.fakes.veeva.server import FakeVault
from tests.integration.builders import raises, unique
from tests.support import flows
from tests.support.server import SluiceServer

SPEEDUP = 60.0
EPOCH = time.time()
QUERY = "/api/v24.1/query"


def virtual_now() -> float:
    """The scheduler's accelerated clock (SLUICE_SCHEDULER_SPEEDUP / EPOCH)."""
    return EPOCH + (time.time() - EPOCH) * SPEEDUP


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeVault]:
    with FakeVault(products=2300, documents=20) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeVault, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    env = {"SLUICE_ENDPOINT_URL_VEEVA": fake.url, **flows.scheduler_env(SPEEDUP, EPOCH)}
    with flows.saas_server(tmp_path_factory.mktemp("veeva"), secrets=[fake.state.password], **env) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def profile_request(name: str, url: str, username: str, password: str) -> dict[str, Any]:
    return {"connectorProfileName": name, "connectorType": "Veeva", "connectionMode": "Public",
            "connectorProfileConfig": {
                "connectorProfileProperties": {"Veeva": {"instanceUrl": url}},
                "connectorProfileCredentials": {"Veeva": {"username": username, "password": password}}}}


def new_profile(appflow: Any, fake: FakeVault) -> str:
    name = unique("vv")
    appflow.create_connector_profile(**profile_request(name, fake.url, fake.state.username, fake.state.password))
    return name


def projection(*fields: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": list(fields), "connectorOperator": {"Veeva": "PROJECTION"},
            "taskProperties": {}}


def mapped(*fields: str) -> list[dict[str, Any]]:
    return [{"taskType": "Map", "sourceFields": [f], "destinationField": f,
             "connectorOperator": {"Veeva": "NO_OP"}, "taskProperties": {}} for f in fields]


def compare(field: str, operator: str, value: str, data_type: str = "string") -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"Veeva": operator},
            "taskProperties": {"DATA_TYPE": data_type, "VALUE": value}}


def flow(name: str, profile: str, bucket: str, tasks: list[dict[str, Any]], trigger: dict[str, Any] | None = None,
         incremental: dict[str, Any] | None = None, **source: Any) -> dict[str, Any]:
    request = {"flowName": name, "triggerConfig": trigger or {"triggerType": "OnDemand"},
               "sourceFlowConfig": {"connectorType": "Veeva", "connectorProfileName": profile,
                                    "sourceConnectorProperties": {"Veeva": source}},
               "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
               "tasks": tasks}
    if incremental:
        request["sourceFlowConfig"]["incrementalPullConfig"] = incremental
    return request


def test_a_wrong_password_is_refused_and_the_fields_come_from_the_vault(
        appflow: Any, sluice: SluiceServer, fake: FakeVault) -> None:
    with raises(appflow, "ConnectorAuthenticationException", 401, "USERNAME_OR_PASSWORD_INCORRECT"):
        appflow.create_connector_profile(**profile_request(unique("vv-bad"), fake.url, fake.state.username, "nope"))
    profile = new_profile(appflow, fake)
    listed = appflow.list_connector_entities(connectorProfileName=profile, connectorType="Veeva")
    names = [e["name"] for group in listed["connectorEntityMap"].values() for e in group]
    assert names == ["documents", "product__v", "country__v"]
    fields = appflow.describe_connector_entity(connectorProfileName=profile, connectorType="Veeva",
                                               connectorEntityName="product__v")["connectorEntityFields"]
    by_name = {f["identifier"]: f for f in fields}
    assert by_name["id"]["isPrimaryKey"] is True and by_name["list_price__c"]["label"] == "List Price"
    assert by_name["modified_date__v"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert by_name["list_price__c"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "Number"
    assert "GREATER_THAN" in by_name["list_price__c"]["supportedFieldTypeDetails"]["v1"]["filterOperators"]
    documents = appflow.describe_connector_entity(connectorProfileName=profile, connectorType="Veeva",
                                                  connectorEntityName="documents")["connectorEntityFields"]
    assert {"product__v", "version_id", "filename__v"} <= {f["identifier"] for f in documents}
    assert "lock__sys" not in {f["identifier"] for f in documents}  # not queryable
    with raises(appflow, "ValidationException", 400, "noSuchField__c"):
        appflow.create_flow(**flow(unique("vv-bad-field"), profile, flows.new_bucket(sluice, "vvb"),
                                   [projection("id", "noSuchField__c"), *mapped("id", "noSuchField__c")],
                                   object="product__v"))


def test_a_vql_query_pages_through_an_expired_session_and_a_429_landing_each_once(
        appflow: Any, sluice: SluiceServer, fake: FakeVault) -> None:
    profile, bucket, name = new_profile(appflow, fake), flows.new_bucket(sluice, "vvb"), unique("vv-all")
    columns = ("id", "name__v", "status__v", "therapeutic_area__c", "list_price__c", "launch_date__c",
               "modified_date__v")
    appflow.create_flow(**flow(name, profile, bucket, [projection(*columns), compare("list_price__c", "GREATER_THAN",
                                                                                     "100", "double"),
                                                       *mapped(*columns)], object="product__v"))
    fake.log.clear()
    fake.state.expire_sessions()
    fake.state.throttle_next(1, after=1, path=QUERY)
    record = flows.start_and_wait(appflow, name, timeout=120)
    assert record["executionStatus"] == "Successful", record
    expected = {r["id"]: r for r in fake.state.object_records("product__v")
                if r["list_price__c"] is not None and r["list_price__c"] > 100}
    rows = flows.published_rows(sluice, bucket)
    assert Counter(r["id"] for r in rows) == Counter(set(expected)) and len(expected) > 1000
    assert record["executionResult"]["recordsProcessed"] == len(expected)
    for row in rows[:50]:
        seeded = expected[row["id"]]
        assert row["status__v"] == seeded["status__v"] and row["therapeutic_area__c"] == seeded["therapeutic_area__c"]
        assert row["name__v"] == seeded["name__v"]
    queries = fake.log.matching(QUERY)
    first = queries[0]["query"]["q"][0]
    assert first.startswith("SELECT id, name__v, status__v") and "FROM product__v WHERE list_price__c > 100" in first
    signed_in = fake.state.sign_ins
    assert [q["method"] for q in queries] == ["POST", "GET", "GET"]  # 2 pages, next_page by GET, the 429 retried
    assert fake.log.matching("/api/v24.1/auth") and signed_in >= 2  # the expired session was replaced
    schema = pq.read_schema(next((sluice.data_dir / "s3" / bucket).rglob("*.parquet")))
    assert str(schema.field("modified_date__v").type).startswith("timestamp")
    assert str(schema.field("launch_date__c").type) == "date32[day]"
    assert str(schema.field("status__v").type).startswith("list")


def test_a_scheduled_incremental_flow_lands_each_edit_once(appflow: Any, sluice: SluiceServer,
                                                          fake: FakeVault) -> None:
    profile, name, bucket = new_profile(appflow, fake), unique("vv-inc"), flows.new_bucket(sluice, "vvb")
    ids = [fake.state.object_id("product__v", i) for i in range(4)]

    def edit(index: int, label: str) -> None:  # the Vault's clock is the scheduler's
        fake.state.edit("product__v", ids[index], virtual_now(), name__v=label)

    for index in range(3):
        edit(index, f"first-{index}")
    columns = ("id", "name__v", "modified_date__v")
    fake.log.clear()
    appflow.create_flow(**flow(name, profile, bucket, [projection(*columns), *mapped(*columns)],
                               trigger=flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600),
                               incremental={"datetimeTypeFieldName": "modified_date__v"}, object="product__v"))
    flows.edits_land_once(appflow, sluice, name, bucket, "name__v", edit)
    windows = [q["query"]["q"][0] for q in fake.log.matching(QUERY) if q["method"] == "POST"]
    assert windows and all("modified_date__v > '" in q and "modified_date__v <= '" in q for q in windows)


def test_document_files_land_beside_the_records(appflow: Any, sluice: SluiceServer, fake: FakeVault) -> None:
    profile, bucket, name = new_profile(appflow, fake), flows.new_bucket(sluice, "vvb"), unique("vv-docs")
    columns = ("id", "name__v", "type__v", "major_version_number__v", "minor_version_number__v", "product__v")
    appflow.create_flow(**flow(name, profile, bucket, [projection(*columns), *mapped(*columns)], object="documents",
                               documentType="claim__c", includeSourceFiles=True, includeRenditions=True,
                               includeAllVersions=True))
    fake.log.clear()
    record = flows.start_and_wait(appflow, name, timeout=120)
    assert record["executionStatus"] == "Successful", record
    expected = [d for d in fake.state.document_records(all_versions=True) if d["type__v"] == "Claim"]
    rows = flows.published_rows(sluice, bucket)
    assert sorted((r["id"], r["major_version_number__v"], r["minor_version_number__v"]) for r in rows) == sorted(
        (d["id"], d["major_version_number__v"], d["minor_version_number__v"]) for d in expected)
    assert "FROM ALLVERSIONS documents WHERE type__v = 'Claim'" in fake.log.matching(QUERY)[0]["query"]["q"][0]
    root = sluice.data_dir / "s3" / bucket
    parquet = next(root.rglob("*.parquet"))
    files_dir = parquet.parent / "files"  # AppFlow's default layout: the run's own folder holds its files
    assert parquet.parent.name == record["executionId"]
    landed = {str(p.relative_to(files_dir)): p.read_bytes() for p in files_dir.rglob("*") if p.is_file()}
    wanted: dict[str, bytes] = {}
    for doc in expected:
        version = (doc["major_version_number__v"], doc["minor_version_number__v"])
        folder = f"{doc['id']}/{version[0]}_{version[1]}"  # AppFlow's `<id>/<major>_<minor>/<file name>`
        if doc["filename__v"] is not None:
            wanted[f"{folder}/{doc['filename__v']}"] = fake.state.source_file(doc["id"], version)
        for kind in fake.state.renditions(doc["id"]):
            wanted[f"{folder}/renditions/{kind}/viewable-{doc['id']}.pdf"] = fake.state.rendition_file(
                doc["id"], version, kind)
    assert landed == wanted and any("/renditions/" in k for k in wanted) and len(wanted) > len(expected)
    assert not any(p.name == ".sluice-staging" for p in root.rglob("*"))
    assert any(d["filename__v"] is None for d in expected)  # a placeholder: its record, no file
