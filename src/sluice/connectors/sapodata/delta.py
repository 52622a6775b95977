"""Where ODP delta links are kept between a flow's incremental runs (connectors layer, SAP OData).

An ODP delta read (AppFlow's incremental transfer from an ODP provider) ends with a `__delta`
link (`<Set>?!deltatoken='...'`): the next run follows it and gets only the changes since. The
engine's watermark for a scheduled flow is the end of the last successful run's window and moves
only in the transaction that marks that run Successful (engine/lifecycle.py); the link must move
with it. So each run stores the link it received under the end of its window, and a run whose
window starts at `s` follows the link stored under `s` - the one the last *successful* run left.
A run that failed left a link under its own window end, which no later window starts at, so the
next run repeats the changes from the last successful link (SAP answers an older delta token again
until a newer one is used: "delta repeat"). Links older than the current window start are deleted.

Files: `<data dir>/connectors/sapodata/delta/<flow key>/<window end>.json`, where the flow key is
a hash of the account, region, flow name, SAP host, service and entity set (a recreated flow or
changed profile starts afresh). The links carry no credentials.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from sluice.connectors.base import RunContext


@dataclass(frozen=True)
class DeltaLinks:
    """The stored delta links of one flow's entity set."""

    folder: Path

    @classmethod
    def of(cls, ctx: RunContext, host: str, object_path: str) -> DeltaLinks:
        account = ctx.aws.account_id if ctx.aws is not None and ctx.aws.account_id else "-"
        key = "\x1f".join((account, ctx.region or "-", ctx.flow_name, host, object_path))
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return cls(Path(ctx.data_dir) / "connectors" / "sapodata" / "delta" / digest)

    @staticmethod
    def _name(window_end: float) -> str:
        return f"{window_end!r}.json"

    def any(self) -> bool:
        """True when some run of this flow already stored a link."""
        return self.folder.is_dir() and any(self.folder.glob("*.json"))

    def link_at(self, window_start: float | None) -> str | None:
        """The link the run whose window ended at `window_start` stored, if any."""
        if window_start is None:
            return None
        path = self.folder / self._name(window_start)
        try:
            return str(json.loads(path.read_text())["deltaLink"])
        except (OSError, ValueError, KeyError):
            return None

    def store(self, window_end: float, link: str, window_start: float | None) -> None:
        """Keep `link` under `window_end` (atomically), and drop links older than `window_start`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / self._name(window_end)
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps({"deltaLink": link, "windowEnd": window_end}))
        os.replace(temporary, target)
        if window_start is None:
            return
        for path in self.folder.glob("*.json"):
            try:
                if float(path.stem) < window_start:
                    path.unlink(missing_ok=True)
            except ValueError:
                continue
