"""A Scheduled, incremental Salesforce -> S3 flow with edits between its runs: every change lands
exactly once (nothing missed, nothing twice).

The server's scheduler runs 60x faster than real time from a shared epoch
(SLUICE_SCHEDULER_SPEEDUP/EPOCH), so `rate(1minutes)` fires about once a real second. The fake org
stamps `LastModifiedDate` on the same accelerated clock, as a real org's clock and AppFlow's
schedule share real time.
"""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.salesforce.schema import fmt_ms
from tests.fakes.salesforce.server import FakeSalesforce
from tests.integration.builders import unique
from tests.support import flows
from tests.support.salesforce import sluice_env, token_profile

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
    env = sluice_env(fake.url, **flows.scheduler_env(SPEEDUP, epoch))
    try:
        with flows.saas_server(tmp_path / "data", **env) as server:
            client = server.client()
            profile, name, bucket = unique("sf"), unique("sf-inc"), flows.new_bucket(server)
            client.create_connector_profile(**token_profile(profile, fake))
            ids = [r[0] for r in fake.org.query("SELECT Id FROM Account ORDER BY Id LIMIT 4").rows]

            def edit(index: int, label: str) -> None:
                assert fake.org.write("Account", "update", [{"Id": ids[index], "Name": label}])[0]["success"]

            for index in range(3):
                edit(index, f"first-{index}")
            client.create_flow(
                flowName=name, triggerConfig=flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600),
                sourceFlowConfig={
                    "connectorType": "Salesforce", "connectorProfileName": profile,
                    "sourceConnectorProperties": {"Salesforce": {"object": "Account"}},
                    "incrementalPullConfig": {"datetimeTypeFieldName": "LastModifiedDate"}},
                destinationFlowConfigList=flows.s3_parquet_destination(bucket),
                tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Salesforce": "NO_OP"},
                        "taskProperties": {}}],
            )
            flows.edits_land_once(client, server, name, bucket, "Name", edit)
    finally:
        fake.stop()

