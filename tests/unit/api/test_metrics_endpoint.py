"""api/metrics_endpoint.py: who may read /metrics under each SLUICE_METRICS mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.api.metrics_endpoint import allowed
from sluice.settings import ObservabilitySettings, ProcessSettings, SettingsError, use


def request(client: str, token: str | None = None) -> dict:
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    return {"type": "http", "method": "GET", "path": "/metrics", "client": (client, 5000), "headers": headers}


@pytest.mark.parametrize(("mode", "token", "client", "given", "status"), [
    ("loopback", None, "127.0.0.1", None, 200),
    ("loopback", None, "::1", None, 200),
    ("loopback", None, "10.0.0.8", None, 403),
    ("loopback", "s3cret", "10.0.0.8", "s3cret", 200),
    ("loopback", "s3cret", "10.0.0.8", "wrong", 401),
    ("loopback", "s3cret", "127.0.0.1", "wrong", 401),
    ("open", None, "10.0.0.8", None, 200),
    ("off", None, "127.0.0.1", None, 404),
    ("off", "s3cret", "127.0.0.1", "s3cret", 404),
])
def test_modes(tmp_path: Path, mode: str, token: str | None, client: str, given: str | None, status: int) -> None:
    settings = ProcessSettings(data_dir=str(tmp_path),
                               observability=ObservabilitySettings(metrics=mode, metrics_token=token))
    with use(settings):
        assert allowed(request(client, given)) == status


def test_an_unknown_mode_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="SLUICE_METRICS"):
        ObservabilitySettings.from_mapping({"SLUICE_METRICS": "public"})
