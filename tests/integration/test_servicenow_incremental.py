"""A Scheduled, incremental ServiceNow -> S3 flow (OAuth profile) with edits between its runs: every
change lands exactly once, and an access token that expires mid-schedule is refreshed and re-sealed.

The server's scheduler runs 60x faster than real time from a shared epoch
(SLUICE_SCHEDULER_SPEEDUP/EPOCH), so `rate(1minutes)` fires about once a real second; the fake
instance stamps `sys_updated_on` on the same accelerated clock.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from typing import Any

import requests

from tests.fakes.servicenow.server import FakeServiceNow
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
from tests.support.server import SluiceServer
from tests.support.tls import certificates

SPEEDUP = 60.0
COUNTS = {"sys_user": 20, "sys_user_group": 4, "cmdb_ci": 0, "cmdb_ci_server": 0, "problem": 0, "incident": 150,
          "change_request": 0}


def test_incremental_runs_pick_up_each_edit_exactly_once(tmp_path: Any) -> None:
    epoch = time.time()

    def virtual_now() -> float:
        return epoch + (time.time() - epoch) * SPEEDUP

    fake = FakeServiceNow(COUNTS).start()
    # The instance's clock runs on the scheduler's accelerated time.
    fake.state.stamp = lambda: dt.datetime.fromtimestamp(virtual_now(), dt.UTC).strftime(  # type: ignore[method-assign]
        "%Y-%m-%d %H:%M:%S")
    env = {"SLUICE_SERVICENOW_PAGE_SIZE": "40", **scheduler_env(SPEEDUP, epoch)}
    try:
        with saas_server(tmp_path / "data", **env) as server:
            client = server.client()
            profile, name, bucket = unique("sn"), unique("sn-inc"), new_bucket(server)
            token = requests.post(f"{fake.url}/oauth_token.do", verify=certificates().ca_file, data={
                "grant_type": "password", "client_id": fake.CLIENT_ID, "client_secret": fake.CLIENT_SECRET,
                "username": fake.USER, "password": fake.PASSWORD}).json()
            client.create_connector_profile(
                connectorProfileName=profile, connectorType="Servicenow", connectionMode="Public",
                connectorProfileConfig={
                    "connectorProfileProperties": {"ServiceNow": {"instanceUrl": fake.url}},
                    "connectorProfileCredentials": {"ServiceNow": {"oAuth2Credentials": {
                        "clientId": fake.CLIENT_ID, "clientSecret": fake.CLIENT_SECRET,
                        "accessToken": token["access_token"], "refreshToken": token["refresh_token"]}}}})
            ids = [str(r["sys_id"]) for r in fake.state.query("incident", "ORDERBYnumber", 4, 0)[1]]

            def edit(record_id: str, label: str) -> None:
                fake.state.touch("incident", ids=[record_id], changes={"short_description": label})

            for index, record_id in enumerate(ids[:3]):
                edit(record_id, f"first-{index}")
            client.create_flow(
                flowName=name, triggerConfig=incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600),
                sourceFlowConfig={
                    "connectorType": "Servicenow", "connectorProfileName": profile,
                    "sourceConnectorProperties": {"ServiceNow": {"object": "incident"}},
                    "incrementalPullConfig": {"datetimeTypeFieldName": "sys_updated_on"}},
                destinationFlowConfigList=s3_parquet_destination(bucket),
                tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"ServiceNow": "NO_OP"},
                        "taskProperties": {}}],
            )
            client.start_flow(flowName=name)
            wait_for(lambda: _labels(server, bucket) >= {"first-0", "first-1", "first-2"}, 60)
            fake.state.auth.expire_tokens()  # the stored access token no longer works
            edit(ids[0], "second-0")  # an edit of a record already moved, and of one never moved
            edit(ids[3], "second-3")
            wait_for(lambda: _labels(server, bucket) >= {"second-0", "second-3"}, 60)
            time.sleep(2)  # a few more (empty) windows
            client.stop_flow(flowName=name)
            records = wait_until_idle(client, name)
            counts = Counter(_all_labels(server, bucket))
            assert counts == Counter({"first-0": 1, "first-1": 1, "first-2": 1, "second-0": 1, "second-3": 1}), counts
            statuses = {r["executionStatus"] for r in records}
            assert statuses == {"Successful"}, statuses
            # Every read asked only for the window's changes (sys_updated_on bounds in sysparm_query).
            reads = fake.state.log.matching("/api/now/table/incident")
            assert reads and all("sys_updated_on>=" in e["query"]["sysparm_query"][0] for e in reads)
            refreshes = [e for e in fake.state.log.entries if e["path"] == "/oauth_token.do"]
            assert len(refreshes) == 2  # the test's own password grant, then one refresh_token grant
    finally:
        fake.stop()


def _all_labels(server: SluiceServer, bucket: str) -> list[str]:
    return [r["short_description"] for r in published_rows(server, bucket, ["short_description"])]


def _labels(server: SluiceServer, bucket: str) -> set[str]:
    return set(_all_labels(server, bucket))

