"""S3 -> Snowflake end to end over HTTP with boto3: a `sluice serve` process, moto's S3 for the source, the
staging bucket behind the external stage and the error bucket, and the fakesnow stand-in (tests/fakes/snowflake/)
for Snowflake, reached over https with the test CA.

Covered: the profile check (login, warehouse, stage), entity metadata from INFORMATION_SCHEMA, a 100k-row run
through every task type an S3 source offers compared row for row, a Map_all run, bad rows per
errorHandlingConfig (continue: rejects in the error bucket, good rows loaded; fail fast: nothing loaded), and a
run killed while COPY INTO holds its transaction (the table is left as it was).
"""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from botocore.exceptions import ClientError

from tests.fakes.snowflake import SnowflakeStandIn
from tests.integration.builders import unique
from tests.support.flows import wait_for, wait_for_run
from tests.support.server import SluiceServer
from tests.support.tls import tls_env

MOTO_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
PASSWORD = "Load-Secret-9f3a"
STAGE_BUCKET = "snowflake-stage"
ERROR_BUCKET = "snowflake-errors"
DATABASE = "ANALYTICS"


@pytest.fixture(scope="module")
def s3(moto_s3: str) -> Any:
    client = boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    for bucket in (STAGE_BUCKET, ERROR_BUCKET):
        client.create_bucket(Bucket=bucket)
    return client


@pytest.fixture(scope="module")
def standin(moto_s3: str, s3: Any) -> Iterator[SnowflakeStandIn]:
    with SnowflakeStandIn(moto_s3, users={"LOADER": PASSWORD}, warehouses=("LOAD_WH",)) as fake:
        fake.sql(f"CREATE DATABASE {DATABASE}")
        fake.sql(f"CREATE SCHEMA {DATABASE}.RAW")
        fake.sql(f"CREATE STAGE {DATABASE}.RAW.APPFLOW_STAGE URL='s3://{STAGE_BUCKET}/appflow/'")
        yield fake


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, moto_s3: str, standin: SnowflakeStandIn) -> Iterator[SluiceServer]:
    env = {"SLUICE_S3_BACKEND": "aws", "AWS_ENDPOINT_URL_S3": moto_s3, **MOTO_KEYS, **tls_env(),
           "SLUICE_ENDPOINT_URL_SNOWFLAKE": standin.url}
    sluice = SluiceServer(data_dir=tmp_path_factory.mktemp("snowflake"), workers=1, extra_env=env).start()
    try:
        yield sluice
    finally:
        sluice.stop()
    log = sluice.log()
    assert "Traceback" not in log, log[-4000:]
    assert PASSWORD not in log


def profile_request(name: str, *, password: str = PASSWORD, stage: str = f"{DATABASE}.RAW.APPFLOW_STAGE",
                    warehouse: str = "LOAD_WH") -> dict[str, Any]:
    return {"connectorProfileName": name, "connectorType": "Snowflake", "connectionMode": "Public",
            "connectorProfileConfig": {
                "connectorProfileProperties": {"Snowflake": {
                    "warehouse": warehouse, "stage": stage, "bucketName": STAGE_BUCKET, "bucketPrefix": "appflow",
                    "accountName": "xy12345", "region": "us-east-1"}},
                "connectorProfileCredentials": {"Snowflake": {"username": "loader", "password": password}}}}


@pytest.fixture(scope="module")
def profile(server: SluiceServer) -> str:
    name = unique("snowflake")
    server.client().create_connector_profile(**profile_request(name))
    return name


def put_csv(s3: Any, rows: list[dict[str, Any]]) -> str:
    bucket = unique("source")
    s3.create_bucket(Bucket=bucket)
    data = io.BytesIO()
    pacsv.write_csv(pa.Table.from_pylist(rows), data)
    s3.put_object(Bucket=bucket, Key="in/rows.csv", Body=data.getvalue())
    return bucket


