"""Writing to a real PostgreSQL table: INSERT, UPSERT, UPDATE, refusals to the error bucket, all or nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pytest

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.jdbc.destination import TableDestination
from sluice.connectors.rds_postgresql import SPEC
from tests.support.postgres import PostgresServer


@pytest.fixture(autouse=True)
def _private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")


@pytest.fixture()
def db(postgres: PostgresServer) -> tuple[PostgresServer, str]:
    name = postgres.create_database().rsplit("/", 1)[1]
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}", autocommit=True) as conn:
        conn.execute("""CREATE TABLE public.people (
            id integer PRIMARY KEY, name varchar(8) NOT NULL, score numeric(6,2), seen timestamptz,
            doc jsonb, raw bytea, created timestamptz DEFAULT '2000-01-01 00:00:00+00')""")
        conn.execute("INSERT INTO public.people (id, name, score) VALUES (1, 'old', 1.00)")
    return postgres, name


def table(server: PostgresServer, name: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{server.port}/{name}") as conn:
        return conn.execute("SELECT id, name, score, seen, doc, raw, created FROM public.people ORDER BY id").fetchall()


def open_dest(server: PostgresServer, name: str, tmp_path: Path, **props: Any) -> TableDestination:
    view = ProfileView("p", "CustomConnector", "AmazonRDSPostgreSQL", {"profileProperties": {}}, {
        "authenticationType": "CUSTOM", "custom": {"customAuthenticationType": "CUSTOM", "credentialsMap": {
            "hostname": "127.0.0.1", "port": str(server.port), "database": name, "username": "postgres",
            "password": ""}}})
    ctx = RunContext(flow_name="f", execution_id="e1", schema_version=1, started_at=0.0, data_dir=str(tmp_path))
    assert SPEC.open_destination is not None
    dest = SPEC.open_destination(view, {"entityName": "public.people", **props}, ctx)
    assert isinstance(dest, TableDestination)
    return dest


BATCH = pa.record_batch({
    "id": pa.array([2, 3, 4], pa.int64()),
    "NAME": pa.array(["ada", "a name too long", "alan"]),
    "score": pa.array(["9.5", "1", "x"]),
    "seen": pa.array(["2024-01-01T10:00:00Z", None, None]),
    "doc": pa.array([{"a": 1}, None, None], pa.struct([("a", pa.int64())])),
    "raw": pa.array([b"\x00\x01", None, b""]),
})


def test_insert_fits_columns_and_refuses_bad_records(db: tuple[PostgresServer, str], tmp_path: Path) -> None:
    server, name = db
    (tmp_path / "s3" / "errs").mkdir(parents=True)
    dest = open_dest(server, name, tmp_path, writeOperationType="INSERT",
                     errorHandlingConfig={"bucketName": "errs", "bucketPrefix": "bad"})
    dest.write(BATCH)
    assert len(table(server, name)) == 1  # nothing visible before commit
    result = dest.commit()
    assert (result.records_written, result.put_failures) == (1, 2)
    rows = table(server, name)
    assert rows[1] == (2, "ada", Decimal("9.50"), datetime(2024, 1, 1, 10, tzinfo=UTC), {"a": 1}, b"\x00\x01",
                       datetime(2000, 1, 1, tzinfo=UTC))
    errors = [json.loads(line) for f in (tmp_path / "s3" / "errs").rglob("errors.jsonl")
              for line in f.read_text().splitlines()]
    assert sorted(e["errorCode"] for e in errors) == ["TypeMismatch", "ValueTooLong"]


def test_upsert_updates_and_inserts_last_record_wins(db: tuple[PostgresServer, str], tmp_path: Path) -> None:
    server, name = db
    dest = open_dest(server, name, tmp_path, writeOperationType="UPSERT", idFieldNames=["id"])
    dest.write(pa.record_batch({"id": [1, 5], "name": ["new", "five"], "score": [2.5, 5.0]}))
    dest.write(pa.record_batch({"id": [5], "name": ["FIVE"], "score": [5.5]}))
    assert dest.commit().records_written == 2
    assert [(r[0], r[1], r[2]) for r in table(server, name)] == [(1, "new", Decimal("2.50")),
                                                                 (5, "FIVE", Decimal("5.50"))]


def test_update_refuses_records_that_match_nothing(db: tuple[PostgresServer, str], tmp_path: Path) -> None:
    server, name = db
    dest = open_dest(server, name, tmp_path, writeOperationType="UPDATE", idFieldNames=["id"])
    dest.write(pa.record_batch({"id": [1, 9], "score": [3.0, 4.0]}))
    result = dest.commit()
    assert (result.records_written, result.put_failures) == (1, 1)
    assert [(r[0], r[1], r[2]) for r in table(server, name)] == [(1, "old", Decimal("3.00"))]


def test_all_or_nothing(db: tuple[PostgresServer, str], tmp_path: Path) -> None:
    server, name = db
    dest = open_dest(server, name, tmp_path, writeOperationType="INSERT")
    dest.write(pa.record_batch({"id": [7, 1], "name": ["seven", "dup"]}))  # 1 exists: the INSERT fails
    with pytest.raises(ConnectorError, match="nothing was written"):
        dest.commit()
    assert [r[0] for r in table(server, name)] == [1]
    aborted = open_dest(server, name, tmp_path, writeOperationType="INSERT")
    aborted.write(pa.record_batch({"id": [8], "name": ["eight"]}))
    aborted.abort()
    assert [r[0] for r in table(server, name)] == [1]


def test_refusals(db: tuple[PostgresServer, str], tmp_path: Path) -> None:
    server, name = db
    with pytest.raises(ConnectorError, match="needs idFieldNames"):
        open_dest(server, name, tmp_path, writeOperationType="UPSERT")
    with pytest.raises(ConnectorError, match="not columns"):
        open_dest(server, name, tmp_path, writeOperationType="UPSERT", idFieldNames=["nope"])
    dest = open_dest(server, name, tmp_path, writeOperationType="INSERT")
    with pytest.raises(ConnectorError, match="not a column"):
        dest.write(pa.record_batch({"id": [9], "nope": ["x"]}))
    dest.abort()
    fail_fast = open_dest(server, name, tmp_path, writeOperationType="INSERT",
                          errorHandlingConfig={"failOnFirstDestinationError": True})
    with pytest.raises(ConnectorError, match="first refused record"):
        fail_fast.write(pa.record_batch({"id": [9], "name": [None]}, schema=pa.schema([("id", pa.int64()),
                                                                                       ("name", pa.string())])))
    fail_fast.abort()
