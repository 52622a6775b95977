"""AppFlow tasks on Arrow record batches (engine layer, between the source and sink stages).

    check_tasks(tasks)                        CreateFlow/UpdateFlow: ValueError("tasks[i]: ...")
    compile_tasks(tasks, source_fields)       once per run -> TaskPipeline
    TaskPipeline.apply(batch) -> batch        per batch; raises TaskError
    TaskPipeline.partition_keys / .dropped    for the sink stage and the run's counters

Modules: `spec` reads and checks the task dicts, `filters` (Filter, Validate) and `transforms`
(Mask, Truncate, Merge, Arithmetic, Map) compute with `pyarrow.compute`, `values` holds the
shared conversions, `pipeline` orders the stages. docs/tasks.md describes the semantics.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sluice.engine.tasks.pipeline import TaskError, TaskPipeline
from sluice.engine.tasks.spec import read_tasks


def check_tasks(tasks: Sequence[Mapping[str, Any]]) -> None:
    """Raise ValueError("tasks[2]: ...") for a task list that cannot run."""
    read_tasks(tasks)


def compile_tasks(tasks: Sequence[Mapping[str, Any]], source_fields: Iterable[str] | None = None) -> TaskPipeline:
    """The run's `TaskPipeline` for `tasks`; `source_fields` are the source entity's known fields.

    With `source_fields`, a known field missing from a batch reads as null, and a Map_all with
    INCLUDE_NEW_FIELDS false maps only those fields. Raises ValueError like `check_tasks`.
    """
    return TaskPipeline(read_tasks(tasks), source_fields)


__all__ = ["TaskError", "TaskPipeline", "check_tasks", "compile_tasks"]
