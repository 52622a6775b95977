"""Writing to a real MariaDB table through a JDBC (mysql) profile: INSERT, UPSERT, UPDATE, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sluice.connectors.base import ConnectorError, ProfileView, RunContext
from sluice.connectors.jdbc import SPEC
from sluice.connectors.jdbc.destination import TableDestination
from tests.support.mariadb import ROOT_PASSWORD, MariaDBServer


@pytest.fixture(autouse=True)
def _private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")


@pytest.fixture()
def db(mariadb: MariaDBServer) -> tuple[MariaDBServer, str]:
    name = mariadb.create_database()
    with mariadb.connect(name) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(8) NOT NULL, score DECIMAL(6,2), "
                    "seen TIMESTAMP NULL, raw BLOB, created DATETIME NOT NULL DEFAULT '2000-01-01 00:00:00')")
        cur.execute("INSERT INTO people (id, name, score) VALUES (1, 'old', 1.00)")
    return mariadb, name


def table(server: MariaDBServer, name: str) -> list[tuple[Any, ...]]:
    with server.connect(name) as conn, conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        cur.execute("SELECT id, name, score, seen, raw, created FROM people ORDER BY id")
        return list(cur.fetchall())


def open_dest(server: MariaDBServer, name: str, tmp_path: Path, **props: Any) -> TableDestination:
    view = ProfileView("p", "CustomConnector", "JDBCsmall", {"profileProperties": {}}, {
        "authenticationType": "CUSTOM", "custom": {"customAuthenticationType": "CUSTOM", "credentialsMap": {
            "driver": "mysql", "hostname": "127.0.0.1", "port": str(server.port), "database": name,
            "username": "root", "password": ROOT_PASSWORD}}})
    ctx = RunContext(flow_name="f", execution_id="e1", schema_version=1, started_at=0.0, data_dir=str(tmp_path))
    assert SPEC.open_destination is not None
    dest = SPEC.open_destination(view, {"entityName": f"{name}.people", **props}, ctx)
    assert isinstance(dest, TableDestination)
    return dest


def test_insert_fits_and_refuses(db: tuple[MariaDBServer, str], tmp_path: Path) -> None:
    server, name = db
    dest = open_dest(server, name, tmp_path, writeOperationType="INSERT")
    dest.write(pa.record_batch({"id": [2, 3, 4], "name": ["ada", "far too long a name", "alan"],
                                "score": ["9.5", "1", "x"], "seen": ["2024-01-01T10:00:00Z", None, None],
                                "raw": [b"\x00\x01", None, b""]}))
    assert len(table(server, name)) == 1
    result = dest.commit()
    assert (result.records_written, result.put_failures) == (1, 2)
    assert table(server, name)[1] == (2, "ada", Decimal("9.50"), datetime(2024, 1, 1, 10), b"\x00\x01",
                                      datetime(2000, 1, 1))


def test_upsert_last_record_wins(db: tuple[MariaDBServer, str], tmp_path: Path) -> None:
    server, name = db
    dest = open_dest(server, name, tmp_path, writeOperationType="UPSERT", idFieldNames=["id"])
    dest.write(pa.record_batch({"id": [1, 5], "name": ["new", "five"], "score": [2.5, 5.0]}))
    dest.write(pa.record_batch({"id": [5], "name": ["FIVE"], "score": [5.5]}))
    dest.commit()
    assert [r[:3] for r in table(server, name)] == [(1, "new", Decimal("2.50")), (5, "FIVE", Decimal("5.50"))]


def test_update_latest_per_key_and_unmatched_refused(db: tuple[MariaDBServer, str], tmp_path: Path) -> None:
    server, name = db
    dest = open_dest(server, name, tmp_path, writeOperationType="UPDATE", idFieldNames=["id"])
    dest.write(pa.record_batch({"id": [1, 9, 1], "score": [3.0, 4.0, 3.5],
                                "seen": pa.array([datetime(2024, 2, 1, tzinfo=UTC)] * 3, pa.timestamp("us", "UTC"))}))
    result = dest.commit()
    assert (result.records_written, result.put_failures) == (1, 1)
    assert table(server, name)[0][:4] == (1, "old", Decimal("3.50"), datetime(2024, 2, 1))


def test_all_or_nothing(db: tuple[MariaDBServer, str], tmp_path: Path) -> None:
    server, name = db
    dest = open_dest(server, name, tmp_path, writeOperationType="INSERT")
    dest.write(pa.record_batch({"id": [7, 1], "name": ["seven", "dup"]}))
    with pytest.raises(ConnectorError, match="nothing was written"):
        dest.commit()
    aborted = open_dest(server, name, tmp_path, writeOperationType="INSERT")
    aborted.write(pa.record_batch({"id": [8], "name": ["eight"]}))
    aborted.abort()
    assert [r[0] for r in table(server, name)] == [1]
