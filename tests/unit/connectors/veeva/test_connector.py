"""The Veeva source against the fake Vault in-process: a renewed session is saved, the burst-limit
warning reaches the run's log once, and a documents read without a file-taking destination says so."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sluice.connectors.base import ProfileView, RunContext
from sluice.connectors.veeva.connector import CONNECTOR
from tests.fakes.veeva.server import FakeVault
from tests.support.tls import tls_env


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeVault]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in tls_env().items():
            mp.setenv(key, value)
        with FakeVault(products=40, documents=6) as server:
            yield server


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in tls_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")
    monkeypatch.setenv("SLUICE_REST_BACKOFF_BASE", "0")


def run(fake: FakeVault, events: list[tuple[str, str, str]], saved: list[Any], obj: str,
        **props: Any) -> tuple[list[dict[str, Any]], Any]:
    view = ProfileView(name="p", connector_type="Veeva", properties={"instanceUrl": fake.url},
                       credentials={"username": fake.state.username, "password": fake.state.password},
                       save_credentials=saved.append)
    ctx = RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/tmp",
                     on_event=lambda kind, message, level: events.append((kind, message, level)))
    source = CONNECTOR.open_source(view, {"object": obj, **props}, ctx)
    rows = [row for batch in source.read() for row in batch.to_pylist()]
    return rows, source


def test_the_session_is_saved_and_a_low_burst_limit_is_told_once(fake: FakeVault) -> None:
    events: list[tuple[str, str, str]] = []
    saved: list[Any] = []
    fake.state.calls = 1990  # 10 calls left of 2000 in this window
    rows, _ = run(fake, events, saved, "product__v")
    assert len(rows) == 40 and saved and saved[-1]["sluiceSessionId"] in fake.state.sessions
    warnings = [m for kind, m, _ in events if "burst limit" in m]
    assert len(warnings) == 1 and "of 2000 calls left" in warnings[0]


def test_documents_without_a_file_destination_move_records_and_say_so(fake: FakeVault) -> None:
    events: list[tuple[str, str, str]] = []
    fake.state.calls = 0
    rows, source = run(fake, events, [], "documents", includeSourceFiles=True)
    assert len(rows) == 6 and source.stats.files_read == 0
    assert any("none of its destinations takes files" in m for _, m, _ in events)
    assert not fake.log.matching("/file")
