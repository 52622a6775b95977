"""Salesforce unit-test fixtures: the fake org listens on http://127.0.0.1, which Sluice calls only
with the operator's leave (SLUICE_ALLOW_PRIVATE_ENDPOINTS, connectors/outbound.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_endpoints_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")
