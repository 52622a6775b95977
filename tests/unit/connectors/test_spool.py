"""sluice.connectors.spool: a run's spool survives another run pruning the shared `.sluice-spool/`."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sluice.connectors.spool import Spool


def test_spool_survives_the_shared_folder_pruned_under_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_mkdir = Path.mkdir
    pruned: list[Path] = []

    def mkdir_then_pruned(self: Path, *args: Any, **kwargs: Any) -> None:
        real_mkdir(self, *args, **kwargs)
        if self.name == "run-1" and not pruned:
            pruned.append(self)
            shutil.rmtree(self.parent)  # another run dropped its spool and pruned `.sluice-spool/`

    monkeypatch.setattr(Path, "mkdir", mkdir_then_pruned)
    spool = Spool(str(tmp_path), "run-1", "s3")
    spool.write(pa.record_batch({"id": [1, 2]}))
    assert [b.num_rows for b in spool.batches()] == [2] and pruned
    spool.drop()
    assert not (tmp_path / ".sluice-spool").exists()
