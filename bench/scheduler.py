"""Scheduler benchmark: 1,000 active `rate(1minutes)` flows for five minutes (real time).

A real `sluice serve` (SQLite, two run workers) holds 1,000 Scheduled flows whose start times
are spread over a minute, each reading an empty S3 prefix on the embedded backend (the cheap
source the issue asks for), so the runs themselves cost little. After the measured window the
bench reads every execution record and reports the launch lag (record start - scheduled slot)
p50/p99, how many slots ran (and whether any ran twice), and the scheduler thread's own CPU
time from `/health` as a share of one core. No peer exists for this; the targets are absolute.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.server import SluiceServer  # noqa: E402

from sluice.store.models import ExecutionRecord  # noqa: E402

FLOWS = int(os.environ.get("BENCH_SCHEDULED_FLOWS", "1000"))
SECONDS = int(os.environ.get("BENCH_SCHEDULER_SECONDS", "300"))


def _flow(name: str, start: float) -> dict[str, Any]:
    return {
        "flowName": name,
        "triggerConfig": {"triggerType": "Scheduled", "triggerProperties": {"Scheduled": {
            "scheduleExpression": "rate(1minutes)", "dataPullMode": "Complete", "scheduleStartTime": start}}},
        "sourceFlowConfig": {"connectorType": "S3", "sourceConnectorProperties": {
            "S3": {"bucketName": "bench-empty", "bucketPrefix": "nothing"}}},
        "destinationFlowConfigList": [{"connectorType": "S3", "destinationConnectorProperties": {
            "S3": {"bucketName": "bench-sink"}}}],
        "tasks": [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"}}],
    }


def _scheduler_cpu(url: str) -> float:
    return float(httpx.get(f"{url}/health", timeout=5).json()["scheduler"]["cpu_seconds"])


def main() -> str:
    """Run the scenario; return the Markdown table."""
    with tempfile.TemporaryDirectory() as name:
        data_dir = Path(name) / "data"
        for bucket in ("bench-empty", "bench-sink"):
            (data_dir / "s3" / bucket).mkdir(parents=True)
        server = SluiceServer(data_dir=data_dir, workers=2).start()
        try:
            client = server.client()
            first_slot = int(time.time()) + 90
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda i: client.create_flow(**_flow(f"tick-{i:04d}", first_slot + (i % 60))),
                              range(FLOWS)))
                list(pool.map(lambda i: client.start_flow(flowName=f"tick-{i:04d}"), range(FLOWS)))
            time.sleep(max(0.0, first_slot - time.time()))
            cpu_before, began = _scheduler_cpu(server.url), time.time()
            time.sleep(SECONDS)
            cpu = _scheduler_cpu(server.url) - cpu_before
            elapsed = time.time() - began
            window_end = time.time()
        finally:
            server.stop()
        engine = create_engine(f"sqlite:///{data_dir / 'sluice.db'}")
        with engine.connect() as connection:
            rows = connection.execute(select(ExecutionRecord.flow_id, ExecutionRecord.scheduled_for,
                                             ExecutionRecord.started_at, ExecutionRecord.status)).all()
        engine.dispose()
    measured = [r for r in rows if r.scheduled_for is not None and r.scheduled_for <= window_end - 5]
    lags = sorted(r.started_at - r.scheduled_for for r in measured)
    per_slot = Counter((r.flow_id, r.scheduled_for) for r in rows)
    twice = sum(1 for n in per_slot.values() if n > 1)
    failed = sum(1 for r in measured if r.status != "Successful")
    p50 = statistics.median(lags)
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    return "\n".join([
        "| flows | measured s | runs | slots run twice | failed runs | lag p50 s | lag p99 s "
        "| scheduler CPU % of a core |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {FLOWS:,} | {elapsed:.0f} | {len(measured):,} | {twice} | {failed} | {p50:.3f} | {p99:.3f} | "
        f"{100 * cpu / elapsed:.2f} |",
    ])


if __name__ == "__main__":
    print(main())
