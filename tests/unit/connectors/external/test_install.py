"""Installing a connector into its own environment: pinned, recorded, all or nothing (install.py).

Runs pip against a local --find-links folder only (PIP_NO_INDEX), with the Singer test tap's wheel.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.external import install, paths
from sluice.connectors.external.labels import parse
from sluice.settings import ProcessSettings, use
from tests.support.singer_tap import wheel


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    wheels = tmp_path / "wheels"
    wheel.build(wheels, "0.1.0")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.delenv("SLUICE_EXTERNAL_VENVS_DIR", raising=False)
    with use(ProcessSettings.from_mapping({}, data_dir=tmp_path / "data")):
        yield wheels


def test_the_latest_is_resolved_once_and_recorded(offline: Path) -> None:
    label = parse("singer.tap-sluice-desk")
    assert label is not None
    first = install.installed(label)
    assert first.version == "0.1.0" and first.venv == paths.venvs_dir() / "tap-sluice-desk-0.1.0"
    assert (first.venv / install.MARKER).is_file() and (first.venv / "bin" / "tap-sluice-desk").is_file()
    assert json.loads(paths.lock_file().read_text()) == {"tap-sluice-desk": "0.1.0"}
    wheel.build(offline, "0.2.0")
    assert install.installed(label).version == "0.1.0"  # the lock file's, not the newer release
    pinned = parse("singer.tap-sluice-desk@0.2.0")
    assert pinned is not None and install.installed(pinned).version == "0.2.0"
    assert json.loads(paths.lock_file().read_text()) == {"tap-sluice-desk": "0.1.0"}


def test_a_failed_install_leaves_nothing_behind(offline: Path) -> None:
    label = parse("singer.tap-sluice-nowhere@1.0.0")
    assert label is not None
    with pytest.raises(ConnectorError) as failed:
        install.installed(label)
    assert failed.value.code == "ServerError"
    assert "pip install tap-sluice-nowhere==1.0.0 failed" in failed.value.message
    assert [p.name for p in paths.venvs_dir().iterdir()] == [".locks"]
    assert not paths.lock_file().exists()
