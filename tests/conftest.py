"""Shared fixtures: a real Sluice server per backend (SQLite and PostgreSQL), boto3 clients, moto.

The `server` fixture is parametrised over the two store backends, so every API test runs
against both. PostgreSQL is a private throwaway cluster started once per test session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.mariadb import MariaDBServer, start_mariadb
from tests.support.postgres import PostgresServer, start_postgres
from tests.support.server import SluiceServer, free_port

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A private PostgreSQL server for the whole session."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDBServer]:
    """A private MariaDB server for the whole session (the JDBC connector's MySQL tests)."""
    server = start_mariadb()
    try:
        yield server
    finally:
        server.stop()


def database_url_for(backend: str, request: pytest.FixtureRequest) -> str | None:
    """None (the SQLite default) or a fresh PostgreSQL database."""
    if backend == "sqlite":
        return None
    pg: PostgresServer = request.getfixturevalue("postgres")
    return pg.create_database()


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    """A running `sluice serve` with zero run workers (runs stay queued), per backend."""
    backend = request.param
    srv = SluiceServer(
        data_dir=tmp_path_factory.mktemp(f"sluice-{backend}"),
        database_url=database_url_for(backend, request),
        workers=0,
    )
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def appflow(server: SluiceServer) -> Any:
    """A boto3 AppFlow client for the module's server (default account)."""
    return server.client()


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    """A moto server (S3 and friends) on loopback; sets AWS_ENDPOINT_URL_S3 for this process."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    url = f"http://127.0.0.1:{port}"
    old = os.environ.get("AWS_ENDPOINT_URL_S3")
    os.environ["AWS_ENDPOINT_URL_S3"] = url
    try:
        yield url
    finally:
        moto.stop()
        if old is None:
            os.environ.pop("AWS_ENDPOINT_URL_S3", None)
        else:
            os.environ["AWS_ENDPOINT_URL_S3"] = old


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    """A moto server (EventBridge, SQS and the rest) on loopback; its URL, no environment changed."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        moto.stop()


@pytest.fixture
def tmp_data_dir(tmp_path: Path) -> Path:
    """A fresh data dir."""
    return tmp_path / "data"