def flow_request(name: str, profile: str, source: str, table: str, tasks: list[dict[str, Any]],
                 error_handling: dict[str, Any] | None = None) -> dict[str, Any]:
    snowflake: dict[str, Any] = {"object": f"{DATABASE}.RAW.{table}", "intermediateBucketName": STAGE_BUCKET,
                                 "bucketPrefix": "appflow"}
    if error_handling is not None:
        snowflake["errorHandlingConfig"] = error_handling
    return {
        "flowName": name,
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": "S3", "sourceConnectorProperties": {"S3": {
            "bucketName": source, "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
        "destinationFlowConfigList": [{"connectorType": "Snowflake", "connectorProfileName": profile,
                                       "destinationConnectorProperties": {"Snowflake": snowflake}}],
        "tasks": tasks,
    }


def run(server: SluiceServer, request: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    client = server.client()
    client.create_flow(**request)
    return wait_for_run(client, request["flowName"], client.start_flow(flowName=request["flowName"])["executionId"],
                        timeout=timeout)


def staged_keys(s3: Any) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=STAGE_BUCKET, Prefix="appflow/")
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def error_rows(s3: Any, flow: str) -> list[dict[str, Any]]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=ERROR_BUCKET)
    keys = [o["Key"] for page in pages for o in page.get("Contents", []) if flow in o["Key"]]
    return [json.loads(line) for key in keys
            for line in s3.get_object(Bucket=ERROR_BUCKET, Key=key)["Body"].read().decode().splitlines() if line]


def map_task(source: str, destination: str | None = None) -> dict[str, Any]:
    return {"taskType": "Map", "connectorOperator": {"S3": "NO_OP"}, "sourceFields": [source],
            "destinationField": destination or source, "taskProperties": {}}


# -- the profile and metadata ----------------------------------------------------------------------


def test_profile_check_logs_in_and_finds_warehouse_and_stage(server: SluiceServer, profile: str) -> None:
    client = server.client()
    with pytest.raises(ClientError) as wrong_password:
        client.create_connector_profile(**profile_request(unique("bad"), password="not-it"))
    assert wrong_password.value.response["Error"]["Code"] == "ConnectorAuthenticationException"
    assert "Incorrect username or password" in wrong_password.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as no_stage:
        client.create_connector_profile(**profile_request(unique("bad"), stage=f"{DATABASE}.RAW.NO_SUCH_STAGE"))
    assert "NO_SUCH_STAGE" in no_stage.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as no_warehouse:
        client.create_connector_profile(**profile_request(unique("bad"), warehouse="OTHER_WH"))
    assert "OTHER_WH" in no_warehouse.value.response["Error"]["Message"]
    described = client.describe_connector_profiles(connectorProfileNames=[profile])["connectorProfileDetails"]
    assert described[0]["connectorProfileProperties"]["Snowflake"]["stage"] == f"{DATABASE}.RAW.APPFLOW_STAGE"


def test_metadata_lists_tables_and_describes_columns(server: SluiceServer, profile: str,
                                                     standin: SnowflakeStandIn) -> None:
    standin.sql(f"CREATE TABLE {DATABASE}.RAW.META_T (ID NUMBER(10,0) NOT NULL, NAME VARCHAR(12), "
                "PRICE NUMBER(12,2), SEEN TIMESTAMP_NTZ, OK BOOLEAN, DOC VARIANT)")
    client = server.client()

    def names(parent: str | None = None) -> list[str]:
        kwargs = {"entitiesPath": parent} if parent else {}
        page = client.list_connector_entities(connectorProfileName=profile, **kwargs)["connectorEntityMap"]
        return [e["name"] for group in page.values() for e in group]

    assert DATABASE in names()
    assert f"{DATABASE}.RAW" in names(DATABASE)
    assert f"{DATABASE}.RAW.META_T" in names(f"{DATABASE}.RAW")
    fields = client.describe_connector_entity(connectorProfileName=profile, connectorType="Snowflake",
                                              connectorEntityName=f"{DATABASE}.RAW.META_T")["connectorEntityFields"]
    got = {f["identifier"]: (f["supportedFieldTypeDetails"]["v1"]["fieldType"],
                             f["destinationProperties"]["isNullable"]) for f in fields}
    assert got == {"ID": ("Long", False), "NAME": ("String", True), "PRICE": ("Decimal", True),
                   "SEEN": ("DateTime", True), "OK": ("Boolean", True), "DOC": ("Object", True)}
    short = client.describe_connector_entity(connectorProfileName=profile, connectorType="Snowflake",
                                             connectorEntityName="raw.meta_t")["connectorEntityFields"]
    assert [f["identifier"] for f in short] == [f["identifier"] for f in fields]
    with pytest.raises(ClientError) as missing:
        client.describe_connector_entity(connectorProfileName=profile, connectorType="Snowflake",
                                         connectorEntityName=f"{DATABASE}.RAW.NO_SUCH_TABLE")
    assert "NO_SUCH_TABLE" in missing.value.response["Error"]["Message"]
    name = next(f for f in fields if f["identifier"] == "NAME")
    assert name["supportedFieldTypeDetails"]["v1"]["fieldLengthRange"]["maximum"] == 12.0


