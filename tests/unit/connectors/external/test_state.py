"""Connector state kept per window end, read back at the next window's start (state.py)."""

from __future__ import annotations

from pathlib import Path

from sluice.connectors.base import RunContext
from sluice.connectors.external.state import stored_states


def _ctx(tmp_path: Path, flow: str = "f") -> RunContext:
    return RunContext(flow_name=flow, execution_id="e", schema_version=1, started_at=0.0, data_dir=str(tmp_path))


def test_a_state_is_read_back_only_by_the_window_that_starts_where_its_run_ended(tmp_path: Path) -> None:
    stored = stored_states(_ctx(tmp_path), "airbyte.source-faker", "users")
    assert stored.get(None) is None and stored.get(100.0) is None
    stored.put(100.0, [{"type": "STREAM", "cursor": 1}], None)
    assert stored.get(100.0) == [{"type": "STREAM", "cursor": 1}]
    # A run over (100, 200] that fails leaves its state under 200; the next window still starts at 100.
    stored.put(200.0, {"cursor": 2}, 100.0)
    assert stored.get(100.0) == [{"type": "STREAM", "cursor": 1}]
    # The successful retry over (100, 300] stores under 300; older states go.
    stored.put(300.0, {"cursor": 3}, 100.0)
    stored.put(400.0, {"cursor": 4}, 300.0)
    assert stored.get(300.0) == {"cursor": 3} and stored.get(100.0) is None


def test_flows_labels_and_streams_keep_their_own_states(tmp_path: Path) -> None:
    a = stored_states(_ctx(tmp_path, "f1"), "airbyte.source-faker", "users")
    b = stored_states(_ctx(tmp_path, "f2"), "airbyte.source-faker", "users")
    c = stored_states(_ctx(tmp_path, "f1"), "airbyte.source-faker", "products")
    assert len({a.folder, b.folder, c.folder}) == 3
    assert a.folder.is_relative_to(tmp_path / "connectors" / "external" / "state")
