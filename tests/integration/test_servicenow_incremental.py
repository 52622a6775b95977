"""A Scheduled, incremental ServiceNow -> S3 flow (OAuth profile) with edits between its runs: every
change lands exactly once, and an access token that expires mid-schedule is refreshed and re-sealed.

The server's scheduler runs 60x faster than real time from a shared epoch
(SLUICE_SCHEDULER_SPEEDUP/EPOCH), so `rate(1minutes)` fires about once a real second; the fake
instance stamps `sys_updated_on` on the same accelerated clock.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections import Counter
from typing import Any

import pyarrow.parquet as pq
import requests

from tests.fakes.servicenow.server import FakeServiceNow
from tests.integration.builders import unique
from tests.support.server import SluiceServer
from tests.support.tls import certificates, tls_env

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
    env = {**tls_env(), "SLUICE_S3_BACKEND": "local", "SLUICE_SERVICENOW_PAGE_SIZE": "40",
           "SLUICE_SCHEDULER_SPEEDUP": str(SPEEDUP), "SLUICE_SCHEDULER_EPOCH": repr(epoch)}
    server = SluiceServer(data_dir=tmp_path / "data", workers=1, extra_env=env).start()
    try:
        client = server.client()
        profile, name, bucket = unique("sn"), unique("sn-inc"), unique("b")
        (server.data_dir / "s3" / bucket).mkdir(parents=True)
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
            flowName=name,
            triggerConfig={"triggerType": "Scheduled", "triggerProperties": {"Scheduled": {
                "scheduleExpression": "rate(1minutes)", "dataPullMode": "Incremental",
                "scheduleStartTime": virtual_now() + SPEEDUP, "firstExecutionFrom": virtual_now() - 3600}}},
            sourceFlowConfig={
                "connectorType": "Servicenow", "connectorProfileName": profile,
                "sourceConnectorProperties": {"ServiceNow": {"object": "incident"}},
                "incrementalPullConfig": {"datetimeTypeFieldName": "sys_updated_on"}},
            destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
                "bucketName": bucket, "bucketPrefix": "out", "s3OutputFormatConfig": {"fileType": "PARQUET"}}}}],
            tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"ServiceNow": "NO_OP"},
                    "taskProperties": {}}],
        )
        client.start_flow(flowName=name)
        _wait_for(lambda: _labels(server, bucket) >= {"first-0", "first-1", "first-2"}, 60)
        fake.state.auth.expire_tokens()  # the stored access token no longer works
        edit(ids[0], "second-0")  # an edit of a record already moved, and of one never moved
        edit(ids[3], "second-3")
        _wait_for(lambda: _labels(server, bucket) >= {"second-0", "second-3"}, 60)
        time.sleep(2)  # a few more (empty) windows
        client.stop_flow(flowName=name)
        _wait_for(lambda: all(r["executionStatus"] != "InProgress" for r in _records(client, name)), 60)
        counts = Counter(_all_labels(server, bucket))
        assert counts == Counter({"first-0": 1, "first-1": 1, "first-2": 1, "second-0": 1, "second-3": 1}), counts
        statuses = {r["executionStatus"] for r in _records(client, name)}
        assert statuses == {"Successful"}, statuses
        # Every read asked only for the window's changes (sys_updated_on bounds in sysparm_query).
        reads = fake.state.log.matching("/api/now/table/incident")
        assert reads and all("sys_updated_on>=" in e["query"]["sysparm_query"][0] for e in reads)
        refreshes = [e for e in fake.state.log.entries if e["path"] == "/oauth_token.do"]
        assert len(refreshes) == 2  # the test's own password grant, then one refresh_token grant
    finally:
        server.stop()
        fake.stop()
    assert "Traceback" not in server.log(), server.log()[-4000:]


def _records(client: Any, name: str) -> list[dict[str, Any]]:
    return client.describe_flow_execution_records(flowName=name, maxResults=100)["flowExecutions"]


def _all_labels(server: SluiceServer, bucket: str) -> list[str]:
    root = server.data_dir / "s3" / bucket
    # Published objects only: a run still writing has its files under .sluice-staging/.
    return [r["short_description"] for f in sorted(root.rglob("*.parquet")) if ".sluice-staging" not in f.parts
            for r in pq.read_table(io.BytesIO(f.read_bytes()), columns=["short_description"]).to_pylist()]


def _labels(server: SluiceServer, bucket: str) -> set[str]:
    return set(_all_labels(server, bucket))


def _wait_for(check: Any, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")
