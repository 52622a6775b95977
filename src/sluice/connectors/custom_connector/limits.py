"""How long Sluice waits for one call to a custom connector (connectors layer)."""

from __future__ import annotations

import os

TIMEOUT_ENV = "SLUICE_CONNECTOR_TIMEOUT"


def call_timeout(default: float) -> float:
    """`SLUICE_CONNECTOR_TIMEOUT` seconds when set (deployments, tests), else the operation's default."""
    value = os.environ.get(TIMEOUT_ENV)
    try:
        return float(value) if value else default
    except ValueError:
        return default
