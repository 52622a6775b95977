"""Point this test process's connectors at a local fake (test support for connector unit tests)."""

from __future__ import annotations

import pytest

from tests.support.tls import tls_env


def use_fake(monkeypatch: pytest.MonkeyPatch, label: str, url: str) -> None:
    """Trust the test CA, allow 127.0.0.1 and send `label`'s calls to `url` (SLUICE_ENDPOINT_URL_<LABEL>)."""
    for key, value in {**tls_env(), "SLUICE_ALLOW_PRIVATE_ENDPOINTS": "true",
                       f"SLUICE_ENDPOINT_URL_{label.upper()}": url}.items():
        monkeypatch.setenv(key, value)
