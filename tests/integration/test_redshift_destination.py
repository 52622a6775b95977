"""S3 -> Redshift end to end over boto3, with the Redshift stand-in (tests/fakes/redshift).

The stand-in is the suite's PostgreSQL behind a Redshift Data API fake that carries out Redshift's
`COPY ... FROM 's3://...' IAM_ROLE ... FORMAT AS PARQUET` by reading moto's S3. Sluice runs with
the `aws` S3 backend on moto (source, stage and error buckets) and assumes the profile's
`dataApiRoleArn` through moto's STS. Every comparison reads the table back from PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from tests.fakes.common.https import HttpsFake
from tests.fakes.redshift.app import build_app
from tests.fakes.redshift.state import RedshiftDataState
from tests.fakes.redshift.wire import WireProxy
from tests.integration.builders import unique
from tests.support.flows import start_and_wait, wait_for, wait_for_run
from tests.support.postgres import PostgresServer
from tests.support.server import SluiceServer
from tests.support.tls import certificates

MOTO_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
COPY_ROLE = "arn:aws:iam::123456789012:role/redshift-reads-stage"
DATA_API_ROLE = "arn:aws:iam::123456789012:role/appflow-redshift-data"
FIRST = ["Ada", "Zoë", "José", "Łukasz", "Grace", "Ævar", "美咲", "O'Neil"]
LAST = ["Lovelace", "Hopper", "Müller", "Nørgaard", "García", "Smith", "山田"]
STATUSES = ["open", "closed", "lost", "pending"]


class Stand:
    """Everything a test here uses: the server, its client, S3, the stand-in and its database."""

    def __init__(self, server: SluiceServer, state: RedshiftDataState, wire: WireProxy, s3: Any,
                 database: str) -> None:
        self.server, self.state, self.wire, self.s3, self.database = server, state, wire, s3, database
        self.client = server.client()
        self.profile = unique("redshift")  # through the Data API
        self.direct = unique("redshift-direct")  # through redshift_connector and the wire stand-in

    def sql(self, text: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.state.dsn(self.database), autocommit=True) as conn:
            cur = conn.execute(text)
            return cur.fetchall() if cur.description else []

    def csv_bucket(self, rows: list[dict[str, Any]]) -> str:
        bucket = unique("src")
        self.s3.create_bucket(Bucket=bucket)
        out = io.BytesIO()
        pacsv.write_csv(pa.Table.from_pylist(rows), out)
        self.s3.put_object(Bucket=bucket, Key="in/rows.csv", Body=out.getvalue())
        return bucket

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def flow(self, source: str, table: str, tasks: list[dict[str, Any]],
             error_config: dict[str, Any] | None = None, profile: str | None = None) -> str:
        name = unique("to-redshift")
        props: dict[str, Any] = {"object": f"public.{table}", "intermediateBucketName": "stage",
                                 "bucketPrefix": "appflow"}
        if error_config:
            props["errorHandlingConfig"] = error_config
        self.client.create_flow(
            flowName=name, triggerConfig={"triggerType": "OnDemand"},
            sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {"S3": {
                "bucketName": source, "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
            destinationFlowConfigList=[{"connectorType": "Redshift", "connectorProfileName": profile or self.profile,
                                        "destinationConnectorProperties": {"Redshift": props}}],
            tasks=tasks)
        return name


@pytest.fixture(scope="module")
def stand(postgres: PostgresServer, moto_s3: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stand]:
    database = postgres.create_database().rsplit("/", 1)[1]
    state = RedshiftDataState(postgres.port, moto_s3)
    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    for bucket in ("stage", "errors"):
        s3.create_bucket(Bucket=bucket)
    wire = WireProxy(postgres.port, moto_s3).start()
    with HttpsFake(build_app(state), name="redshift-data") as fake:
        server = SluiceServer(data_dir=tmp_path_factory.mktemp("redshift"), workers=1, extra_env={
            "AWS_ENDPOINT_URL_S3": moto_s3, "AWS_ENDPOINT_URL_STS": moto_s3,
            "AWS_ENDPOINT_URL_REDSHIFT_DATA": fake.url, "SLUICE_RUN_LEASE_SECONDS": "2",
            # botocore trusts AWS_CA_BUNDLE (not REQUESTS_CA_BUNDLE): the fake's test CA.
            "AWS_CA_BUNDLE": certificates().ca_file, **MOTO_KEYS})
        server.start()
        try:
            stand = Stand(server, state, wire, s3, database)
            stand.client.create_connector_profile(
                connectorProfileName=stand.profile, connectorType="Redshift", connectionMode="Public",
                connectorProfileConfig={
                    "connectorProfileProperties": {"Redshift": {
                        "databaseUrl": f"jdbc:redshift://127.0.0.1:{postgres.port}/{database}",
                        "bucketName": "stage", "roleArn": COPY_ROLE, "dataApiRoleArn": DATA_API_ROLE,
                        "clusterIdentifier": "sluice-test", "databaseName": database}},
                    "connectorProfileCredentials": {"Redshift": {"username": "awsuser", "password": "not-logged-9"}}})
            stand.client.create_connector_profile(**_direct_profile(stand.direct, wire, database, "Redshift-pw-1"))
            yield stand
        finally:
            server.stop()
            wire.stop()
    assert "Traceback" not in server.log(), server.log()[-4000:]
    assert "not-logged-9" not in server.log() and "Redshift-pw-1" not in server.log()


def _direct_profile(name: str, wire: WireProxy, database: str, password: str) -> dict[str, Any]:
    return {"connectorProfileName": name, "connectorType": "Redshift", "connectionMode": "Public",
            "connectorProfileConfig": {
                "connectorProfileProperties": {"Redshift": {
                    "databaseUrl": f"jdbc:redshift://127.0.0.1:{wire.port}/{database}",
                    "bucketName": "stage", "roleArn": COPY_ROLE}},
                "connectorProfileCredentials": {"Redshift": {"username": "awsuser", "password": password}}}}


def _orders(n: int) -> list[dict[str, Any]]:
    rnd = random.Random(16)
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    rows = []
    for i in range(1, n + 1):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        rows.append({
            "id": str(i), "first": first, "last": last, "email": f"{first.lower()}.{i}@example.org",
            "amount": f"{rnd.randint(-2000, 200000) / 100:.2f}", "qty": str(rnd.randint(1, 9)),
            "price": f"{rnd.randint(1, 99999) / 100:.2f}", "card": "".join(rnd.choice("0123456789") for _ in range(16)),
            "description": rnd.choice(["Crème brûlée", "short", "A much longer description here", "naïve café"]),
            "status": rnd.choice(STATUSES),
            "created": (base + dt.timedelta(seconds=rnd.randint(0, 10**7))).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "vip": rnd.choice(["true", "false"]),
        })
    return rows


def _map(source: str, destination: str | None = None) -> dict[str, Any]:
    return {"taskType": "Map", "connectorOperator": {"S3": "NO_OP"}, "sourceFields": [source],
            "destinationField": destination or source, "taskProperties": {}}


ORDER_TASKS: list[dict[str, Any]] = [
    {"taskType": "Filter", "connectorOperator": {"S3": "PROJECTION"},
     "sourceFields": ["id", "first", "last", "email", "amount", "qty", "price", "card", "description", "status",
                      "created", "vip"]},
    {"taskType": "Filter", "connectorOperator": {"S3": "NOT_EQUAL_TO"}, "sourceFields": ["status"],
     "taskProperties": {"DATA_TYPE": "string", "VALUES": json.dumps(["lost"])}},
    {"taskType": "Validate", "connectorOperator": {"S3": "VALIDATE_NON_NEGATIVE"}, "sourceFields": ["amount"],
     "taskProperties": {"VALIDATION_ACTION": "DropRecord"}},
    _map("id"), _map("email"), _map("amount"), _map("status"), _map("created"), _map("vip"),
    {"taskType": "Merge", "connectorOperator": {"S3": "NO_OP"}, "sourceFields": ["first", "last"],
     "destinationField": "full_name", "taskProperties": {"CONCAT_FORMAT": "${last}, ${first}"}},
    {"taskType": "Arithmetic", "connectorOperator": {"S3": "MULTIPLICATION"}, "sourceFields": ["price", "qty"],
     "destinationField": "total"},
    {"taskType": "Mask", "connectorOperator": {"S3": "MASK_FIRST_N"}, "sourceFields": ["card"],
     "destinationField": "card_masked", "taskProperties": {"MASK_LENGTH": "12", "MASK_VALUE": "#"}},
    {"taskType": "Truncate", "connectorOperator": {"S3": "NO_OP"}, "sourceFields": ["description"],
     "taskProperties": {"TRUNCATE_LENGTH": "10"}},
    _map("description"),
]
ORDERS_TABLE = ("(id bigint NOT NULL, full_name varchar(64), email varchar(128), amount numeric(12,2), "
                "total double precision, card_masked varchar(19), description varchar(40), status varchar(16), "
                "created timestamptz, vip boolean, loaded_at timestamp DEFAULT now())")


def _expected(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The tasks' result computed independently of Sluice."""
    kept = [r for r in rows if r["status"] != "lost" and float(r["amount"]) >= 0]
    return [(int(r["id"]), f"{r['last']}, {r['first']}", r["email"], Decimal(r["amount"]),
             float(r["price"]) * float(r["qty"]), "#" * 12 + r["card"][12:], r["description"][:10], r["status"],
             dt.datetime.strptime(r["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC), r["vip"] == "true")
            for r in sorted(kept, key=lambda r: int(r["id"]))]


def test_profile_check_and_metadata(stand: Stand) -> None:
    table = unique("meta").replace("-", "_")
    stand.sql(f"CREATE TABLE public.{table} {ORDERS_TABLE}")
    schemas = stand.client.list_connector_entities(connectorProfileName=stand.profile, connectorType="Redshift")
    listed = [e for group in schemas["connectorEntityMap"].values() for e in group]
    assert {"name": "public", "label": "public", "hasNestedEntities": True} in listed, schemas
    tables = stand.client.list_connector_entities(connectorProfileName=stand.profile, connectorType="Redshift",
                                                  entitiesPath="public")
    names = [e["name"] for group in tables["connectorEntityMap"].values() for e in group]
    assert f"public.{table}" in names
    described = stand.client.describe_connector_entity(connectorProfileName=stand.profile, connectorType="Redshift",
                                                       connectorEntityName=f"public.{table}")
    fields = {f["identifier"]: f for f in described["connectorEntityFields"]}
    assert list(fields)[:3] == ["id", "full_name", "email"]
    assert fields["id"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "bigint"
    assert fields["id"]["destinationProperties"]["isNullable"] is False
    assert fields["email"]["supportedFieldTypeDetails"]["v1"]["fieldLengthRange"]["maximum"] == 128
    assert fields["created"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "timestamptz"
    assert fields["loaded_at"]["destinationProperties"]["isDefaultedOnCreate"] is True
    # A profile whose cluster the Data API does not know is refused at CreateConnectorProfile.
    with pytest.raises(stand.client.exceptions.ValidationException):
        stand.client.create_connector_profile(
            connectorProfileName=unique("bad"), connectorType="Redshift", connectionMode="Public",
            connectorProfileConfig={
                "connectorProfileProperties": {"Redshift": {
                    "bucketName": "stage", "roleArn": COPY_ROLE, "dataApiRoleArn": DATA_API_ROLE,
                    "clusterIdentifier": "no-such-cluster", "databaseName": stand.database}},
                "connectorProfileCredentials": {"Redshift": {"username": "awsuser", "password": "pw"}}})
    # A Data API role without redshift-data rights: ConnectorAuthenticationException.
    stand.state.deny = True
    try:
        with pytest.raises(stand.client.exceptions.ConnectorAuthenticationException) as denied:
            stand.client.create_connector_profile(
                connectorProfileName=unique("denied"), connectorType="Redshift", connectionMode="Public",
                connectorProfileConfig={
                    "connectorProfileProperties": {"Redshift": {
                        "bucketName": "stage", "roleArn": COPY_ROLE, "dataApiRoleArn": DATA_API_ROLE,
                        "clusterIdentifier": "sluice-test", "databaseName": stand.database}},
                    "connectorProfileCredentials": {"Redshift": {"username": "awsuser", "password": "pw"}}})
        assert "not authorized" in str(denied.value)
    finally:
        stand.state.deny = False


def test_every_task_type_100k_rows(stand: Stand) -> None:
    rows = _orders(100_000)
    table = unique("orders").replace("-", "_")
    stand.sql(f"CREATE TABLE public.{table} {ORDERS_TABLE}")
    flow = stand.flow(stand.csv_bucket(rows), table, ORDER_TASKS)
    record = start_and_wait(stand.client, flow, timeout=300)
    assert record["executionStatus"] == "Successful", record
    expected = _expected(rows)
    assert record["executionResult"]["recordsProcessed"] >= len(expected)
    loaded = stand.sql(f"SELECT id, full_name, email, amount, total, card_masked, description, status, created, vip "
                       f"FROM public.{table} ORDER BY id")
    assert len(loaded) == len(expected) > 50_000
    assert loaded == expected
    # Redshift read the stage as the profile's roleArn; the Data API was called as the assumed role.
    copy = next(c for c in stand.state.copies if record["executionId"] in c["location"])
    assert copy["role"] == COPY_ROLE and copy["location"] == f"s3://stage/appflow/{record['executionId']}/"
    assert copy["table"] == f'"public"."{table}"'
    assert sorted(c.strip('"') for c in copy["columns"]) == sorted(  # loaded_at is left to its default
        ["id", "email", "amount", "status", "created", "vip", "full_name", "total", "card_masked", "description"])
    assert stand.state.callers and all(key != "testing" for key in stand.state.callers)
    assert stand.keys("stage", "appflow/") == []  # the staged parts are gone


def test_bad_rows_go_to_the_error_bucket(stand: Stand) -> None:
    table = unique("codes").replace("-", "_")
    stand.sql(f"CREATE TABLE public.{table} (id integer NOT NULL, code varchar(4))")
    rows = [{"id": str(i), "code": f"c{i}"} for i in range(1, 21)]
    rows += [{"id": "x7", "code": "ok"},          # not an integer
             {"id": "30", "code": "toolong"},     # 7 bytes
             {"id": "31", "code": "ñññ"}]         # 3 characters but 6 bytes: Redshift counts bytes
    source = stand.csv_bucket(rows)
    tasks = [_map("id"), _map("code")]
    errors = {"bucketName": "errors", "bucketPrefix": unique("e"), "failOnFirstDestinationError": False}
    record = start_and_wait(stand.client, stand.flow(source, table, tasks, errors), timeout=120)
    assert record["executionStatus"] == "Successful", record
    assert sorted(r[0] for r in stand.sql(f"SELECT id FROM public.{table}")) == list(range(1, 21))
    keys = [k for k in stand.keys("errors") if k.startswith(errors["bucketPrefix"]) and k.endswith("errors.jsonl")]
    assert len(keys) == 1
    lines = [json.loads(x) for x in stand.s3.get_object(Bucket="errors", Key=keys[0])["Body"].read().splitlines()]
    assert sorted(json.dumps(line) for line in lines) and len(lines) == 3, lines
    text = json.dumps(lines)
    assert "x7" in text and "toolong" in text and "6 bytes" in text

    # failOnFirstDestinationError: the run ends in Error and the table is as it was.
    errors = {**errors, "bucketPrefix": unique("e"), "failOnFirstDestinationError": True}
    record = start_and_wait(stand.client, stand.flow(source, table, tasks, errors), timeout=120)
    assert record["executionStatus"] == "Error", record
    assert len(stand.sql(f"SELECT id FROM public.{table}")) == 20
    assert stand.keys("stage", "appflow/") == []


def test_run_killed_mid_load_leaves_the_table_as_it_was(stand: Stand) -> None:
    table = unique("killed").replace("-", "_")
    stand.sql(f"CREATE TABLE public.{table} (id integer NOT NULL, code varchar(8))")
    stand.sql(f"INSERT INTO public.{table} VALUES (1, 'before')")
    source = stand.csv_bucket([{"id": str(i), "code": f"c{i}"} for i in range(2, 500)])
    flow = stand.flow(source, table, [_map("id"), _map("code")])
    stand.state.pause_copy()
    try:
        execution_id = stand.client.start_flow(flowName=flow)["executionId"]
        assert stand.state.copy_waiting.wait(120), "the load never reached COPY"
        statement = next(s for s in stand.state.statements.values() if s.name == f"sluice-{execution_id}")
        stand.server.kill()
        stand.server.start()
        stand.client = stand.server.client()
        record = wait_for_run(stand.client, flow, execution_id, timeout=120)
        assert record["executionStatus"] == "Error", record
        wait_for(lambda: statement.status == "ABORTED", 30)  # recovery canceled the still running load
    finally:
        stand.state.resume_copy()
    assert stand.sql(f"SELECT id, code FROM public.{table}") == [(1, "before")]
    wait_for(lambda: not [k for k in stand.keys("stage") if execution_id in k], 30)


def test_direct_connection_loads_and_refuses_a_wrong_password(stand: Stand) -> None:
    with pytest.raises(stand.client.exceptions.ConnectorAuthenticationException):
        stand.client.create_connector_profile(**_direct_profile(unique("bad"), stand.wire, stand.database, "wrong"))
    described = stand.client.describe_connector_entity(connectorProfileName=stand.direct, connectorType="Redshift",
                                                       connectorEntityName="information_schema.tables")
    assert "table_name" in [f["identifier"] for f in described["connectorEntityFields"]]
    table = unique("direct").replace("-", "_")
    stand.sql(f"CREATE TABLE public.{table} (id integer NOT NULL, code varchar(8), at timestamptz)")
    rows = [{"id": str(i), "code": f"ü{i}", "at": f"2024-03-0{1 + i % 9}T10:00:00Z"} for i in range(1, 301)]
    flow = stand.flow(stand.csv_bucket(rows), table, [_map("id"), _map("code"), _map("at")], profile=stand.direct)
    record = start_and_wait(stand.client, flow, timeout=120)
    assert record["executionStatus"] == "Successful", record
    loaded = stand.sql(f"SELECT id, code, at FROM public.{table} ORDER BY id")
    assert loaded == [(int(r["id"]), r["code"], dt.datetime.fromisoformat(r["at"])) for r in rows]
    assert stand.wire.copies[-1]["location"] == f"s3://stage/appflow/{record['executionId']}/"
    assert stand.keys("stage", "appflow/") == []


def test_direct_load_killed_mid_copy_leaves_the_table_as_it_was(stand: Stand) -> None:
    table = unique("direct-killed").replace("-", "_")
    stand.sql(f"CREATE TABLE public.{table} (id integer NOT NULL, code varchar(8))")
    stand.sql(f"INSERT INTO public.{table} VALUES (1, 'before')")
    source = stand.csv_bucket([{"id": str(i), "code": f"c{i}"} for i in range(2, 500)])
    flow = stand.flow(source, table, [_map("id"), _map("code")], profile=stand.direct)
    stand.wire.pause_copy()
    try:
        execution_id = stand.client.start_flow(flowName=flow)["executionId"]
        assert stand.wire.copy_waiting.wait(120), "the load never reached COPY"
        stand.server.kill()  # the driver's connection drops with the process: Redshift rolls back
        stand.server.start()
        stand.client = stand.server.client()
        record = wait_for_run(stand.client, flow, execution_id, timeout=120)
        assert record["executionStatus"] == "Error", record
    finally:
        stand.wire.resume_copy()
    wait_for(lambda: not [k for k in stand.keys("stage") if execution_id in k], 30)
    assert stand.sql(f"SELECT id, code FROM public.{table}") == [(1, "before")]
