"""Plug-in specs come from the `sluice.connectors` entry-point group, and broken ones are skipped."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

from sluice.connectors import entry_points
from sluice.connectors.base import ConnectorSpec

PLUGIN = ConnectorSpec(connector_type="CustomConnector", capabilities={"connectorName": "plugin"})


def make_plugin() -> ConnectorSpec:
    return ConnectorSpec(connector_type="CustomConnector", capabilities={"connectorName": "factory"})


NOT_A_SPEC = object()


def test_loads_specs_and_factories_and_skips_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    module = __name__
    found = [
        EntryPoint("b_factory", f"{module}:make_plugin", entry_points.GROUP),
        EntryPoint("a_spec", f"{module}:PLUGIN", entry_points.GROUP),
        EntryPoint("c_missing", f"{module}:NO_SUCH_NAME", entry_points.GROUP),
        EntryPoint("d_wrong", f"{module}:make_wrong", entry_points.GROUP),
    ]

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        return found if group == entry_points.GROUP else []

    monkeypatch.setattr(entry_points, "entry_points", fake_entry_points)
    specs = entry_points.load_plugin_specs()
    assert [spec.capabilities["connectorName"] for spec in specs] == ["plugin", "factory"]


def make_wrong() -> Any:
    return NOT_A_SPEC


def test_no_plugins_installed() -> None:
    assert entry_points.load_plugin_specs("sluice.connectors.test-nothing-here") == []
