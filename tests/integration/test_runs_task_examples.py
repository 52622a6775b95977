"""Every docs/tasks.md example that fits an S3 source also runs end to end through StartFlow.

The example's input rows become a JSON-lines object in the embedded S3 backend, the example's
tasks become an S3 -> S3 flow writing Parquet with source types preserved, and what lands in
the destination must equal the example's output, row for row.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from sluice.connectors.registry import supported_operators
from tests.integration.builders import unique
from tests.integration.test_runs_s3 import wait
from tests.support.server import SluiceServer
from tests.unit.engine.test_tasks_docs import EXAMPLES


def _fits_a_run(example: dict[str, Any]) -> bool:
    """Examples about refusals, run errors and partitions are covered elsewhere; text inputs only."""
    if {"error", "rejected", "partition_keys"} & example.keys() or not example.get("input"):
        return False
    rows = example["input"]
    columns = {k for row in rows for k in row}
    text_only = all(v is None or isinstance(v, str) for row in rows for v in row.values())
    every_column_has_text = all(any(row.get(c) is not None for row in rows) for c in columns)
    s3_operators = supported_operators("S3")
    operators_fit = all(
        op in s3_operators for t in example["tasks"] for op in (t.get("connectorOperator") or {}).values()
    )
    return text_only and every_column_has_text and operators_fit and all(set(row) == columns for row in rows)


RUNNABLE = [p for p in EXAMPLES if _fits_a_run(p.values[0])]


@pytest.fixture(scope="module")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    server = SluiceServer(data_dir=tmp_path_factory.mktemp("examples"), workers=2).start()
    try:
        yield server
    finally:
        server.stop()


def test_enough_examples_run_end_to_end() -> None:
    task_types = {t["taskType"] for p in RUNNABLE for t in p.values[0]["tasks"]}
    assert len(RUNNABLE) >= 10
    assert {"Filter", "Map", "Map_all", "Mask", "Arithmetic", "Truncate", "Validate", "Passthrough"} <= task_types


@pytest.mark.parametrize("example", RUNNABLE)
def test_example_through_start_flow(local_server: SluiceServer, example: dict[str, Any]) -> None:
    client = local_server.client()
    source, destination, name = unique("src"), unique("dst"), unique("example")
    root = Path(local_server.data_dir) / "s3"
    (root / source / "in").mkdir(parents=True)
    (root / destination).mkdir(parents=True)
    lines = "\n".join(json.dumps(row) for row in example["input"]) + "\n"
    (root / source / "in" / "rows.jsonl").write_text(lines)
    client.create_flow(
        flowName=name,
        triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {"S3": {
            "bucketName": source, "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "JSON"}}}},
        destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
            "bucketName": destination, "bucketPrefix": "out",
            "s3OutputFormatConfig": {"fileType": "PARQUET", "preserveSourceDataTyping": True,
                                     "aggregationConfig": {"aggregationType": "SingleFile"}}}}}],
        tasks=example["tasks"],
    )
    record = wait(client, name, client.start_flow(flowName=name)["executionId"])
    assert record["executionStatus"] == "Successful", record
    files = sorted(p for p in (root / destination).rglob("*.parquet"))
    rows = [r for f in files for r in pq.read_table(io.BytesIO(f.read_bytes())).to_pylist()]
    assert rows == example["output"]
