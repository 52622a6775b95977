"""A Scheduled, incremental Salesforce -> S3 flow with edits between its runs: every change lands
exactly once (nothing missed, nothing twice).

The server's scheduler runs 60x faster than real time from a shared epoch
(SLUICE_SCHEDULER_SPEEDUP/EPOCH), so `rate(1minutes)` fires about once a real second. The fake org
stamps `LastModifiedDate` on the same accelerated clock, as a real org's clock and AppFlow's
schedule share real time.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from typing import Any

import pyarrow.parquet as pq

from tests.fakes.salesforce.schema import fmt_ms
from tests.fakes.salesforce.server import FakeSalesforce
from tests.integration.builders import unique
from tests.support.salesforce import sluice_env, token_profile
from tests.support.server import SluiceServer

SPEEDUP = 60.0


def test_incremental_runs_pick_up_each_edit_exactly_once(tmp_path: Any) -> None:
    epoch = time.time()

    def virtual_now() -> float:
        return epoch + (time.time() - epoch) * SPEEDUP

    fake = FakeSalesforce(seed_counts={"Account": 200, "Contact": 0, "Opportunity": 0})
    fake.start()
    last = {"ms": 0}

    def stamp() -> str:  # the org's clock runs on the scheduler's accelerated time
        with fake.org.lock:
            last["ms"] = max(int(virtual_now() * 1000), last["ms"] + 1)
            return fmt_ms(last["ms"])

    fake.org.stamp = stamp  # type: ignore[method-assign]
    env = sluice_env(fake.url, SLUICE_S3_BACKEND="local", SLUICE_SCHEDULER_SPEEDUP=str(SPEEDUP),
                     SLUICE_SCHEDULER_EPOCH=repr(epoch))
    server = SluiceServer(data_dir=tmp_path / "data", workers=1, extra_env=env).start()
    try:
        client = server.client()
        profile, name, bucket = unique("sf"), unique("sf-inc"), unique("b")
        (server.data_dir / "s3" / bucket).mkdir(parents=True)
        client.create_connector_profile(**token_profile(profile, fake))
        ids = [r[0] for r in fake.org.query("SELECT Id FROM Account ORDER BY Id LIMIT 4").rows]

        def edit(record_id: str, label: str) -> None:
            assert fake.org.write("Account", "update", [{"Id": record_id, "Name": label}])[0]["success"]

        for index, record_id in enumerate(ids[:3]):
            edit(record_id, f"first-{index}")
        client.create_flow(
            flowName=name,
            triggerConfig={"triggerType": "Scheduled", "triggerProperties": {"Scheduled": {
                "scheduleExpression": "rate(1minutes)", "dataPullMode": "Incremental",
                "scheduleStartTime": virtual_now() + SPEEDUP, "firstExecutionFrom": virtual_now() - 3600}}},
            sourceFlowConfig={
                "connectorType": "Salesforce", "connectorProfileName": profile,
                "sourceConnectorProperties": {"Salesforce": {"object": "Account"}},
                "incrementalPullConfig": {"datetimeTypeFieldName": "LastModifiedDate"}},
            destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
                "bucketName": bucket, "bucketPrefix": "out", "s3OutputFormatConfig": {"fileType": "PARQUET"}}}}],
            tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Salesforce": "NO_OP"},
                    "taskProperties": {}}],
        )
        client.start_flow(flowName=name)
        _wait_for(lambda: _names(server, bucket) >= {"first-0", "first-1", "first-2"}, 60)
        edit(ids[0], "second-0")  # an edit of a record already moved, and of one never moved
        edit(ids[3], "second-3")
        _wait_for(lambda: _names(server, bucket) >= {"second-0", "second-3"}, 60)
        time.sleep(2)  # a few more (empty) windows
        client.stop_flow(flowName=name)
        _wait_for(lambda: all(r["executionStatus"] != "InProgress" for r in _records(client, name)), 60)
        counts = Counter(_all_names(server, bucket))
        assert counts == Counter({"first-0": 1, "first-1": 1, "first-2": 1, "second-0": 1, "second-3": 1}), counts
        statuses = {r["executionStatus"] for r in _records(client, name)}
        assert statuses == {"Successful"}, statuses
    finally:
        server.stop()
        fake.stop()


def _records(client: Any, name: str) -> list[dict[str, Any]]:
    return client.describe_flow_execution_records(flowName=name, maxResults=100)["flowExecutions"]


def _all_names(server: SluiceServer, bucket: str) -> list[str]:
    root = server.data_dir / "s3" / bucket
    # Published objects only: a run still writing has its files under .sluice-staging/.
    return [r["Name"] for f in sorted(root.rglob("*.parquet")) if ".sluice-staging" not in f.parts
            for r in pq.read_table(io.BytesIO(f.read_bytes()), columns=["Name"]).to_pylist()]


def _names(server: SluiceServer, bucket: str) -> set[str]:
    return set(_all_names(server, bucket))


def _wait_for(check: Any, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")
