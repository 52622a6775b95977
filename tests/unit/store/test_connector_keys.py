"""store/connector_keys.py: the per-store cache of the connector key root."""

from __future__ import annotations

import gc
from pathlib import Path

from sluice.api.runtime import open_store
from sluice.config import Settings
from sluice.store import connector_keys


def test_each_store_derives_from_its_own_root_and_a_gone_store_leaves_no_entry(tmp_path: Path) -> None:
    first = open_store(Settings(data_dir=tmp_path / "one"))
    first_keys = connector_keys.connector_keys(first, "111122223333")
    assert first in connector_keys._roots
    cached = len(connector_keys._roots)
    first.engine.dispose()
    del first
    gc.collect()
    # The cache is keyed by the store object, so nothing of the old store survives it (an id()
    # key would: Python hands a freed object's id to the next one).
    assert len(connector_keys._roots) == cached - 1
    second = open_store(Settings(data_dir=tmp_path / "two"))
    second_keys = connector_keys.connector_keys(second, "111122223333")
    assert second_keys != first_keys
    assert connector_keys.connector_keys(second, "111122223333") == second_keys