# -- loads ---------------------------------------------------------------------------------------------


def big_rows(count: int) -> list[dict[str, Any]]:
    names = ["Ada", "Grace", "Zoë", "Łukasz", "李小龍", "Renée 🚀"]
    return [{"id": str(i), "name": f"{names[i % len(names)]} {i}",
             "email": "" if i % 97 == 0 else f"user{i}@example.com",
             "amount": f"{i % 5000}.{i % 100:02d}", "qty": str(i % 7), "note": f"note number {i}",
             "day": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", "seen": f"2024-03-{1 + i % 28:02d}T{i % 24:02d}:15:30",
             "flag": "true" if i % 3 else "false"} for i in range(1, count + 1)]


EVERY_TASK = [
    {"taskType": "Filter", "connectorOperator": {"S3": "PROJECTION"},
     "sourceFields": ["id", "name", "email", "amount", "qty", "note", "day", "seen", "flag"], "taskProperties": {}},
    {"taskType": "Filter", "connectorOperator": {"S3": "NOT_EQUAL_TO"}, "sourceFields": ["qty"],
     "taskProperties": {"DATA_TYPE": "string", "VALUE": "6"}},
    {"taskType": "Validate", "connectorOperator": {"S3": "VALIDATE_NON_NULL"}, "sourceFields": ["email"],
     "taskProperties": {"VALIDATION_ACTION": "DropRecord"}},
    map_task("id"), map_task("name"), map_task("amount"), map_task("day"), map_task("seen"), map_task("flag"),
    {"taskType": "Passthrough", "connectorOperator": {"S3": "NO_OP"}, "sourceFields": ["qty"], "taskProperties": {}},
    {"taskType": "Mask", "connectorOperator": {"S3": "MASK_FIRST_N"}, "sourceFields": ["email"],
     "destinationField": "email_masked", "taskProperties": {"MASK_LENGTH": "4", "MASK_VALUE": "#"}},
    {"taskType": "Merge", "connectorOperator": {"S3": "NO_OP"}, "sourceFields": ["name", "id"],
     "destinationField": "label", "taskProperties": {"CONCAT_FORMAT": "${name} #${id}"}},
    {"taskType": "Arithmetic", "connectorOperator": {"S3": "MULTIPLICATION"}, "sourceFields": ["amount", "qty"],
     "destinationField": "total", "taskProperties": {}},
    {"taskType": "Truncate", "connectorOperator": {"S3": "NO_OP"}, "sourceFields": ["note"],
     "destinationField": "short_note", "taskProperties": {"TRUNCATE_LENGTH": "6"}},
]


