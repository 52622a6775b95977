"""Connector state between a flow's incremental runs (connectors layer, Airbyte/Singer runner).

An Airbyte source or Singer tap reads incrementally from the state it emitted last time (STATE
messages). That state is Sluice's watermark for the flow, so it must move only when the run is
marked Successful - the same rule as SAP OData's delta links (`sapodata/delta.py`): each run stores
the state its read ended with under the end of its window, and a run whose window starts at `s`
reads the state stored under `s`, which only the last *successful* run can have left (the engine
moves the window start in the transaction that marks a run Successful). A failed run's state lies
under its own window end, which no later window starts at, so the next run reads again from the
last successful state. States older than the current window start are deleted.

Files: `<data dir>/connectors/external/state/<flow key>/<window end>.json`, the flow key a hash of
the account, region, flow name, connector label and stream. States hold cursors, not credentials.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sluice.connectors.base import RunContext


@dataclass(frozen=True)
class StoredStates:
    """The stored states of one flow's stream."""

    folder: Path

    @classmethod
    def of(cls, ctx: RunContext, label: str, stream: str) -> StoredStates:
        account = ctx.aws.account_id if ctx.aws is not None and ctx.aws.account_id else "-"
        key = "\x1f".join((account, ctx.region or "-", ctx.flow_name, label, stream))
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return cls(Path(ctx.data_dir) / "connectors" / "external" / "state" / digest)

    @staticmethod
    def _name(window_end: float) -> str:
        return f"{window_end!r}.json"

    def at(self, window_start: float | None) -> Any:
        """The state the run whose window ended at `window_start` stored; None when there is none."""
        if window_start is None:
            return None
        try:
            return json.loads((self.folder / self._name(window_start)).read_text())["state"]
        except (OSError, ValueError, KeyError):
            return None

    def store(self, window_end: float, state: Any, window_start: float | None) -> None:
        """Keep `state` under `window_end` (atomically), and drop states older than `window_start`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / self._name(window_end)
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps({"state": state, "windowEnd": window_end}))
        os.replace(temporary, target)
        if window_start is None:
            return
        for path in self.folder.glob("*.json"):
            try:
                if float(path.stem) < window_start:
                    path.unlink(missing_ok=True)
            except ValueError:
                continue
