"""What the flow benchmarks share: the S3 Parquet output they write, timing one run from StartFlow to
its end, a process's peak RSS, the Sluice side of a SaaS comparison, a peer script's result line,
taking turns between the sides, and the Sluice-vs-peer table row.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.server import SluiceServer

# One object per run: the benchmarks time the whole write, not the aggregation's split.
NO_AGGREGATION = {"aggregationType": "None"}


def parquet_destination(bucket: str, prefix: str, **output: Any) -> list[dict[str, Any]]:
    """A destinationFlowConfigList writing typed Parquet under `prefix` (`output`: more format settings)."""
    return [{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
        "bucketName": bucket, "bucketPrefix": prefix,
        "s3OutputFormatConfig": {"fileType": "PARQUET", "preserveSourceDataTyping": True, **output}}}}]


def map_all(connector: str) -> list[dict[str, Any]]:
    """The Map_all task list for a source connector."""
    return [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {connector: "NO_OP"},
             "taskProperties": {}}]


def timed_run(client: Any, name: str) -> tuple[float, dict[str, Any]]:
    """StartFlow and poll until the run ends; (seconds from StartFlow, its record). A failed run raises."""
    started = time.perf_counter()
    execution_id = client.start_flow(flowName=name)["executionId"]
    while True:
        record: dict[str, Any] = client.describe_flow_execution_records(flowName=name)["flowExecutions"][0]
        if record["executionId"] == execution_id and record["executionStatus"] != "InProgress":
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if record["executionStatus"] != "Successful":
        raise RuntimeError(f"the bench run failed: {record}")
    return seconds, record


def peak_rss_mib(pid: int) -> float:
    """VmHWM of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class SluiceSide:
    """One Sluice server for a size; each `run()` times a fresh OnDemand flow (Map_all into typed
    Parquet, one object) from StartFlow to Successful."""

    def __init__(self, data_dir: Path, env: dict[str, str], profile: dict[str, Any], source: dict[str, Any],
                 flow_prefix: str, out_prefix: str) -> None:
        (data_dir / "s3" / "bench-out").mkdir(parents=True)
        self.source, self.flow_prefix, self.out_prefix, self.runs = source, flow_prefix, out_prefix, 0
        self.server = SluiceServer(data_dir=data_dir, workers=1, extra_env=env).start()
        self.client = self.server.client()
        self.client.create_connector_profile(**profile)

    def run(self) -> dict[str, float]:
        """One timed run: its seconds and the records it moved."""
        self.runs += 1
        name = f"{self.flow_prefix}-{self.runs}"
        self.client.create_flow(
            flowName=name, triggerConfig={"triggerType": "OnDemand"}, sourceFlowConfig=self.source,
            destinationFlowConfigList=parquet_destination("bench-out", self.out_prefix,
                                                          aggregationConfig=NO_AGGREGATION),
            tasks=map_all(self.source["connectorType"]),
        )
        seconds, record = timed_run(self.client, name)
        return {"seconds": seconds, "records": record["executionResult"]["recordsProcessed"]}

    def peak_rss(self) -> float:
        """The server process's peak RSS so far, in MiB."""
        return peak_rss_mib(self.server.proc.pid)  # type: ignore[union-attr]

    def stop(self) -> None:
        """Stop the server."""
        self.server.stop()


def take_turns(side: SluiceSide, peer: Callable[[], dict[str, float]], repeats: int,
               before_each: Callable[[], None] | None = None) -> tuple[list[dict[str, float]], list[dict[str, float]],
                                                                       float]:
    """Run the sides in turn `repeats` times (so drift on a shared machine hits both), then stop the server;
    (Sluice runs, peer runs, the server's peak RSS MiB). `before_each` runs before every run of either side."""
    sluice_runs: list[dict[str, float]] = []
    peer_runs: list[dict[str, float]] = []
    try:
        for _ in range(repeats):
            if before_each:
                before_each()
            sluice_runs.append(side.run())
            if before_each:
                before_each()
            peer_runs.append(peer())
        rss = side.peak_rss()
    finally:
        side.stop()
    return sluice_runs, peer_runs, rss


# Libraries only a peer uses (pandas for write_pandas), installed by `make bench` outside the venv so
# the Sluice servers measured beside them never load them (pyarrow imports pandas when it can).
PEER_LIBS = Path(__file__).resolve().parent.parent / ".bench" / "peerlib"


def run_peer(script: str, *args: str) -> dict[str, float]:
    """Run a peer script in its own process (so its RSS is its own); it prints `records seconds rss_mib`."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PEER_LIBS), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(f"the peer failed: {out.stderr[-3000:]}")
    fields = out.stdout.split()
    return {"records": float(fields[0]), "seconds": float(fields[1]), "rss": float(fields[2])}


def comparison_row(rows: int, sluice_runs: list[dict[str, float]], peer_runs: list[dict[str, float]],
                   rss: float) -> str:
    """The Markdown row of one size (medians of the runs); both sides must have moved every record."""
    if any(r["records"] != rows for r in sluice_runs + peer_runs):
        raise RuntimeError(f"record counts differ from {rows}: {sluice_runs} {peer_runs}")
    sluice_s = statistics.median(r["seconds"] for r in sluice_runs)
    peer_s = statistics.median(r["seconds"] for r in peer_runs)
    return (f"| {rows:,} | {rows / sluice_s:,.0f} | {rows / peer_s:,.0f} | {peer_s / sluice_s:.2f}x | "
            f"{rss:.0f} | {max(r['rss'] for r in peer_runs):.0f} |")
