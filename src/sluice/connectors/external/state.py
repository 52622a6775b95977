"""Connector state between a flow's incremental runs (connectors layer, Airbyte/Singer runner).

An Airbyte source or Singer tap reads incrementally from the state it emitted last time (STATE
messages). That state is Sluice's watermark for the flow, so it must move only when the run is
marked Successful - the same rule as SAP OData's delta links (`sapodata/delta.py`), kept the same
way (`connectors/window_state.py`): each run stores the state its read ended with under the end of
its window, and a run whose window starts at `s` reads the state stored under `s`, which only the
last *successful* run can have left. A failed run's state lies under its own window end, which no
later window starts at, so the next run reads again from the last successful state. States older
than the current window start are deleted.

Files: `<data dir>/connectors/external/state/<flow key>/<window end>.json`, the flow key a hash of
the account, region, flow name, connector label and stream. States hold cursors, not credentials.
"""

from __future__ import annotations

from sluice.connectors.base import RunContext
from sluice.connectors.window_state import WindowState


def stored_states(ctx: RunContext, label: str, stream: str) -> WindowState:
    """The stored states of one flow's stream."""
    return WindowState.of(ctx, ("external", "state"), (label, stream), "state")
