"""A Scheduled, incremental S3 flow fires on its own through the real server and reads its window."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.integration.builders import unique
from tests.integration.test_runs_s3 import MAP_ALL
from tests.support.server import SluiceServer


def test_scheduled_incremental_flow_fires_and_reads_only_its_window(tmp_path: Path) -> None:
    server = SluiceServer(data_dir=tmp_path / "data", workers=1).start()
    try:
        client = server.client()
        root = server.data_dir / "s3"
        source, destination, name = unique("src"), unique("dst"), unique("scheduled")
        (root / source / "in").mkdir(parents=True)
        (root / destination).mkdir(parents=True)
        now = time.time()
        old, new = root / source / "in" / "old.csv", root / source / "in" / "new.csv"
        old.write_text("id\n1\n2\n")
        new.write_text("id\n3\n")
        os.utime(old, (now - 7200, now - 7200))  # before firstExecutionFrom: not in the first window
        os.utime(new, (now - 60, now - 60))
        start = int(now) + 3

        def scheduled(flow: str, first: int, prefix: str) -> None:
            client.create_flow(
                flowName=flow,
                triggerConfig={"triggerType": "Scheduled", "triggerProperties": {"Scheduled": {
                    "scheduleExpression": "rate(1hours)", "dataPullMode": "Incremental",
                    "scheduleStartTime": first, "firstExecutionFrom": now - 3600}}},
                sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {
                    "S3": {"bucketName": source, "bucketPrefix": "in"}}},
                destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
                    "bucketName": destination, "bucketPrefix": prefix,
                    "s3OutputFormatConfig": {"fileType": "PARQUET", "preserveSourceDataTyping": True}}}}],
                tasks=MAP_ALL,
            )
            assert client.describe_flow(flowName=flow)["flowStatus"] == "Draft"
            assert "executionId" not in client.start_flow(flowName=flow)

        def finished(flow: str) -> list:
            deadline = time.time() + 60
            records: list = []
            while time.time() < deadline:
                records = client.describe_flow_execution_records(flowName=flow)["flowExecutions"]
                if records and records[0]["executionStatus"] not in ("InProgress", "CancelStarted"):
                    break
                time.sleep(0.2)
            return records

        scheduled(name, start, "out")
        # A marker flow whose first slot comes 3 s after the first flow's: once it has run, the
        # scheduler has passed that slot, so a second run of the first flow would be there too.
        marker = unique("marker")
        scheduled(marker, start + 3, "marker")
        records = finished(name)
        assert len(records) == 1, records
        record = records[0]
        assert record["executionStatus"] == "Successful", record
        assert record["dataPullStartTime"].timestamp() == pytest.approx(now - 3600, abs=0.001)
        assert record["dataPullEndTime"].timestamp() == pytest.approx(start, abs=0.001)
        assert record["executionResult"]["recordsProcessed"] == 1
        files = list((root / destination / "out").rglob("*.parquet"))
        assert [r["id"] for f in files for r in pq.read_table(io.BytesIO(f.read_bytes())).to_pylist()] == ["3"]
        # The next slot is an hour away: once the later marker flow has fired, nothing else has.
        assert [r["executionStatus"] for r in finished(marker)] == ["Successful"]
        assert len(client.describe_flow_execution_records(flowName=name)["flowExecutions"]) == 1
        client.stop_flow(flowName=name)
        assert client.describe_flow(flowName=name)["flowStatus"] == "Suspended"
    finally:
        server.stop()
