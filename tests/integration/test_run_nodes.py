"""A node with `--workers 0` only accepts runs; a worker node sharing its database runs them."""

from __future__ import annotations

import time
from pathlib import Path

from tests.integration.builders import unique
from tests.integration.test_runs_s3 import MAP_ALL, s3_flow, wait
from tests.support.server import SluiceServer


def test_runs_accepted_by_an_api_only_node_are_run_by_a_worker_node(tmp_path: Path) -> None:
    data_dir = tmp_path / "shared"  # one SQLite database and one embedded S3 store for both nodes
    api_only = SluiceServer(data_dir=data_dir, workers=0).start()
    worker = SluiceServer(data_dir=data_dir, workers=1).start()
    try:
        root = data_dir / "s3"
        source, destination, name = unique("src"), unique("dst"), unique("handoff")
        (root / source / "in").mkdir(parents=True)
        (root / destination).mkdir(parents=True)
        (root / source / "in" / "rows.csv").write_text("id\n1\n2\n")
        client = api_only.client()
        client.create_flow(**s3_flow(name, source, destination, MAP_ALL))
        started = time.time()
        record = wait(client, name, client.start_flow(flowName=name)["executionId"], timeout=30)
        assert record["executionStatus"] == "Successful", record
        assert record["executionResult"]["recordsProcessed"] == 2
        assert time.time() - started < 15
    finally:
        worker.stop()
        api_only.stop()
