"""ServiceNow incidents -> S3 Parquet, one stream against offset-range splits (issue 17's vendor splits).

The fake instance (tests/fakes/servicenow) serves N incidents in this process, each Table API answer
delayed by `BENCH_SN_LATENCY` seconds (a remote instance's time per call; default 0.1); pages of
`BENCH_SN_PAGE` records (default 1000). Two Sluice servers run side by side, one with
SLUICE_PARALLELISM=1 (Link-header pages, one call in flight) and one with SLUICE_PARALLELISM=4
(X-Total-Count probe, page-aligned offset ranges); they take turns, `BENCH_SN_REPEATS` times each, each
an OnDemand Map_all flow timed from StartFlow until Successful. Prints records/s (median) per side, and
the CPU the fake itself used during each run (it answers from one event loop in this process, so its
rendering of the pages is serial whatever Sluice does: on 2 cores it bounds the split side).

Run: `python bench/vendor_splits.py` (size from `BENCH_SN_RECORDS`, default 50000).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.servicenow.server import FakeServiceNow  # noqa: E402
from tests.support.server import SluiceServer  # noqa: E402
from tests.support.tls import tls_env  # noqa: E402

from bench import common  # noqa: E402

RECORDS = int(os.environ.get("BENCH_SN_RECORDS", "50000"))
LATENCY = float(os.environ.get("BENCH_SN_LATENCY", "0.1"))
PAGE = int(os.environ.get("BENCH_SN_PAGE", "1000"))
REPEATS = int(os.environ.get("BENCH_SN_REPEATS", "3"))
THREADS = (1, 4)


def flow(client: object, fake: FakeServiceNow, name: str, bucket: str) -> None:
    """A profile and an OnDemand incident -> S3 flow called `name`."""
    client.create_connector_profile(  # type: ignore[attr-defined]
        connectorProfileName=name, connectorType="Servicenow", connectionMode="Public",
        connectorProfileConfig={"connectorProfileProperties": {"ServiceNow": {"instanceUrl": fake.url}},
                                "connectorProfileCredentials": {"ServiceNow": {"username": fake.USER,
                                                                               "password": fake.PASSWORD}}})
    client.create_flow(  # type: ignore[attr-defined]
        flowName=name, triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "Servicenow", "connectorProfileName": name,
                          "sourceConnectorProperties": {"ServiceNow": {"object": "incident"}}},
        destinationFlowConfigList=common.parquet_destination(bucket, name),
        tasks=common.map_all("ServiceNow"))


def main() -> str:
    """Run both sides in turns; return the Markdown table."""
    counts = {"sys_user": 200, "sys_user_group": 12, "cmdb_ci": 20, "cmdb_ci_server": 20, "problem": 10,
              "incident": RECORDS, "change_request": 10}
    with FakeServiceNow(counts) as fake, tempfile.TemporaryDirectory() as tmp:
        fake.state.latency = LATENCY
        servers = {}
        for threads in THREADS:
            env = {**tls_env(), "SLUICE_PARALLELISM": str(threads), "SLUICE_SERVICENOW_PAGE_SIZE": str(PAGE)}
            servers[threads] = SluiceServer(data_dir=Path(tmp) / f"t{threads}", extra_env=env).start()
        try:
            walls: dict[int, list[float]] = {t: [] for t in THREADS}
            for repeat in range(REPEATS):
                for threads, server in servers.items():
                    (server.data_dir / "s3" / "bench").mkdir(parents=True, exist_ok=True)
                    client = server.client()
                    name = f"sn-{threads}-{repeat}"
                    flow(client, fake, name, "bench")
                    fake.state.most_in_flight = 0
                    fake_cpu = time.process_time()  # the fake runs in this process: its CPU bounds a run too
                    seconds, record = common.timed_run(client, name)
                    fake_cpu = time.process_time() - fake_cpu
                    assert record["executionResult"]["recordsProcessed"] == RECORDS, record
                    walls[threads].append(seconds)
                    print(f"  threads={threads} run {repeat + 1}: {seconds:.2f} s, "
                          f"{RECORDS / seconds:,.0f} records/s, most calls in flight {fake.state.most_in_flight}, "
                          f"fake CPU {fake_cpu:.1f} s",
                          flush=True)
            lines = [f"{RECORDS:,} incidents, pages of {PAGE}, {LATENCY * 1000:.0f} ms per call, "
                     f"median of {REPEATS}, {os.cpu_count()} cores", "",
                     "| SLUICE_PARALLELISM | seconds | records/s | vs one stream |", "|---:|---:|---:|---:|"]
            serial = statistics.median(walls[THREADS[0]])
            for threads in THREADS:
                wall = statistics.median(walls[threads])
                lines.append(f"| {threads} | {wall:.2f} | {RECORDS / wall:,.0f} | {serial / wall:.2f}x |")
            return "\n".join(lines)
        finally:
            for server in servers.values():
                server.stop()


if __name__ == "__main__":
    print(main())
