"""Reading real tables: PostgreSQL (COPY -> pyarrow CSV) and MariaDB (PyMySQL streaming), typed and pushed down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import psycopg
import pyarrow as pa
import pytest

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.jdbc.metadata import JdbcMetadata, checker
from sluice.connectors.jdbc.source import JdbcSource
from tests.support.mariadb import ROOT_PASSWORD, MariaDBServer
from tests.support.postgres import PostgresServer


@pytest.fixture(autouse=True)
def _private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")


def profile(driver: str, port: int, database: str, username: str, password: str = "") -> ProfileView:
    return ProfileView("p", "CustomConnector", "JDBCsmall", {"profileProperties": {}}, {
        "authenticationType": "CUSTOM", "custom": {"customAuthenticationType": "CUSTOM", "credentialsMap": {
            "driver": driver, "hostname": "127.0.0.1", "port": str(port), "database": database,
            "username": username, "password": password}}})


def run(**kw: Any) -> RunContext:
    return RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/nonexistent",
                      **kw)


def flt(operator: str, field: str, **props: Any) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"CustomConnector": operator},
            "taskProperties": {k: str(v) for k, v in props.items()}}


def rows(source: JdbcSource) -> list[dict[str, Any]]:
    return [r for b in source.read() for r in b.to_pylist()]


@pytest.fixture(scope="module")
def pg_db(postgres: PostgresServer) -> Iterator[tuple[PostgresServer, str]]:
    name = postgres.create_database().rsplit("/", 1)[1]
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}", autocommit=True) as conn:
        conn.execute("CREATE SCHEMA shop")
        conn.execute("""CREATE TABLE shop.orders (
            id integer PRIMARY KEY, name varchar(40), amount numeric(10,2), ratio double precision,
            paid boolean, placed date, at_time time, updated timestamptz, local_ts timestamp,
            doc jsonb, raw bytea, note text)""")
        conn.execute("""INSERT INTO shop.orders VALUES
            (1, 'ada', 10.50, 0.5, true, '2024-01-01', '12:30:00', '2024-01-01 10:00:00+00', '2024-01-01 10:00',
             '{"a": [1, 2]}', '\\x0102', ''),
            (2, 'grace', 20.00, 1.5, false, '2024-01-02', '00:00:01.5', '2024-01-02 10:00:00+00', '2024-01-02 10:00',
             null, null, null),
            (3, 'línea "3", ok', 30.25, null, null, null, null, '2024-01-03 10:00:00+00', null, '[]', '\\x', 'multi
line'),
            (4, 'ada', 40.00, 2.5, true, '2024-01-04', null, '2024-01-04 10:00:00+00', null, null, null, null)""")
    yield postgres, name


def test_postgres_types_round_trip(pg_db: tuple[PostgresServer, str]) -> None:
    server, name = pg_db
    source = JdbcSource(profile("postgresql", server.port, name, "postgres"), {"entityName": "shop.orders"},
                        run(batch_size=3))
    batches = list(source.read())
    assert [b.num_rows for b in batches] == [3, 1]
    assert batches[0].schema.field("amount").type == pa.decimal128(10, 2)
    assert batches[0].schema.field("updated").type == pa.timestamp("us", tz="UTC")
    got = {r["id"]: r for b in batches for r in b.to_pylist()}
    assert got[1] == {"id": 1, "name": "ada", "amount": Decimal("10.50"), "ratio": 0.5, "paid": True,
                      "placed": date(2024, 1, 1), "at_time": time(12, 30),
                      "updated": datetime(2024, 1, 1, 10, tzinfo=UTC),
                      "local_ts": datetime(2024, 1, 1, 10), "doc": '{"a": [1, 2]}', "raw": b"\x01\x02", "note": ""}
    assert got[2]["note"] is None and got[2]["raw"] is None and got[2]["at_time"] == time(0, 0, 1, 500000)
    assert got[3]["name"] == 'línea "3", ok' and got[3]["note"] == "multi\nline" and got[3]["raw"] == b""
    assert source.stats.records_read == 4


def test_postgres_push_down_projection_filters_and_window(pg_db: tuple[PostgresServer, str]) -> None:
    server, name = pg_db
    tasks = (flt("PROJECTION", "name"), flt("GREATER_THAN", "amount", VALUE="15"), flt("EQUAL_TO", "name", VALUE="ada"))
    window_end = datetime(2024, 1, 4, 10, tzinfo=UTC).timestamp()
    source = JdbcSource(profile("postgresql", server.port, name, "postgres"), {"entityName": "shop.orders"},
                        run(tasks=tasks, window_start=datetime(2024, 1, 1, 10, tzinfo=UTC).timestamp(),
                            window_end=window_end, window_field="updated"))
    assert rows(source) == [{"amount": Decimal("40.00"), "name": "ada",
                             "updated": datetime(2024, 1, 4, 10, tzinfo=UTC)}]
    _, query = source.plan(psycopg.connect(f"postgresql://postgres@127.0.0.1:{server.port}/{name}"))
    assert query.text.startswith('SELECT "name", "amount", "updated" FROM "shop"."orders" WHERE ("updated" > %s')


def test_postgres_window_is_exact_at_its_bounds(pg_db: tuple[PostgresServer, str]) -> None:
    server, name = pg_db
    start, end = (datetime(2024, 1, d, 10, tzinfo=UTC).timestamp() for d in (2, 3))
    source = JdbcSource(profile("postgresql", server.port, name, "postgres"), {"entityName": "shop.orders"},
                        run(window_start=start, window_end=end, window_field="updated"))
    assert [r["id"] for r in rows(source)] == [3]  # (start, end]: 2 is at start (out), 3 at end (in)
    empty = JdbcSource(profile("postgresql", server.port, name, "postgres"), {"entityName": "shop.orders"},
                       run(window_start=end, window_end=end + 1, window_field="updated"))
    assert rows(empty) == []
    bad = JdbcSource(profile("postgresql", server.port, name, "postgres"), {"entityName": "shop.orders"},
                     run(window_start=start, window_end=end, window_field="name"))
    with pytest.raises(ConnectorError, match="not a date or timestamp column"):
        rows(bad)


def test_postgres_metadata(pg_db: tuple[PostgresServer, str]) -> None:
    server, name = pg_db
    view = profile("postgresql", server.port, name, "postgres")
    meta = JdbcMetadata()
    assert [e["name"] for e in meta.list_entities(view, None, None, None).entities] == ["public", "shop"] or \
        "shop" in [e["name"] for e in meta.list_entities(view, None, None, None).entities]
    assert [e["name"] for e in meta.list_entities(view, "shop", None, None).entities] == ["shop.orders"]
    fields = {f["identifier"]: f for f in meta.describe_entity(view, "shop.orders")}
    assert fields["id"]["isPrimaryKey"] is True
    assert fields["amount"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "decimal"
    assert fields["updated"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    with pytest.raises(ConnectorError) as missing:
        meta.describe_entity(view, "shop.nope")
    assert missing.value.code == "ResourceNotFound"
    checker()(view)


def test_private_host_needs_the_operators_leave(pg_db: tuple[PostgresServer, str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    server, name = pg_db
    monkeypatch.delenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS")
    with pytest.raises(ConnectorError, match="loopback, private"):
        checker()(profile("postgresql", server.port, name, "postgres"))


@pytest.fixture(scope="module")
def my_db(mariadb: MariaDBServer) -> tuple[MariaDBServer, str]:
    name = mariadb.create_database()
    with mariadb.connect(name) as conn, conn.cursor() as cur:
        cur.execute("""CREATE TABLE orders (
            id INT UNSIGNED PRIMARY KEY, name VARCHAR(40), amount DECIMAL(10,2), ratio DOUBLE, paid BOOLEAN,
            placed DATE, at_time TIME, updated TIMESTAMP NULL, local_ts DATETIME(6), doc JSON, raw BLOB,
            note TEXT) CHARACTER SET utf8mb4""")
        cur.execute("""INSERT INTO orders VALUES
            (1, 'ada', 10.50, 0.5, TRUE, '2024-01-01', '12:30:00', '2024-01-01 10:00:00', '2024-01-01 10:00:00.25',
             '{"a": [1, 2]}', x'0102', ''),
            (2, 'grace', 20.00, 1.5, FALSE, '2024-01-02', '00:00:01', '2024-01-02 10:00:00', NULL, NULL, NULL, NULL),
            (3, 'línea', 30.25, NULL, NULL, NULL, NULL, '2024-01-03 10:00:00', NULL, '[]', x'', 'x')""")
    return mariadb, name


def test_mariadb_types_and_push_down(my_db: tuple[MariaDBServer, str]) -> None:
    server, name = my_db
    view = profile("mysql", server.port, name, "root", ROOT_PASSWORD)
    source = JdbcSource(view, {"entityName": f"{name}.orders"}, run(batch_size=2))
    got = {r["id"]: r for r in rows(source)}
    assert got[1] == {"id": 1, "name": "ada", "amount": Decimal("10.50"), "ratio": 0.5, "paid": True,
                      "placed": date(2024, 1, 1), "at_time": time(12, 30),
                      "updated": datetime(2024, 1, 1, 10, tzinfo=UTC),
                      "local_ts": datetime(2024, 1, 1, 10, 0, 0, 250000), "doc": '{"a": [1, 2]}', "raw": b"\x01\x02",
                      "note": ""}
    assert got[3]["name"] == "línea" and got[3]["raw"] == b""
    tasks = (flt("PROJECTION", "id"), flt("BETWEEN", "amount", LOWER_BOUND="15", UPPER_BOUND="40"))
    pushed = JdbcSource(view, {"entityName": f"{name}.orders"},
                        run(tasks=tasks, window_start=datetime(2024, 1, 1, 10, tzinfo=UTC).timestamp(),
                            window_end=datetime(2024, 1, 2, 10, tzinfo=UTC).timestamp(), window_field="updated"))
    assert rows(pushed) == [{"id": 2, "amount": Decimal("20.00"), "updated": datetime(2024, 1, 2, 10, tzinfo=UTC)}]
    meta = JdbcMetadata()
    assert name in [e["name"] for e in meta.list_entities(view, None, None, None).entities]
    assert [f["identifier"] for f in meta.describe_entity(view, f"{name}.orders")][:3] == ["id", "name", "amount"]


def test_mariadb_wrong_password(my_db: tuple[MariaDBServer, str]) -> None:
    server, name = my_db
    with pytest.raises(ConnectorError) as refused:
        checker()(profile("mysql", server.port, name, "root", "wrong"))
    assert refused.value.code == "InvalidCredentials"


def test_a_canceled_run_stops_reading(pg_db: tuple[PostgresServer, str]) -> None:
    server, name = pg_db
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{server.port}/{name}", autocommit=True) as conn:
        conn.execute("CREATE TABLE shop.big AS SELECT i AS id, repeat('x', 200) AS pad "
                     "FROM generate_series(1, 300000) i")
    stopped = {"now": False}
    source = JdbcSource(profile("postgresql", server.port, name, "postgres"), {"entityName": "shop.big"},
                        run(batch_size=1000, should_stop=lambda: stopped["now"]))
    read = 0
    for batch in source.read():
        read += batch.num_rows
        stopped["now"] = True
    assert 0 < read < 300000
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{server.port}/{name}") as conn:
        active = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT%%'").fetchone()
    assert active == (0,)
