"""A Scheduled, incremental Zendesk tickets -> S3 flow with edits between runs: each change lands once.

The scheduler runs 60x faster than real time from a shared epoch (SLUICE_SCHEDULER_SPEEDUP/EPOCH),
so `rate(1minutes)` fires about once a real second; the fake account's clock runs on the same
accelerated time, so its one-minute export exclusion and the connector's wait for it agree.
"""

from __future__ import annotations

import ssl
import time
from typing import Any

import httpx

from tests.fakes.zendesk.server import FakeZendesk
from tests.integration.builders import unique
from tests.integration.test_zendesk_connector import profile_request, zendesk_env
from tests.support import flows
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

    def edit(index: int, subject: str) -> None:
        job = http.put("/api/v2/tickets/update_many.json",
                       json={"tickets": [{"id": editable[index], "subject": subject}]}).json()["job_status"]
        while job["status"] != "completed":
            job = http.get(f"/api/v2/job_statuses/{job['id']}.json").json()["job_status"]
        assert job["results"][0]["success"], job

    env = {**zendesk_env(fake.url), **flows.scheduler_env(SPEEDUP, epoch)}
    try:
        with flows.saas_server(tmp_path / "data", **env) as server:
            client = server.client()
            profile, name, bucket = unique("zd"), unique("zd-inc"), flows.new_bucket(server)
            client.create_connector_profile(**profile_request(profile, fake.url, fake.token()))
            for index in range(3):
                edit(index, f"first-{index}")
            client.create_flow(
                flowName=name, triggerConfig=flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600),
                sourceFlowConfig={
                    "connectorType": "Zendesk", "connectorProfileName": profile,
                    "sourceConnectorProperties": {"Zendesk": {"object": "tickets"}},
                    "incrementalPullConfig": {"datetimeTypeFieldName": "updated_at"}},
                destinationFlowConfigList=flows.s3_parquet_destination(bucket),
                tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Zendesk": "NO_OP"},
                        "taskProperties": {}}],
            )
            flows.edits_land_once(client, server, name, bucket, "subject", edit)
            # Each run asked Zendesk only for changes since its window's start, never the whole account.
            starts = [int(e["query"]["start_time"][0]) for e in fake.state.log.matching("/incremental/tickets/cursor")
                      if "start_time" in e["query"]]
            assert starts and min(starts) >= int(epoch) - 3600
    finally:
        http.close()
        fake.stop()

