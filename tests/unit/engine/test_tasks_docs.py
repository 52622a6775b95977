"""Every example in docs/tasks.md runs as written: its tasks turn its input into its output."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sluice.engine.tasks import TaskError, check_tasks, compile_tasks

DOC = Path(__file__).resolve().parents[3] / "docs" / "tasks.md"
BLOCK = re.compile(r"^```json\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _examples() -> list[Any]:
    text = DOC.read_text(encoding="utf-8")
    examples = []
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        examples.append(pytest.param(json.loads(match.group(1)), id=f"tasks.md:{line}"))
    return examples


EXAMPLES = _examples()


def batch_of(rows: list[dict[str, Any]]) -> pa.RecordBatch:
    """Rows as a batch; a column with only nulls is text, as a CSV source would give it."""
    batch = pa.RecordBatch.from_pylist(rows)
    columns = [c.cast(pa.string()) if pa.types.is_null(c.type) else c for c in batch.columns]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def test_the_doc_has_examples_of_every_task_type() -> None:
    assert len(EXAMPLES) >= 20
    seen = {task["taskType"] for example in EXAMPLES for task in example.values[0]["tasks"]}
    assert seen >= {"Arithmetic", "Filter", "Map", "Map_all", "Mask", "Merge", "Passthrough", "Truncate",
                    "Validate", "Partition"}


@pytest.mark.parametrize("example", EXAMPLES)
def test_doc_example(example: dict[str, Any]) -> None:
    assert set(example) <= {"tasks", "input", "output", "dropped", "partition_keys", "error", "rejected"}
    if "rejected" in example:
        with pytest.raises(ValueError) as caught:
            check_tasks(example["tasks"])
        assert example["rejected"] in str(caught.value)
        return
    check_tasks(example["tasks"])
    pipeline = compile_tasks(example["tasks"])
    batch = batch_of(example["input"])
    if "error" in example:
        with pytest.raises(TaskError) as failed:
            pipeline.apply(batch)
        assert example["error"] in str(failed.value)
        return
    out = pipeline.apply(batch)
    rows = out.to_pylist()
    assert rows == example["output"]
    assert [list(row) for row in rows] == [list(row) for row in example["output"]]  # field order too
    assert pipeline.dropped == example.get("dropped", 0)
    assert pipeline.partition_keys == example.get("partition_keys", [])
