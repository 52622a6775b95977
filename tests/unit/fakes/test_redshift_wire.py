"""The Redshift wire stand-in (tests/fakes/redshift/wire.py), driven by `redshift_connector`."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import boto3
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import redshift_connector

from tests.fakes.redshift.wire import WireProxy
from tests.support.postgres import PostgresServer
from tests.support.tls import certificates

ROLE = "arn:aws:iam::123456789012:role/redshift-copy"
# redshift_connector builds its TLS context with the deprecated protocol-less SSLContext().
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:redshift_connector.core")


@pytest.fixture(scope="module")
def proxy(postgres: PostgresServer, moto_s3: str) -> Iterator[tuple[WireProxy, str]]:
    database = postgres.create_database().rsplit("/", 1)[1]
    wire = WireProxy(postgres.port, moto_s3).start()
    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="wire-stage")
    try:
        yield wire, database
    finally:
        wire.stop()


def _connect(wire: WireProxy, database: str, password: str = "Redshift-pw-1") -> redshift_connector.Connection:
    return redshift_connector.connect(host="127.0.0.1", port=wire.port, database=database, user="awsuser",
                                      password=password, ssl=True, sslmode="verify-ca")


@pytest.fixture(autouse=True)
def _trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", certificates().ca_file)


def test_queries_and_refused_password(proxy: tuple[WireProxy, str]) -> None:
    wire, database = proxy
    with _connect(wire, database) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 1, 'zoë'")
        assert [tuple(row) for row in cursor.fetchall()] == [(1, "zoë")]
    with pytest.raises(redshift_connector.ProgrammingError) as refused:
        _connect(wire, database, password="wrong")
    assert refused.value.args[0]["C"] == "28P01"


def test_copy_from_s3_joins_the_transaction(proxy: tuple[WireProxy, str], moto_s3: str) -> None:
    wire, database = proxy
    table = f"t_{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    out = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2, 3], "code": ["a", None, "ccc"]}), out)
    s3.put_object(Bucket="wire-stage", Key=f"{table}/part-0.parquet", Body=out.getvalue())
    copy = f"COPY {table} (id, code) FROM 's3://wire-stage/{table}/' IAM_ROLE '{ROLE}' FORMAT AS PARQUET"
    dsn = f"postgresql://postgres@127.0.0.1:{wire.pg_port}/{database}"
    with psycopg.connect(dsn, autocommit=True) as pg:
        pg.execute(f"CREATE TABLE {table} (id int, code varchar(2))")
    with _connect(wire, database) as conn:
        with conn.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} VALUES (0, 'z')")
            with pytest.raises(redshift_connector.ProgrammingError) as too_long:
                cursor.execute(copy)  # 'ccc' does not fit varchar(2): the whole transaction fails
        assert "too long" in str(too_long.value)
        conn.rollback()
        with psycopg.connect(dsn) as pg:
            pg.execute(f"ALTER TABLE {table} ALTER COLUMN code TYPE varchar(8)")
            pg.commit()
        with conn.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} VALUES (0, 'z')")
            cursor.execute(copy)
            cursor.execute(f"SELECT count(*) FROM {table}")
            assert cursor.fetchone()[0] == 4
        with psycopg.connect(dsn) as pg:  # not committed yet: invisible to others
            assert pg.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
        conn.commit()
    with psycopg.connect(dsn) as pg:
        assert pg.execute(f"SELECT id, code FROM {table} ORDER BY id").fetchall() == [
            (0, "z"), (1, "a"), (2, None), (3, "ccc")]
    assert wire.copies[-1]["role"] == ROLE
