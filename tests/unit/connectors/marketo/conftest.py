"""A fake Marketo over https for the connector's unit tests, and profiles pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sluice.connectors.base import ProfileView, RunContext
from tests.fakes.marketo.server import FakeMarketo
from tests.support.tls import tls_env


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMarketo]:
    """A fake subscription with 300 leads (900 activities); the process trusts it and allows 127.0.0.1."""
    for key, value in tls_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")
    monkeypatch.setenv("SLUICE_REST_BACKOFF_BASE", "0.01")
    with FakeMarketo(leads=300) as server:
        yield server


def profile(fake: FakeMarketo, **credentials: Any) -> tuple[ProfileView, list[Any]]:
    """A Marketo ProfileView for the fake; saved credentials are recorded in the list."""
    saved: list[Any] = []
    view = ProfileView(name="p", connector_type="Marketo", properties={"instanceUrl": fake.url},
                       credentials={"clientId": "sluice-client", "clientSecret": "sluice-secret", **credentials},
                       save_credentials=saved.append)
    return view, saved


def run(tasks: tuple[Any, ...] = (), batch_size: int = 1000, **window: Any) -> RunContext:
    """A RunContext for a source read."""
    return RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/tmp",
                      batch_size=batch_size, tasks=tasks, **window)


def between(field: str, low: str, high: str) -> dict[str, Any]:
    """A Filter task: `field` BETWEEN low and high."""
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"Marketo": "BETWEEN"},
            "taskProperties": {"LOWER_BOUND": low, "UPPER_BOUND": high}}


def greater(field: str, value: str) -> dict[str, Any]:
    """A Filter task: `field` GREATER_THAN value."""
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"Marketo": "GREATER_THAN"},
            "taskProperties": {"VALUE": value}}
