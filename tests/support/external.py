"""What the Airbyte/Singer runner tests share: one connector environment cache per test session,
operator aliases, and CustomConnector profile requests (test support).

Connectors install into `SLUICE_EXTERNAL_VENVS_DIR`; the tests point every server of the session
at one folder the session owns (shared by xdist workers: it sits beside their base temp folders),
so each connector is installed once per session. The installer's own file lock serialises workers.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from sluice.connectors.external import install, labels
from sluice.settings import ProcessSettings, use
from tests.integration.builders import unique
from tests.support import flows
from tests.support.server import SluiceServer

DECLARATIVE = "airbyte.source-declarative-manifest"
DECLARATIVE_VERSION = "6.5.2"


def venvs_dir(factory: pytest.TempPathFactory) -> Path:
    """The session's connector environment cache (one for all xdist workers)."""
    base = factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / "sluice-external-venvs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def preinstall(venvs: Path, label: str, **env: str) -> install.Installed:
    """Install `label` into `venvs` now (a no-op when a server or worker already did)."""
    parsed = labels.parse(label)
    assert parsed is not None, label
    saved = {name: os.environ.get(name) for name in ("SLUICE_EXTERNAL_VENVS_DIR", *env)}
    os.environ.update({"SLUICE_EXTERNAL_VENVS_DIR": str(venvs), **env})
    try:
        with use(ProcessSettings.from_mapping({}, data_dir=tempfile.mkdtemp(prefix="sluice-ext-install-"))):
            return install.installed(parsed)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def write_aliases(data_dir: Path, aliases: dict[str, Any]) -> Path:
    """The operator's aliases file of a server's data dir."""
    path = data_dir / "connectors" / "external" / "aliases.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(aliases))
    return path


def profile_request(name: str, label: str, properties: dict[str, str],
                    secrets: dict[str, str] | None = None) -> dict[str, Any]:
    """CreateConnectorProfile for an external label (secrets as CUSTOM credentials)."""
    config: dict[str, Any] = {"connectorProfileProperties": {"CustomConnector": {"profileProperties": properties}}}
    if secrets is not None:
        config["connectorProfileCredentials"] = {"CustomConnector": {
            "authenticationType": "CUSTOM",
            "custom": {"customAuthenticationType": "CUSTOM", "credentialsMap": secrets}}}
    return {"connectorProfileName": name, "connectorType": "CustomConnector", "connectorLabel": label,
            "connectionMode": "Public", "connectorProfileConfig": config}


def source(profile: str, entity: str) -> dict[str, Any]:
    """A sourceFlowConfig reading one stream."""
    return {"connectorType": "CustomConnector", "connectorProfileName": profile,
            "sourceConnectorProperties": {"CustomConnector": {"entityName": entity}}}


MAP_ALL = [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"CustomConnector": "NO_OP"},
            "taskProperties": {}}]


def ticket_edits_land_once(server: SluiceServer, desk: Any, profile: str, trigger: dict[str, Any],
                           prefix: str) -> None:
    """Edit three desk tickets, then check a Scheduled incremental flow of `profile`'s tickets moves each
    edit (and each later one `flows.edits_land_once` makes) exactly once."""
    client, name, bucket = server.client(), unique(prefix), flows.new_bucket(server)

    def edit(index: int, label: str) -> None:
        desk.state.touch(index, label)

    for index in range(3):
        edit(index, f"first-{index}")
    client.create_flow(flowName=name, triggerConfig=trigger, sourceFlowConfig=source(profile, "tickets"),
                       destinationFlowConfigList=flows.s3_parquet_destination(bucket), tasks=MAP_ALL)
    flows.edits_land_once(client, server, name, bucket, "subject", edit)
