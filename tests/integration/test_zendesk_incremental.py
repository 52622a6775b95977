"""A Scheduled, incremental Zendesk tickets -> S3 flow with edits between runs: each change lands once.

The scheduler runs 60x faster than real time from a shared epoch (SLUICE_SCHEDULER_SPEEDUP/EPOCH),
so `rate(1minutes)` fires about once a real second; the fake account's clock runs on the same
accelerated time, so its one-minute export exclusion and the connector's wait for it agree.
"""

from __future__ import annotations

import io
import ssl
import time
from collections import Counter
from typing import Any

import httpx
import pyarrow.parquet as pq

from tests.fakes.zendesk.server import FakeZendesk
from tests.integration.builders import unique
from tests.integration.test_zendesk_connector import profile_request, zendesk_env
from tests.support.server import SluiceServer
from tests.support.tls import certificates

SPEEDUP = 60.0


def test_incremental_runs_pick_up_each_edit_exactly_once(tmp_path: Any) -> None:
    epoch = time.time()

    def virtual_now() -> float:
        return epoch + (time.time() - epoch) * SPEEDUP

    fake = FakeZendesk(tickets=400).start()
    fake.state.now = virtual_now  # type: ignore[method-assign]
    http = httpx.Client(base_url=fake.url, verify=ssl.create_default_context(cafile=certificates().ca_file),
                        headers={"Authorization": f"Bearer {fake.token()}"})
    tickets = fake.state.collections["tickets"]
    editable = [i for i in range(1, 60) if tickets.get(i, "")["status"] != "closed"][:4]

    def edit(ticket_id: int, subject: str) -> None:
        job = http.put("/api/v2/tickets/update_many.json",
                       json={"tickets": [{"id": ticket_id, "subject": subject}]}).json()["job_status"]
        while job["status"] != "completed":
            job = http.get(f"/api/v2/job_statuses/{job['id']}.json").json()["job_status"]
        assert job["results"][0]["success"], job

    env = zendesk_env(fake.url, SLUICE_S3_BACKEND="local", SLUICE_SCHEDULER_SPEEDUP=str(SPEEDUP),
                      SLUICE_SCHEDULER_EPOCH=repr(epoch))
    server = SluiceServer(data_dir=tmp_path / "data", workers=1, extra_env=env).start()
    try:
        client = server.client()
        profile, name, bucket = unique("zd"), unique("zd-inc"), unique("b")
        (server.data_dir / "s3" / bucket).mkdir(parents=True)
        client.create_connector_profile(**profile_request(profile, fake.url, fake.token()))
        for index, ticket_id in enumerate(editable[:3]):
            edit(ticket_id, f"first-{index}")
        client.create_flow(
            flowName=name,
            triggerConfig={"triggerType": "Scheduled", "triggerProperties": {"Scheduled": {
                "scheduleExpression": "rate(1minutes)", "dataPullMode": "Incremental",
                "scheduleStartTime": virtual_now() + SPEEDUP, "firstExecutionFrom": virtual_now() - 3600}}},
            sourceFlowConfig={
                "connectorType": "Zendesk", "connectorProfileName": profile,
                "sourceConnectorProperties": {"Zendesk": {"object": "tickets"}},
                "incrementalPullConfig": {"datetimeTypeFieldName": "updated_at"}},
            destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
                "bucketName": bucket, "bucketPrefix": "out", "s3OutputFormatConfig": {"fileType": "PARQUET"}}}}],
            tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Zendesk": "NO_OP"},
                    "taskProperties": {}}],
        )
        client.start_flow(flowName=name)
        _wait_for(lambda: _subjects(server, bucket) >= {"first-0", "first-1", "first-2"}, 60)
        edit(editable[0], "second-0")  # a ticket already moved, and one never moved
        edit(editable[3], "second-3")
        _wait_for(lambda: _subjects(server, bucket) >= {"second-0", "second-3"}, 60)
        time.sleep(2)  # a few more (empty) windows
        client.stop_flow(flowName=name)
        _wait_for(lambda: all(r["executionStatus"] != "InProgress" for r in _records(client, name)), 60)
        counts = Counter(_all_subjects(server, bucket))
        assert counts == Counter({"first-0": 1, "first-1": 1, "first-2": 1, "second-0": 1, "second-3": 1}), counts
        assert {r["executionStatus"] for r in _records(client, name)} == {"Successful"}
        # Each run asked Zendesk only for changes since its window's start, never the whole account.
        starts = [int(e["query"]["start_time"][0]) for e in fake.state.log.matching("/incremental/tickets/cursor")
                  if "start_time" in e["query"]]
        assert starts and min(starts) >= int(epoch) - 3600
    finally:
        server.stop()
        http.close()
        fake.stop()


def _records(client: Any, name: str) -> list[dict[str, Any]]:
    return client.describe_flow_execution_records(flowName=name, maxResults=100)["flowExecutions"]


def _all_subjects(server: SluiceServer, bucket: str) -> list[str]:
    root = server.data_dir / "s3" / bucket
    # Published objects only: a run still writing has its files under .sluice-staging/.
    return [r["subject"] for f in sorted(root.rglob("*.parquet")) if ".sluice-staging" not in f.parts
            for r in pq.read_table(io.BytesIO(f.read_bytes()), columns=["subject"]).to_pylist()]


def _subjects(server: SluiceServer, bucket: str) -> set[str]:
    return set(_all_subjects(server, bucket))


def _wait_for(check: Any, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")
