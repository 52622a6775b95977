"""`sluice serve --processes 2`: each process gets the settings the command read, as arguments.

The data dir is given only on the command line (after the command), so a child that rebuilt its
settings from the environment would serve and write under ./.sluice instead.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.builders import s3_destination, s3_flow, s3_source, unique
from tests.support.server import SluiceServer, free_port


def test_every_process_serves_and_runs_with_the_command_line_data_dir(tmp_path: Path) -> None:
    server = SluiceServer(data_dir=tmp_path / "data", workers=1, port=free_port())
    env = server.env()
    env.pop("SLUICE_DATA_DIR")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    server.data_dir.mkdir()
    log = open(tmp_path / "server.log", "ab")  # noqa: SIM115 - closed after the process ends
    server.proc = subprocess.Popen(
        [sys.executable, "-m", "sluice.cli", "serve", "--data-dir", str(server.data_dir), "--port",
         str(server.port), "--processes", "2", "--workers", "1"],
        env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 120  # two children each import and open the store: slow on a loaded host
        while True:
            assert server.proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            try:
                if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline, "the server did not become healthy"
            time.sleep(0.2)
        source, destination, name = unique("src"), unique("dst"), unique("multi")
        (server.data_dir / "s3" / source / "in").mkdir(parents=True)
        (server.data_dir / "s3" / source / "in" / "a.csv").write_text("id\n1\n2\n")
        (server.data_dir / "s3" / destination).mkdir(parents=True)
        client = server.client()
        client.create_flow(**s3_flow(name, sourceFlowConfig=s3_source(source),
                                     destinationFlowConfigList=[s3_destination(destination)]))
        # Several runs, so that requests (and runs) land on both processes.
        executions = {client.start_flow(flowName=name)["executionId"] for _ in range(4)}
        deadline = time.time() + 120
        while True:
            records = client.describe_flow_execution_records(flowName=name)["flowExecutions"]
            done = {r["executionId"]: r["executionStatus"] for r in records if r["executionStatus"] != "InProgress"}
            if executions <= done.keys():
                break
            assert time.time() < deadline, records
            time.sleep(0.2)
        assert {done[e] for e in executions} == {"Successful"}, records
        assert len(list((server.data_dir / "s3" / destination).rglob("*.*"))) >= len(executions)
        assert not (cwd / ".sluice").exists()
        # /metrics aggregates every process's counts (prometheus_client's multiprocess mode):
        # whichever process answers a scrape, it counts all four runs.
        for _ in range(4):
            text = httpx.get(f"{server.url}/metrics").text
            runs = [s.value for f in text_string_to_metric_families(text) for s in f.samples
                    if s.name == "sluice_runs_total" and s.labels == {"status": "Successful", "connector_type": "S3"}]
            assert runs == [4], text
    finally:
        server.stop()
        log.close()
