"""How long Sluice waits for one call to a custom connector (connectors layer)."""

from __future__ import annotations

from sluice.settings import current


def call_timeout(default: float) -> float:
    """`SLUICE_CONNECTOR_TIMEOUT` seconds when set (deployments, tests), else the operation's default."""
    return current().connectors.timeout or default
