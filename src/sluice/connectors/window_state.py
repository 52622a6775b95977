"""A per-flow value kept under a run's window end, read back at the next window's start (connectors layer).

Some sources resume from something the last run handed them (an ODP delta link, an Airbyte or
Singer STATE). That value is the flow's watermark, so it must move only when a run is marked
Successful: each run stores its value under the end of its window, and a run whose window starts
at `s` reads the value stored under `s` - which only the last *successful* run can have left (the
engine moves the window start in the transaction that marks a run Successful). A failed run's
value lies under its own window end, which no later window starts at. Values older than the
current window start are pruned.

Files: `<data dir>/connectors/<kind...>/<flow key>/<window end>.json` holding `{field: value,
"windowEnd": end}`, the flow key a hash of the account, region, flow name and the caller's parts.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sluice.connectors.base import RunContext


@dataclass(frozen=True)
class WindowState:
    """The values one flow's runs stored, by window end."""

    folder: Path
    # The JSON member each file keeps the value under.
    field: str

    @classmethod
    def of(cls, ctx: RunContext, kind: Sequence[str], parts: Sequence[str], field: str) -> WindowState:
        """The store under `<data dir>/connectors/<kind...>/` of the flow in `ctx`, keyed also by `parts`."""
        account = ctx.aws.account_id if ctx.aws is not None and ctx.aws.account_id else "-"
        key = "\x1f".join((account, ctx.region or "-", ctx.flow_name, *parts))
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return cls(Path(ctx.data_dir).joinpath("connectors", *kind, digest), field)

    @staticmethod
    def _name(window_end: float) -> str:
        return f"{window_end!r}.json"

    def any(self) -> bool:
        """True when some run of this flow already stored a value."""
        return self.folder.is_dir() and any(self.folder.glob("*.json"))

    def get(self, window_start: float | None) -> Any:
        """The value the run whose window ended at `window_start` stored; None when there is none."""
        if window_start is None:
            return None
        try:
            return json.loads((self.folder / self._name(window_start)).read_text())[self.field]
        except (OSError, ValueError, KeyError):
            return None

    def put(self, window_end: float, value: Any, window_start: float | None) -> None:
        """Keep `value` under `window_end` (atomically), and prune values older than `window_start`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / self._name(window_end)
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps({self.field: value, "windowEnd": window_end}))
        os.replace(temporary, target)
        if window_start is not None:
            self.prune(window_start)

    def prune(self, window_start: float) -> None:
        """Drop the values stored under window ends before `window_start`."""
        for path in self.folder.glob("*.json"):
            try:
                if float(path.stem) < window_start:
                    path.unlink(missing_ok=True)
            except ValueError:
                continue
