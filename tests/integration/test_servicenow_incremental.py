"""A Scheduled, incremental ServiceNow -> S3 flow (OAuth profile) with edits between its runs: every
change lands exactly once, and an access token that expires mid-schedule is refreshed and re-sealed.

The server's scheduler runs 60x faster than real time from a shared epoch
(SLUICE_SCHEDULER_SPEEDUP/EPOCH), so `rate(1minutes)` fires about once a real second; the fake
instance stamps `sys_updated_on` on the same accelerated clock.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import requests

from tests.fakes.servicenow.server import FakeServiceNow
from tests.integration.builders import unique
from tests.support import flows
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
    env = {"SLUICE_SERVICENOW_PAGE_SIZE": "40", **flows.scheduler_env(SPEEDUP, epoch)}
    try:
        with flows.saas_server(tmp_path / "data", **env) as server:
            client = server.client()
            profile, name, bucket = unique("sn"), unique("sn-inc"), flows.new_bucket(server)
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

            def edit(index: int, label: str) -> None:
                fake.state.touch("incident", ids=[ids[index]], changes={"short_description": label})

            for index in range(3):
                edit(index, f"first-{index}")
            client.create_flow(
                flowName=name, triggerConfig=flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now() - 3600),
                sourceFlowConfig={
                    "connectorType": "Servicenow", "connectorProfileName": profile,
                    "sourceConnectorProperties": {"ServiceNow": {"object": "incident"}},
                    "incrementalPullConfig": {"datetimeTypeFieldName": "sys_updated_on"}},
                destinationFlowConfigList=flows.s3_parquet_destination(bucket),
                tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"ServiceNow": "NO_OP"},
                        "taskProperties": {}}],
            )
            # Between the rounds the stored access token stops working: the run must refresh it.
            flows.edits_land_once(client, server, name, bucket, "short_description", edit,
                                  before_second=fake.state.auth.expire_tokens)
            # Every read asked only for the window's changes (sys_updated_on bounds in sysparm_query).
            reads = fake.state.log.matching("/api/now/table/incident")
            assert reads and all("sys_updated_on>=" in e["query"]["sysparm_query"][0] for e in reads)
            refreshes = [e for e in fake.state.log.entries if e["path"] == "/oauth_token.do"]
            assert len(refreshes) == 2  # the test's own password grant, then one refresh_token grant
    finally:
        fake.stop()

