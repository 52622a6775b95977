"""A Scheduled, incremental Salesforce -> S3 flow with edits between its runs: every change lands
exactly once (nothing missed, nothing twice).

The server's scheduler runs 60x faster than real time from a shared epoch
(SLUICE_SCHEDULER_SPEEDUP/EPOCH), so `rate(1minutes)` fires about once a real second. The fake org
stamps `LastModifiedDate` on the same accelerated clock, as a real org's clock and AppFlow's
schedule share real time.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from tests.fakes.salesforce.schema import fmt_ms
from tests.fakes.salesforce.server import FakeSalesforce
from tests.integration.builders import unique
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
    env = sluice_env(fake.url, **scheduler_env(SPEEDUP, epoch))
    try:
        with saas_server(tmp_path / "data", **env) as server:
            client = server.client()
            profile, name, bucket = unique("sf"), unique("sf-inc"), new_bucket(server)
            client.create_connector_profile(**token_profile(profile, fake))
            ids = [r[0] for r in fake.org.query("SELECT Id FROM Account ORDER BY Id LIMIT 4").rows]

            def edit(record_id: str, label: str) -> None:
                assert fake.org.write("Account", "update", [{"Id": record_id, "Name": label}])[0]["success"]

            for index, record_id in enumerate(ids[:3]):
                edit(record_id, f"first-{index}")
            client.create_flow(
                flowName=name, triggerConfig=incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600),
                sourceFlowConfig={
                    "connectorType": "Salesforce", "connectorProfileName": profile,
                    "sourceConnectorProperties": {"Salesforce": {"object": "Account"}},
                    "incrementalPullConfig": {"datetimeTypeFieldName": "LastModifiedDate"}},
                destinationFlowConfigList=s3_parquet_destination(bucket),
                tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Salesforce": "NO_OP"},
                        "taskProperties": {}}],
            )
            client.start_flow(flowName=name)
            wait_for(lambda: _names(server, bucket) >= {"first-0", "first-1", "first-2"}, 60)
            edit(ids[0], "second-0")  # an edit of a record already moved, and of one never moved
            edit(ids[3], "second-3")
            wait_for(lambda: _names(server, bucket) >= {"second-0", "second-3"}, 60)
            time.sleep(2)  # a few more (empty) windows
            client.stop_flow(flowName=name)
            records = wait_until_idle(client, name)
            counts = Counter(_all_names(server, bucket))
            assert counts == Counter({"first-0": 1, "first-1": 1, "first-2": 1, "second-0": 1, "second-3": 1}), counts
            statuses = {r["executionStatus"] for r in records}
            assert statuses == {"Successful"}, statuses
    finally:
        fake.stop()


def _all_names(server: SluiceServer, bucket: str) -> list[str]:
    return [r["Name"] for r in published_rows(server, bucket, ["Name"])]


def _names(server: SluiceServer, bucket: str) -> set[str]:
    return set(_all_names(server, bucket))

