"""engine/run_details.py and the task pipeline's counters: per-task counts from Arrow masks."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from sluice.connectors.base import ReadStats
from sluice.engine.run_details import DestinationCount, run_details
from sluice.engine.tasks import compile_tasks


def task(task_type: str, fields: list[str], operator: str, **props: str) -> dict[str, Any]:
    return {"taskType": task_type, "sourceFields": fields, "connectorOperator": {"S3": operator},
            "taskProperties": props}


TASKS = [
    task("Filter", ["a", "b"], "PROJECTION"),
    task("Filter", ["a"], "GREATER_THAN", VALUE="2", DATA_TYPE="integer"),
    task("Filter", ["a"], "LESS_THAN", VALUE="9", DATA_TYPE="integer"),
    task("Validate", ["b"], "VALIDATE_NON_NULL", VALIDATION_ACTION="DropRecord"),
    task("Validate", ["a", "b"], "VALIDATE_NON_ZERO", VALIDATION_ACTION="DropRecord"),
    {**task("Map", ["a"], "NO_OP"), "destinationField": "a"},
]


def test_each_task_counts_what_it_removed_first() -> None:
    pipeline = compile_tasks(TASKS)
    batches = [
        pa.record_batch({"a": [1, 3, 4, 9, 5], "b": ["x", None, "0", "y", None]}),
        pa.record_batch({"a": [6, None, 7, 8], "b": ["1", "z", None, "0"]}),
    ]
    out_rows = sum(pipeline.apply(b).num_rows for b in batches)
    # Rows: a>2 drops 1 and None (2); a<9 drops 9 (1); b non-null drops 3/None, 5/None, 7/None (3);
    # non-zero drops 4/"0", 8/"0" (2); 6/"1" remains.
    details = run_details("S3", ReadStats(bytes_read=99, records_read=9, pages_read=2, files_read=1), 9, TASKS,
                          pipeline, [DestinationCount("S3", records_written=out_rows)])
    by_index = {t["index"]: t for t in details["tasks"]}
    assert out_rows == 1
    assert [(t["recordsIn"], t["recordsOut"], t["dropped"], t["rejected"]) for t in details["tasks"]] == [
        (9, 9, 0, 0), (9, 7, 2, 0), (7, 6, 1, 0), (6, 3, 0, 3), (3, 1, 0, 2), (1, 1, 0, 0),
    ]
    assert by_index[3]["rules"] == {"VALIDATE_NON_NULL": 3}
    assert by_index[4]["rules"] == {"VALIDATE_NON_ZERO": 2}
    assert by_index[5]["destinationField"] == "a" and by_index[0]["sourceFields"] == ["a", "b"]
    assert details["source"] == {"connectorType": "S3", "recordsRead": 9, "bytesRead": 99, "pagesRead": 2,
                                 "filesRead": 1}
    assert details["destinations"] == [{"connectorType": "S3", "recordsWritten": 1, "recordsFailed": 0,
                                        "bytesWritten": 0}]


def test_a_filter_without_data_type_on_text_is_noted_once() -> None:
    pipeline = compile_tasks([task("Filter", ["n"], "GREATER_THAN", VALUE="10"), task("Map_all", [], "NO_OP")])
    for _ in range(3):
        pipeline.apply(pa.record_batch({"n": ["9", "100", "11"]}))
    (note,) = pipeline.take_notes()
    assert "tasks[0]" in note and "no DATA_TYPE" in note
    assert pipeline.take_notes() == []
    typed = compile_tasks([task("Filter", ["n"], "GREATER_THAN", VALUE="10", DATA_TYPE="integer"),
                           task("Map_all", [], "NO_OP")])
    typed.apply(pa.record_batch({"n": ["9", "100", "11"]}))
    assert typed.take_notes() == []
