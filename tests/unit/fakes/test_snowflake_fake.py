"""The Snowflake stand-in answers snowflake-connector-python as Snowflake does: login, warehouses, stages,
INFORMATION_SCHEMA, and COPY INTO from an external stage whose objects live in moto's S3."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import snowflake.connector
from snowflake.connector import errors

from tests.fakes.snowflake import INCORRECT_LOGIN, SnowflakeStandIn
from tests.support.tls import tls_env


@pytest.fixture(scope="module")
def standin(moto_s3: str) -> Iterator[SnowflakeStandIn]:
    with SnowflakeStandIn(moto_s3, users={"LOADER": "pw-1"}, warehouses=("LOAD_WH",)) as fake:
        yield fake


@pytest.fixture(autouse=True)
def _ca(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in tls_env().items():
        monkeypatch.setenv(key, value)


def connect(standin: SnowflakeStandIn, password: str = "pw-1", **extra: Any) -> Any:
    return snowflake.connector.connect(
        user="loader", password=password, account="standin", host="127.0.0.1", port=standin.port,
        protocol="https", disable_ocsp_checks=True, login_timeout=10, network_timeout=30,
        session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False}, **extra)


def rows(cursor: Any, sql: str) -> list[tuple[Any, ...]]:
    cursor.execute(sql)
    return list(cursor.fetchall())


def test_wrong_password_is_refused_as_snowflake_does(standin: SnowflakeStandIn) -> None:
    with pytest.raises(errors.DatabaseError) as caught:
        connect(standin, password="wrong")
    assert caught.value.errno == 390100
    assert INCORRECT_LOGIN in str(caught.value)


def test_warehouses_stages_and_information_schema(standin: SnowflakeStandIn) -> None:
    with connect(standin) as conn:
        cur = conn.cursor()
        assert [r[0] for r in rows(cur, "SHOW WAREHOUSES")] == ["LOAD_WH"]
        cur.execute("CREATE DATABASE SELFTEST")
        cur.execute("CREATE SCHEMA SELFTEST.RAW")
        cur.execute("CREATE TABLE SELFTEST.RAW.PEOPLE (ID NUMBER(10,0) NOT NULL, NAME VARCHAR(8), SEEN TIMESTAMP_NTZ)")
        cur.execute("CREATE STAGE SELFTEST.RAW.LANDING URL='s3://stage-bucket/appflow/'")
        stages = cur.execute("SHOW STAGES IN SCHEMA SELFTEST.RAW")
        names = [d[0] for d in stages.description]
        found = [dict(zip(names, r, strict=True)) for r in stages.fetchall()]
        assert [(s["name"], s["url"], s["type"]) for s in found] == [
            ("LANDING", "s3://stage-bucket/appflow/", "EXTERNAL")]
        columns = rows(cur, "SELECT column_name, data_type, is_nullable, character_maximum_length, numeric_precision "
                            "FROM SELFTEST.INFORMATION_SCHEMA.COLUMNS WHERE table_schema = 'RAW' "
                            "AND table_name = 'PEOPLE' ORDER BY ordinal_position")
        assert columns == [("ID", "NUMBER", "NO", None, 10), ("NAME", "TEXT", "YES", 8, None),
                           ("SEEN", "TIMESTAMP_NTZ", "YES", None, None)]


def test_copy_into_reads_the_stage_from_moto_in_a_transaction(standin: SnowflakeStandIn, moto_s3: str) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="copy-bucket")
    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2, 3], "name": ["a", "bé", None]}), buffer)
    s3.put_object(Bucket="copy-bucket", Key="appflow/run-1/part-00000.parquet", Body=buffer.getvalue())
    with connect(standin) as conn:
        cur = conn.cursor()
        cur.execute("CREATE DATABASE COPYTEST")
        cur.execute("CREATE SCHEMA COPYTEST.RAW")
        cur.execute("CREATE TABLE COPYTEST.RAW.T (ID NUMBER(10,0), NAME VARCHAR(8))")
        cur.execute("CREATE STAGE COPYTEST.RAW.LANDING URL='s3://copy-bucket/appflow/'")
        copy = ("COPY INTO COPYTEST.RAW.T FROM @COPYTEST.RAW.LANDING/run-1/ FILE_FORMAT = (TYPE = PARQUET) "
                "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE ON_ERROR = ABORT_STATEMENT")
        cur.execute("BEGIN")
        cur.execute(copy)
        names = [d[0].lower() for d in cur.description]
        result = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        assert [(r["status"], r["rows_loaded"]) for r in result] == [("LOADED", 3)]
        cur.execute("ROLLBACK")
        assert rows(cur, "SELECT COUNT(*) FROM COPYTEST.RAW.T") == [(0,)]
        cur.execute("BEGIN")
        cur.execute(copy)
        cur.execute("COMMIT")
        assert rows(cur, "SELECT ID, NAME FROM COPYTEST.RAW.T ORDER BY ID") == [(1, "a"), (2, "bé"), (3, None)]
    assert any("ON_ERROR = ABORT_STATEMENT" in s for s in standin.copies())


def test_a_failing_copy_leaves_the_table_as_it_was(standin: SnowflakeStandIn) -> None:
    with connect(standin) as conn:
        cur = conn.cursor()
        cur.execute("CREATE DATABASE FAILTEST")
        cur.execute("CREATE SCHEMA FAILTEST.RAW")
        cur.execute("CREATE TABLE FAILTEST.RAW.T (ID NUMBER(10,0))")
        cur.execute("CREATE STAGE FAILTEST.RAW.LANDING URL='s3://copy-bucket/appflow/'")
        cur.execute("INSERT INTO FAILTEST.RAW.T VALUES (7)")
        standin.fail_next_copy("Numeric value 'x' is not recognized")
        cur.execute("BEGIN")
        with pytest.raises(errors.ProgrammingError) as caught:
            cur.execute("COPY INTO FAILTEST.RAW.T FROM @FAILTEST.RAW.LANDING/run-1/ FILE_FORMAT = (TYPE = PARQUET) "
                        "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE")
        assert caught.value.errno == 100038
        cur.execute("ROLLBACK")
    assert standin.sql("SELECT ID FROM FAILTEST.RAW.T") == [(7,)]
