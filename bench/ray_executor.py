"""Ray executor benchmark: the 5M-row yardstick on a local Ray cluster vs the local executor.

The job is bench/s3_to_s3.py's (S3 CSV -> Filter, projection, Arithmetic, Mask, Truncate ->
Parquet through `StartFlow`, on the embedded local store). Three sides, each its own server
over the same input files, measured in interleaved rounds so a busy machine weighs on all alike:

* `local` - `SLUICE_EXECUTOR=local` (the splits on every core of the server);
* `ray x1` - `SLUICE_EXECUTOR=ray`, a Ray cluster of one node process with as many CPUs as the
  machine's cores;
* `ray x2` - the same CPUs split over two node processes (a head and one more node).

The output has no `SingleFile` aggregation, so on a Ray side the workers stage the Parquet parts
themselves and the server only adopts their manifests and publishes (`connectors/remote_staging.py`).
Each Ray side first runs the flow once untimed (it connects the server to the cluster and starts
the workers, which import Sluice and pyarrow), and checks from that run's log that the workers
staged the output. Reported per side: the median wall seconds from
`StartFlow` to `Successful` and rows/s, CPU-seconds of every process involved (the server, and
every process of its Ray cluster: GCS, raylets, workers, agents; children that exited count
through their parents) and of the server alone (on a Ray side: coordinating, adopting the
manifests and publishing; on the local side: everything), and Ray's overhead: wall and
CPU-seconds over the local side's.
Standalone: `python bench/ray_executor.py` (BENCH_RAY_ROWS, BENCH_REPEAT, BENCH_DATA).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.integration.test_run_observability import all_events  # noqa: E402
from tests.support.ray_cluster import RayCluster  # noqa: E402
from tests.support.server import SluiceServer  # noqa: E402

from bench.common import peak_rss_mib, timed_run  # noqa: E402
from bench.dataset import make_dataset  # noqa: E402
from bench.s3_to_s3 import create_yardstick_flow, start_server  # noqa: E402

ROWS = int(os.environ.get("BENCH_RAY_ROWS", "5000000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: set[int], sessions: set[int]) -> float:
    """User + system CPU of the processes `pids` and of every process in the `sessions` (a Ray
    node's processes), with their reaped children's."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited while we looked
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # fields[0] is the state (field 3); utime..cstime are fields 14-17, the session field 6.
        if int(entry.name) in pids or int(fields[3]) in sessions:
            total += sum(int(value) for value in fields[11:15])
    return total / TICKS


class Side:
    """One server (and its Ray cluster, if any) and its measured runs."""

    def __init__(self, name: str, tmp: Path, files: list[Path], nodes: int) -> None:
        self.name, self.cluster, self.runs = name, None, 0
        env: dict[str, str] = {}
        if nodes:
            cores = os.cpu_count() or 2
            self.cluster = RayCluster()
            self.cluster.start_head(num_cpus=cores if nodes == 1 else max(1, cores // nodes))
            for _ in range(nodes - 1):
                self.cluster.add_node(num_cpus=max(1, cores // nodes))
            env = {"SLUICE_EXECUTOR": "ray", "SLUICE_RAY_ADDRESS": self.cluster.address, **self.cluster.env()}
        self.server: SluiceServer = start_server(tmp / name.replace(" ", "-"), files, ROWS, env)
        self.client = self.server.client()
        self.seconds: list[float] = []
        self.cpu: list[float] = []
        self.server_cpu: list[float] = []

    def _cpu(self) -> tuple[float, float]:
        """(CPU-seconds of the server and its cluster, of the server alone) so far."""
        assert self.server.proc is not None
        sessions = {node.proc.pid for node in self.cluster.nodes} if self.cluster else set()
        return cpu_seconds({self.server.proc.pid}, sessions), cpu_seconds({self.server.proc.pid}, set())

    def run(self, measured: bool = True) -> None:
        self.runs += 1
        before = self._cpu()
        name = create_yardstick_flow(self.client, ROWS, f"-{self.runs}")
        seconds, record = timed_run(self.client, name)
        assert record["executionResult"]["recordsProcessed"] == ROWS, record
        after = self._cpu()
        if self.cluster is not None and not measured:  # the path measured is the workers' staging
            events = all_events(self.server, name, record["executionId"])
            assert any(e["message"].startswith("Ray workers staged") for e in events), events
        if measured:
            self.seconds.append(seconds)
            self.cpu.append(after[0] - before[0])
            self.server_cpu.append(after[1] - before[1])

    def result(self) -> dict[str, float]:
        assert self.server.proc is not None
        return {"seconds": statistics.median(self.seconds), "cpu": statistics.median(self.cpu),
                "server_cpu": statistics.median(self.server_cpu), "rss": peak_rss_mib(self.server.proc.pid)}

    def stop(self) -> None:
        self.server.stop()
        if self.cluster is not None:
            self.cluster.stop()


def main() -> str:
    """Run the sides; return the Markdown table."""
    cache = Path(os.environ.get("BENCH_DATA", ROOT / ".bench"))
    files = make_dataset(cache / "yardstick", ROWS)
    sides: list[Side] = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        try:
            for label, nodes in (("local", 0), ("ray x1", 1), ("ray x2", 2)):
                sides.append(Side(label, tmp, files, nodes))
            for side in sides[1:]:
                side.run(measured=False)  # connect to the cluster, start and warm its workers
            for _ in range(REPEAT):
                for side in sides:
                    side.run()
            results: dict[str, Any] = {side.name: side.result() for side in sides}
        finally:
            for side in sides:
                side.stop()
    local = results["local"]
    lines = [f"{ROWS:,} rows, median of {REPEAT}, {os.cpu_count()} cores",
             "",
             "| executor | wall s | rows/s | CPU-s (all processes) | of which the server | rows per CPU-s "
             "| wall vs local | CPU-s vs local | server peak RSS MiB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label, side in results.items():
        lines.append(f"| {label} | {side['seconds']:.1f} | {ROWS / side['seconds']:,.0f} | {side['cpu']:.1f} | "
                     f"{side['server_cpu']:.1f} | {ROWS / side['cpu']:,.0f} | "
                     f"{side['seconds'] / local['seconds']:.2f}x | {side['cpu'] / local['cpu']:.2f}x | "
                     f"{side['rss']:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
