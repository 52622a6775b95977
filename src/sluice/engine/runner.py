"""Run one execution of a flow (engine layer).

`run_execution` turns a claimed execution record into work against the flow's connectors.
A connector type whose data path is not built answers with a clear `RunFailed`, which the
executor records as an `Error` execution - never a silent success.
"""

from __future__ import annotations

from dataclasses import dataclass

from sluice.connectors import registry


class RunFailed(Exception):
    """The run cannot complete; the message is written to the execution record."""


class RunCanceled(Exception):
    """The run stopped because a cancel was requested."""


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What the executor knows about a run when it starts it."""

    account_id: str
    region: str
    execution_id: str
    flow_name: str
    source_type: str
    destination_types: tuple[str, ...]


def run_execution(request: RunRequest) -> dict[str, int]:
    """Execute the run; returns the `ExecutionResult` counters, or raises RunFailed/RunCanceled."""
    missing = [
        t for t in (request.source_type, *request.destination_types)
        if registry.CONNECTORS.get(t) is None or not registry.CONNECTORS[t].data_path_built
    ] or [request.source_type]
    # No connector moves records in this version: the Arrow pipeline is the flow-engine milestone.
    raise RunFailed(
        f"Sluice cannot move data for this flow yet: the record data path for {', '.join(missing)} "
        "is not built in this version (see the README's feature matrix)."
    )
