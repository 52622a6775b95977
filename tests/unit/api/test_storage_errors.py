"""sluice.api.storage_errors and the endpoint's answer to them: a storage that refuses writes is a 503."""

from __future__ import annotations

import asyncio
import errno
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from sluice.api.app import AppFlowEndpoint
from sluice.api.storage_errors import is_storage_failure
from sluice.protocol.context import CONTEXT_KEY, RequestContext


def sqlite_full_error(tmp_path: Path) -> OperationalError:
    """A real SQLITE_FULL, through SQLAlchemy: the database may not grow past its current pages."""
    engine = create_engine(f"sqlite:///{tmp_path / 'full.db'}")

    @event.listens_for(engine, "connect")
    def cap(connection: Any, _record: Any) -> None:
        connection.execute("PRAGMA max_page_count = 2")

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (v BLOB)"))
    with pytest.raises(OperationalError) as caught, engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (:v)"), {"v": b"x" * 100_000})
    engine.dispose()
    return caught.value


def test_sqlite_full_is_a_storage_failure(tmp_path: Path) -> None:
    error = sqlite_full_error(tmp_path)
    assert "database or disk is full" in str(error)
    assert isinstance(error.orig, sqlite3.OperationalError)
    assert is_storage_failure(error)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG])
def test_os_errors_of_a_full_disk_are_storage_failures(code: int) -> None:
    assert is_storage_failure(OSError(code, "no space"))
    try:
        try:
            raise OSError(code, "no space")
        except OSError as exc:
            raise RuntimeError("while saving") from exc
    except RuntimeError as wrapped:
        assert is_storage_failure(wrapped)


@pytest.mark.parametrize("error", [ValueError("x"), KeyError("k"), OSError(errno.ENOENT, "missing"),
                                   sqlite3.IntegrityError("UNIQUE constraint failed")])
def test_other_failures_are_not(error: BaseException) -> None:
    assert not is_storage_failure(error)


def call(endpoint: AppFlowEndpoint) -> tuple[int, dict[bytes, bytes], dict[str, Any]]:
    scope = {"type": "http", "method": "POST", "path": "/list-flows", "raw_path": b"/list-flows",
             "query_string": b"", "headers": [(b"content-type", b"application/json")],
             CONTEXT_KEY: RequestContext("rid-1", "123456789012", "us-east-1", "AKID",
                                         "arn:aws:iam::123456789012:root")}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(endpoint(scope, receive, send))
    return sent[0]["status"], dict(sent[0]["headers"]), json.loads(sent[1]["body"])


@pytest.mark.parametrize("inline", [True, False])
def test_the_endpoint_answers_a_full_disk_with_a_503(tmp_path: Path, inline: bool) -> None:
    full = sqlite_full_error(tmp_path)

    def handler(_caller: Any, _params: dict[str, Any]) -> dict[str, Any]:
        raise full

    status, headers, body = call(AppFlowEndpoint({"ListFlows": handler}, inline=inline))
    assert status == 503
    assert headers[b"x-amzn-errortype"] == b"ServiceUnavailableException"
    assert body["__type"] == "ServiceUnavailableException" and "storage" in body["message"]


def test_other_failures_stay_500s() -> None:
    def handler(_caller: Any, _params: dict[str, Any]) -> dict[str, Any]:
        raise ZeroDivisionError

    status, _, body = call(AppFlowEndpoint({"ListFlows": handler}, inline=True))
    assert status == 500 and body["__type"] == "InternalServerException"