def expected_every_task(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    out = []
    for r in rows:
        if r["qty"] == "6" or not r["email"]:
            continue
        out.append((int(r["id"]), r["name"], Decimal(r["amount"]), datetime.date.fromisoformat(r["day"]),
                    datetime.datetime.fromisoformat(r["seen"]), r["flag"] == "true", int(r["qty"]),
                    "####" + r["email"][4:], f"{r['name']} #{r['id']}", float(r["amount"]) * float(r["qty"]),
                    r["note"][:6]))
    return out


def test_100k_rows_through_every_task_type_land_row_for_row(server: SluiceServer, profile: str, s3: Any,
                                                            standin: SnowflakeStandIn) -> None:
    standin.sql(f"CREATE TABLE {DATABASE}.RAW.ORDERS (ID NUMBER(10,0) NOT NULL, NAME VARCHAR(20), "
                "AMOUNT NUMBER(12,2), DAY DATE, SEEN TIMESTAMP_NTZ, FLAG BOOLEAN, QTY NUMBER(5,0), "
                "EMAIL_MASKED VARCHAR(60), LABEL VARCHAR(40), TOTAL FLOAT, SHORT_NOTE VARCHAR(6))")
    rows = big_rows(100_000)
    flow = unique("orders")
    record = run(server, flow_request(flow, profile, put_csv(s3, rows), "ORDERS", EVERY_TASK))
    assert record["executionStatus"] == "Successful", record
    expected = expected_every_task(rows)
    assert record["executionResult"]["recordsProcessed"] >= len(expected)
    loaded = standin.sql(f"SELECT ID, NAME, AMOUNT, DAY, SEEN, FLAG, QTY, EMAIL_MASKED, LABEL, TOTAL, SHORT_NOTE "
                         f"FROM {DATABASE}.RAW.ORDERS ORDER BY ID")
    assert len(loaded) == len(expected)
    assert loaded == expected
    copies = [c for c in standin.copies() if "ORDERS" in c]
    assert len(copies) == 1 and "ON_ERROR = ABORT_STATEMENT" in copies[0] and "MATCH_BY_COLUMN_NAME" in copies[0]
    assert staged_keys(s3) == []  # the staged parts are gone once loaded


SMALL_TABLE = "(ID NUMBER(10,0) NOT NULL, NAME VARCHAR(5), SCORE NUMBER(6,0))"


def small_rows() -> list[dict[str, Any]]:
    return [{"id": str(i), "name": f"n{i}", "score": str(i * 3)} for i in range(1, 201)]


MAP_ALL = [{"taskType": "Map_all", "connectorOperator": {"S3": "NO_OP"}, "sourceFields": [], "taskProperties": {}}]


def test_map_all_loads_every_field(server: SluiceServer, profile: str, s3: Any, standin: SnowflakeStandIn) -> None:
    standin.sql(f"CREATE TABLE {DATABASE}.RAW.SMALL {SMALL_TABLE}")
    standin.sql(f"INSERT INTO {DATABASE}.RAW.SMALL VALUES (0, 'kept', 0)")
    record = run(server, flow_request(unique("small"), profile, put_csv(s3, small_rows()), "SMALL", MAP_ALL))
    assert record["executionStatus"] == "Successful", record
    loaded = standin.sql(f"SELECT ID, NAME, SCORE FROM {DATABASE}.RAW.SMALL ORDER BY ID")
    assert loaded == [(0, "kept", 0)] + [(i, f"n{i}", i * 3) for i in range(1, 201)]
    assert PASSWORD not in server.log()  # logins and loads never log the profile's password


def bad_rows() -> list[dict[str, Any]]:
    rows = small_rows()[:20]
    rows[3]["score"] = "lots"  # type mismatch
    rows[7]["name"] = "far too long"  # longer than VARCHAR(5)
    rows[11]["id"] = "x11"  # type mismatch in the NOT NULL key
    return rows


def test_bad_rows_go_to_the_error_bucket_and_the_rest_load(server: SluiceServer, profile: str, s3: Any,
                                                           standin: SnowflakeStandIn) -> None:
    standin.sql(f"CREATE TABLE {DATABASE}.RAW.TOLERANT {SMALL_TABLE}")
    flow = unique("tolerant")
    errors = {"failOnFirstDestinationError": False, "bucketName": ERROR_BUCKET, "bucketPrefix": "rejects"}
    record = run(server, flow_request(flow, profile, put_csv(s3, bad_rows()), "TOLERANT", MAP_ALL, errors))
    assert record["executionStatus"] == "Successful", record
    loaded = standin.sql(f"SELECT ID FROM {DATABASE}.RAW.TOLERANT ORDER BY ID")
    assert [r[0] for r in loaded] == [i for i in range(1, 21) if i not in (4, 8, 12)]
    rejected = error_rows(s3, flow)
    assert len(rejected) == 3
    text = json.dumps(rejected)
    assert "lots" in text and "far too long" in text and "x11" in text
    assert "SCORE" in text and "NAME" in text


def test_fail_fast_loads_nothing(server: SluiceServer, profile: str, s3: Any, standin: SnowflakeStandIn) -> None:
    standin.sql(f"CREATE TABLE {DATABASE}.RAW.STRICT {SMALL_TABLE}")
    standin.sql(f"INSERT INTO {DATABASE}.RAW.STRICT VALUES (0, 'kept', 0)")
    flow = unique("strict")
    errors = {"failOnFirstDestinationError": True, "bucketName": ERROR_BUCKET, "bucketPrefix": "rejects"}
    record = run(server, flow_request(flow, profile, put_csv(s3, bad_rows()), "STRICT", MAP_ALL, errors))
    assert record["executionStatus"] == "Error", record
    assert "SCORE" in record["executionResult"]["errorInfo"]["executionMessage"]
    assert standin.sql(f"SELECT ID, NAME, SCORE FROM {DATABASE}.RAW.STRICT") == [(0, "kept", 0)]
    assert staged_keys(s3) == []


def test_a_failed_copy_rolls_back(server: SluiceServer, profile: str, s3: Any, standin: SnowflakeStandIn) -> None:
    standin.sql(f"CREATE TABLE {DATABASE}.RAW.ROLLED {SMALL_TABLE}")
    standin.sql(f"INSERT INTO {DATABASE}.RAW.ROLLED VALUES (0, 'kept', 0)")
    standin.fail_next_copy("Numeric value 'abc' is not recognized  File 'part-00000.parquet', line 3")
    record = run(server, flow_request(unique("rolled"), profile, put_csv(s3, small_rows()), "ROLLED", MAP_ALL))
    assert record["executionStatus"] == "Error", record
    assert "Numeric value 'abc' is not recognized" in record["executionResult"]["errorInfo"]["executionMessage"]
    assert standin.sql(f"SELECT ID, NAME, SCORE FROM {DATABASE}.RAW.ROLLED") == [(0, "kept", 0)]
    assert staged_keys(s3) == []


def test_a_run_killed_mid_load_leaves_the_table_as_it_was(tmp_path: Path, moto_s3: str, s3: Any,
                                                          standin: SnowflakeStandIn) -> None:
    standin.sql(f"CREATE TABLE {DATABASE}.RAW.KILLED {SMALL_TABLE}")
    standin.sql(f"INSERT INTO {DATABASE}.RAW.KILLED VALUES (0, 'kept', 0)")
    env = {"SLUICE_S3_BACKEND": "aws", "AWS_ENDPOINT_URL_S3": moto_s3, **MOTO_KEYS, **tls_env(),
           "SLUICE_ENDPOINT_URL_SNOWFLAKE": standin.url, "SLUICE_RUN_LEASE_SECONDS": "3"}
    sluice = SluiceServer(data_dir=tmp_path / "data", workers=1, extra_env=env).start()
    try:
        client = sluice.client()
        name = unique("snowflake")
        client.create_connector_profile(**profile_request(name))
        flow = unique("killed")
        client.create_flow(**flow_request(flow, name, put_csv(s3, small_rows()), "KILLED", MAP_ALL))
        standin.hold_copies()
        client.start_flow(flowName=flow)
        assert standin.copy_started.wait(timeout=120), "the load never reached COPY INTO"
        sluice.kill()
        standin.release_copies()
        assert standin.sql(f"SELECT ID, NAME, SCORE FROM {DATABASE}.RAW.KILLED") == [(0, "kept", 0)]
        sluice.start()  # restart recovery ends the run and removes what it staged
        client = sluice.client()
        wait_for(lambda: client.describe_flow_execution_records(flowName=flow)["flowExecutions"][0]["executionStatus"]
                 not in ("InProgress", "CancelStarted"), 60)
        final = client.describe_flow_execution_records(flowName=flow)["flowExecutions"][0]
        assert final["executionStatus"] == "Error", final
        assert "interrupted" in final["executionResult"]["errorInfo"]["executionMessage"]
        assert standin.sql(f"SELECT ID, NAME, SCORE FROM {DATABASE}.RAW.KILLED") == [(0, "kept", 0)]
        wait_for(lambda: staged_keys(s3) == [], 30)
    finally:
        standin.release_copies()
        sluice.stop()
