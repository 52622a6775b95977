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

from sluice.connectors.base import RunContext
from sluice.connectors.window_state import WindowState


def delta_links(ctx: RunContext, host: str, object_path: str) -> WindowState:
    """The stored delta links of one flow's entity set (`connectors/window_state.py`)."""
    return WindowState.of(ctx, ("sapodata", "delta"), (host, object_path), "deltaLink")
