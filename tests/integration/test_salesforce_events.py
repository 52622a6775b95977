"""An Event-triggered Salesforce -> S3 flow: Change Data Capture over CometD through the real
server, resuming after `kill -9` without missing or repeating an event, and unsubscribing on
StopFlow.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from tests.fakes.salesforce.server import FakeSalesforce
from tests.integration.builders import unique
from tests.support.flows import new_bucket, published_rows, wait_for, wait_until_idle
from tests.support.salesforce import account_event_flow, sluice_env, token_profile
from tests.support.server import SluiceServer


def test_event_flow_runs_on_changes_and_resumes_after_a_restart(tmp_path: Path) -> None:
    fake = FakeSalesforce(seed_counts={"Account": 50, "Contact": 0, "Opportunity": 0})
    fake.start()
    fake.org.cometd_timeout = 1.0  # Salesforce holds a connect 110 s; tests need quicker turns
    env = sluice_env(fake.url, SLUICE_S3_BACKEND="local")
    data_dir = tmp_path / "data"
    server = SluiceServer(data_dir=data_dir, workers=1, extra_env=env).start()
    try:
        client = server.client()
        profile, name, bucket = unique("sf"), unique("sf-events"), new_bucket(server)
        client.create_connector_profile(**token_profile(profile, fake))
        ids = [r[0] for r in fake.org.query("SELECT Id FROM Account ORDER BY Id LIMIT 6").rows]
        fake.org.write("Account", "update", [{"Id": ids[5], "Name": "before-activation"}])
        # Commits are stamped in whole seconds and an activation keeps its whole second: this
        # change is only "before" the activation when StartFlow comes in a later second.
        written = int(time.time())
        wait_for(lambda: int(time.time()) > written, 5)
        client.create_flow(**account_event_flow(name, profile, bucket))
        assert client.describe_flow(flowName=name)["flowStatus"] == "Draft"
        assert client.start_flow(flowName=name)["flowStatus"] == "Active"
        wait_for(lambda: _health(server)["events"]["ready"] == 1, 30)

        for index in range(2):
            fake.org.write("Account", "update", [{"Id": ids[index], "Name": f"live-{index}"}])
        wait_for(lambda: {"live-0", "live-1"} <= set(_names(data_dir, bucket)), 60)

        server.kill()  # kill -9: the subscription dies with the process
        for index in range(2, 4):
            fake.org.write("Account", "update", [{"Id": ids[index], "Name": f"downtime-{index}"}])
        server = SluiceServer(data_dir=data_dir, workers=1, extra_env=env).start()
        client = server.client()
        wait_for(lambda: {"downtime-2", "downtime-3"} <= set(_names(data_dir, bucket)), 60)
        fake.org.write("Account", "update", [{"Id": ids[4], "Name": "after-restart"}])
        wait_for(lambda: "after-restart" in _names(data_dir, bucket), 60)

        assert client.stop_flow(flowName=name)["flowStatus"] == "Suspended"
        wait_for(lambda: _health(server)["events"]["subscriptions"] == 0, 30)
        fake.org.write("Account", "update", [{"Id": ids[0], "Name": "while-stopped"}])
        stopped_change = int(time.time())  # an activation keeps its whole second: start in a later one
        wait_for(lambda: int(time.time()) > stopped_change, 5)
        # The positive signal that the change made while Suspended was passed over: activate the
        # flow again and make a later change; the stream is ordered, so once the later one has
        # arrived the earlier one would have too.
        assert client.start_flow(flowName=name)["flowStatus"] == "Active"
        fake.org.write("Account", "update", [{"Id": ids[1], "Name": "after-resume"}])
        wait_for(lambda: "after-resume" in _names(data_dir, bucket), 60)

        counts = Counter(_names(data_dir, bucket))
        assert counts == Counter({"live-0": 1, "live-1": 1, "downtime-2": 1, "downtime-3": 1,
                                  "after-restart": 1, "after-resume": 1}), counts

        records = wait_until_idle(client, name)
        assert {r["executionStatus"] for r in records} == {"Successful"}, records
        assert sum(r["executionResult"]["recordsProcessed"] for r in records) == 6
    finally:
        server.stop()
        fake.stop()


def _health(server: SluiceServer) -> dict[str, Any]:
    return httpx.get(f"{server.url}/health", timeout=5).json()


def _names(data_dir: Path, bucket: str) -> list[str]:
    return [r["Name"] for r in published_rows(data_dir, bucket, ["Name"])]

