"""A Scheduled, incremental Zendesk tickets -> S3 flow with edits between runs: each change lands once.

The scheduler runs 60x faster than real time from a shared epoch (SLUICE_SCHEDULER_SPEEDUP/EPOCH),
so `rate(1minutes)` fires about once a real second; the fake account's clock runs on the same
accelerated time, so its one-minute export exclusion and the connector's wait for it agree.
"""

from __future__ import annotations

import ssl
import time
from collections import Counter
from typing import Any

import httpx

from tests.fakes.zendesk.server import FakeZendesk
from tests.integration.builders import unique
from tests.integration.test_zendesk_connector import profile_request, zendesk_env
from tests.support.flows import (
    incremental_schedule,
    new_bucket,
    published_rows,
    s3_parquet_destination,
    saas_server,
    scheduler_env,
    wait_for,
    wait_until_idle,
)
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

    env = {**zendesk_env(fake.url), **scheduler_env(SPEEDUP, epoch)}
    try:
        with saas_server(tmp_path / "data", **env) as server:
            client = server.client()
            profile, name, bucket = unique("zd"), unique("zd-inc"), new_bucket(server)
            client.create_connector_profile(**profile_request(profile, fake.url, fake.token()))
            for index, ticket_id in enumerate(editable[:3]):
                edit(ticket_id, f"first-{index}")
            client.create_flow(
                flowName=name, triggerConfig=incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600),
                sourceFlowConfig={
                    "connectorType": "Zendesk", "connectorProfileName": profile,
                    "sourceConnectorProperties": {"Zendesk": {"object": "tickets"}},
                    "incrementalPullConfig": {"datetimeTypeFieldName": "updated_at"}},
                destinationFlowConfigList=s3_parquet_destination(bucket),
                tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Zendesk": "NO_OP"},
                        "taskProperties": {}}],
            )
            client.start_flow(flowName=name)
            wait_for(lambda: _subjects(server, bucket) >= {"first-0", "first-1", "first-2"}, 60)
            edit(editable[0], "second-0")  # a ticket already moved, and one never moved
            edit(editable[3], "second-3")
            wait_for(lambda: _subjects(server, bucket) >= {"second-0", "second-3"}, 60)
            time.sleep(2)  # a few more (empty) windows
            client.stop_flow(flowName=name)
            records = wait_until_idle(client, name)
            counts = Counter(_all_subjects(server, bucket))
            assert counts == Counter({"first-0": 1, "first-1": 1, "first-2": 1, "second-0": 1, "second-3": 1}), counts
            assert {r["executionStatus"] for r in records} == {"Successful"}
            # Each run asked Zendesk only for changes since its window's start, never the whole account.
            starts = [int(e["query"]["start_time"][0]) for e in fake.state.log.matching("/incremental/tickets/cursor")
                      if "start_time" in e["query"]]
            assert starts and min(starts) >= int(epoch) - 3600
    finally:
        http.close()
        fake.stop()


def _all_subjects(server: SluiceServer, bucket: str) -> list[str]:
    return [r["subject"] for r in published_rows(server, bucket, ["subject"])]


def _subjects(server: SluiceServer, bucket: str) -> set[str]:
    return set(_all_subjects(server, bucket))
