"""A run's per-stage counts as the `sluiceRunDetails` shape (engine layer).

The source's `ReadStats`, the task pipeline's batch-level counters and the destinations'
counts become one JSON object (see docs/engine.md, "Seeing into a run"):

    {"recordsProcessed", "bytesProcessed",
     "source": {"connectorType", "recordsRead", "bytesRead", "pagesRead", "filesRead"},
     "tasks": [{"index", "taskType", "sourceFields", "destinationField", "recordsIn", "recordsOut",
                "dropped", "rejected", "rules"}],
     "destinations": [{"connectorType", "recordsWritten", "recordsFailed", "bytesWritten"}]}

Filter comparisons run first (in list order), then Validate DropRecord checks (in list order),
then everything else; a record removed by one task is counted there and never reaches the next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sluice.connectors.base import ReadStats
from sluice.engine.tasks import TaskPipeline


@dataclass(slots=True)
class DestinationCount:
    """One destination's counts: rows handed to it, and what its commit reported."""

    connector_type: str
    records_written: int = 0
    records_failed: int = 0
    bytes_written: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"connectorType": self.connector_type, "recordsWritten": self.records_written,
                "recordsFailed": self.records_failed, "bytesWritten": self.bytes_written}


def _task_counts(tasks: Sequence[Mapping[str, Any]], pipeline: TaskPipeline) -> list[dict[str, Any]]:
    spec = pipeline.spec
    stage_in: dict[int, int] = {}
    remaining = pipeline.rows_in
    for comparison in spec.comparisons:
        stage_in[comparison.index] = remaining
        remaining -= pipeline.filtered[comparison.index]
    for validation in spec.validations:
        if validation.action == "DropRecord":
            stage_in[validation.index] = remaining
            remaining -= pipeline.rejected[validation.index]
    operators = {v.index: v.operator for v in spec.validations}
    out: list[dict[str, Any]] = []
    for index, task in enumerate(tasks):
        dropped = pipeline.filtered.get(index, 0)
        rejected = pipeline.rejected.get(index, 0)
        projection = task.get("taskType") == "Filter" and index not in pipeline.filtered
        records_in = stage_in.get(index, pipeline.rows_in if projection else pipeline.rows_out)
        rules = {operators[index]: rejected} if index in operators else {}
        out.append({
            "index": index,
            "taskType": task.get("taskType"),
            "sourceFields": list(task.get("sourceFields") or []),
            "destinationField": task.get("destinationField"),
            "recordsIn": records_in,
            # A TerminateFlow check's failure stops the run: nothing it saw goes on.
            "recordsOut": records_in - dropped - (rejected if index in stage_in else 0),
            "dropped": dropped,
            "rejected": rejected,
            "rules": rules,
        })
    return out


def run_details(source_type: str, stats: ReadStats | None, records: int, tasks: Sequence[Mapping[str, Any]],
                pipeline: TaskPipeline, destinations: Sequence[DestinationCount]) -> dict[str, Any]:
    """The run's counts so far (or final, once the destinations committed)."""
    stats = stats or ReadStats()
    return {
        "recordsProcessed": records,
        "bytesProcessed": stats.bytes_read,
        "source": {"connectorType": source_type, "recordsRead": stats.records_read or records,
                   "bytesRead": stats.bytes_read, "pagesRead": stats.pages_read, "filesRead": stats.files_read},
        "tasks": _task_counts(tasks, pipeline),
        "destinations": [d.as_json() for d in destinations],
    }
