"""The Redshift Data API stand-in, driven by boto3's own `redshift-data` client."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.fakes.common.https import HttpsFake
from tests.fakes.redshift.app import build_app
from tests.fakes.redshift.state import RedshiftDataState
from tests.support.postgres import PostgresServer
from tests.support.tls import certificates

ROLE = "arn:aws:iam::123456789012:role/redshift-copy"
KEYS = {"aws_access_key_id": "AKIDREDSHIFTTEST", "aws_secret_access_key": "secret", "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def stand_in(postgres: PostgresServer, moto_s3: str) -> Iterator[tuple[RedshiftDataState, Any, Any, str]]:
    database = postgres.create_database().rsplit("/", 1)[1]
    state = RedshiftDataState(postgres.port, moto_s3, page_rows=3, max_active=3)
    with HttpsFake(build_app(state), name="redshift-data") as fake:
        client = boto3.client("redshift-data", endpoint_url=fake.url, verify=certificates().ca_file, **KEYS)
        s3 = boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket="fake-stage")
        yield state, client, s3, database


def _wait(client: Any, statement_id: str) -> dict[str, Any]:
    for _ in range(600):
        answer = client.describe_statement(Id=statement_id)
        if answer["Status"] in ("FINISHED", "FAILED", "ABORTED"):
            return answer
        time.sleep(0.05)
    raise AssertionError("statement did not end")


def _target(database: str) -> dict[str, str]:
    return {"ClusterIdentifier": "sluice-test", "DbUser": "awsuser", "Database": database}


def test_execute_describe_and_paged_results(stand_in: tuple[RedshiftDataState, Any, Any, str]) -> None:
    state, client, _, database = stand_in
    started = client.execute_statement(Sql="SELECT g AS n, 'x' || g AS s, NULL::int AS z, g % 2 = 0 AS even "
                                           "FROM generate_series(1, 7) g ORDER BY g", **_target(database))
    assert _wait(client, started["Id"])["Status"] == "FINISHED"
    records, token = [], None
    while True:
        page = client.get_statement_result(Id=started["Id"], **({"NextToken": token} if token else {}))
        records += page["Records"]
        token = page.get("NextToken")
        if not token:
            break
    assert page["TotalNumRows"] == 7 and [c["name"] for c in page["ColumnMetadata"]] == ["n", "s", "z", "even"]
    assert records[1] == [{"longValue": 2}, {"stringValue": "x2"}, {"isNull": True}, {"booleanValue": True}]
    assert state.callers[-1] == "AKIDREDSHIFTTEST"


def test_batch_is_one_transaction(stand_in: tuple[RedshiftDataState, Any, Any, str]) -> None:
    _, client, _, database = stand_in
    table = f"t_{uuid.uuid4().hex[:8]}"
    _wait(client, client.execute_statement(Sql=f"CREATE TABLE {table} (id int PRIMARY KEY)", **_target(database))["Id"])
    failed = _wait(client, client.batch_execute_statement(
        Sqls=[f"INSERT INTO {table} VALUES (1)", f"INSERT INTO {table} VALUES (1)"], **_target(database))["Id"])
    assert failed["Status"] == "FAILED" and "duplicate key" in failed["Error"]
    assert [s["Id"].rsplit(":", 1)[1] for s in failed["SubStatements"]] == ["1", "2"]
    assert failed["SubStatements"][1]["Status"] == "FAILED"
    counted = _wait(client, client.execute_statement(Sql=f"SELECT count(*) FROM {table}", **_target(database))["Id"])
    assert client.get_statement_result(Id=counted["Id"])["Records"] == [[{"longValue": 0}]]


def test_copy_from_s3_parquet_and_cancel(stand_in: tuple[RedshiftDataState, Any, Any, str]) -> None:
    state, client, s3, database = stand_in
    table = f"t_{uuid.uuid4().hex[:8]}"
    create = client.execute_statement(Sql=f"CREATE TABLE {table} (id int, name varchar(10))", **_target(database))
    _wait(client, create["Id"])
    for part in range(2):
        out = io.BytesIO()
        pq.write_table(pa.table({"id": [part * 2, part * 2 + 1], "name": ["", None]}), out)
        s3.put_object(Bucket="fake-stage", Key=f"load/{table}/part-{part}.parquet", Body=out.getvalue())
    copy = f"COPY {table} (id, name) FROM 's3://fake-stage/load/{table}/' IAM_ROLE '{ROLE}' FORMAT AS PARQUET"
    done = _wait(client, client.batch_execute_statement(Sqls=[copy], **_target(database))["Id"])
    assert done["Status"] == "FINISHED" and done["SubStatements"][0]["ResultRows"] == 4
    with psycopg.connect(state.dsn(database)) as conn:
        assert conn.execute(f"SELECT id, name FROM {table} ORDER BY id").fetchall() == [
            (0, ""), (1, None), (2, ""), (3, None)]
    assert state.copies[-1]["role"] == ROLE
    # A paused COPY can be canceled: nothing of it lands.
    state.pause_copy()
    try:
        started = client.batch_execute_statement(Sqls=[copy], StatementName="sluice-x", **_target(database))
        assert state.copy_waiting.wait(10)
        listed = client.list_statements(StatementName="sluice-x", Status="STARTED")["Statements"]
        assert [s["Id"] for s in listed] == [started["Id"]]
        assert client.cancel_statement(Id=started["Id"])["Status"] is True
    finally:
        state.resume_copy()
    assert _wait(client, started["Id"])["Status"] == "ABORTED"
    with psycopg.connect(state.dsn(database)) as conn:
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (4,)
    with pytest.raises(ClientError) as refused:
        client.cancel_statement(Id=started["Id"])
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_errors_as_documented(stand_in: tuple[RedshiftDataState, Any, Any, str]) -> None:
    state, client, _, database = stand_in
    with pytest.raises(ClientError) as unknown:
        client.describe_statement(Id=str(uuid.uuid4()))
    assert unknown.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as no_cluster:
        client.execute_statement(Sql="SELECT 1", ClusterIdentifier="nope", DbUser="u", Database=database)
    assert no_cluster.value.response["Error"]["Code"] == "ValidationException"
    state.pause_copy()
    try:  # three running statements fill max_active=3
        copy = "COPY x FROM 's3://fake-stage/none/' IAM_ROLE 'arn:aws:iam::123456789012:role/r' FORMAT AS PARQUET"
        held = [client.execute_statement(Sql=f"SELECT pg_sleep(0.5), {n}", **_target(database)) for n in range(3)]
        with pytest.raises(ClientError) as busy:
            client.execute_statement(Sql=copy, **_target(database))
        assert busy.value.response["Error"]["Code"] == "ActiveStatementsExceededException"
    finally:
        state.resume_copy()
    for started in held:
        _wait(client, started["Id"])
    unsigned = boto3.client("redshift-data", endpoint_url=client.meta.endpoint_url, verify=certificates().ca_file,
                            region_name="us-east-1", config=Config(signature_version=UNSIGNED))
    state.deny = True
    try:
        with pytest.raises(ClientError) as denied:
            client.describe_statement(Id=str(uuid.uuid4()))
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    finally:
        state.deny = False
    with pytest.raises(ClientError) as anonymous:
        unsigned.describe_statement(Id=str(uuid.uuid4()))
    assert anonymous.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"
