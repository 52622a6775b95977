"""State survives `kill -9`: a restarted server on the same data dir and database answers the same.

Runs on both store backends. The server is killed with SIGKILL (no shutdown, no goodbye) and
started again on the same data dir (master key, SQLite file) and database URL. Also: generated
default-account keys keep working across a restart and are printed only on the very first
start, and a run that was queued when the server died is picked up by the next one.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sluice.api.runtime import open_store
from sluice.config import Settings
from sluice.store.models import ConnectorProfile
from tests.conftest import database_url_for
from tests.integration.builders import marketo_profile, salesforce_profile
from tests.support.server import SluiceServer

BACKENDS = ["sqlite", "postgres"]


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _s3_flow(name: str, trigger: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "flowName": name,
        "description": f"restart test flow {name}",
        "triggerConfig": trigger,
        "sourceFlowConfig": {
            "connectorType": "S3",
            "sourceConnectorProperties": {"S3": {"bucketName": "restart-source", "bucketPrefix": "in"}},
        },
        "destinationFlowConfigList": [{
            "connectorType": "S3",
            "destinationConnectorProperties": {"S3": {"bucketName": "restart-destination", "bucketPrefix": "out"}},
        }],
        "tasks": [{
            "sourceFields": [],
            "taskType": "Map_all",
            "connectorOperator": {"S3": "NO_OP"},
            "taskProperties": {"EXCLUDE_SOURCE_FIELDS_LIST": "[]"},
        }],
        **extra,
    }


ON_DEMAND = {"triggerType": "OnDemand"}
SCHEDULED = {"triggerType": "Scheduled", "triggerProperties": {"Scheduled": {"scheduleExpression": "rate(1hours)"}}}


def _strip(response: dict[str, Any]) -> dict[str, Any]:
    """A response without its per-request metadata (request id, date headers)."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def _server(tmp_path: Path, backend: str, request: pytest.FixtureRequest, **options: Any) -> SluiceServer:
    return SluiceServer(data_dir=tmp_path / "data", database_url=database_url_for(backend, request), **options)


def _snapshot(client: Any, flows: list[str], profiles: list[str], arns: list[str]) -> dict[str, Any]:
    """Everything a client can see of the state the test created."""
    return {
        "flows": {name: _strip(client.describe_flow(flowName=name)) for name in flows},
        "list_flows": sorted(
            (f for f in client.list_flows()["flows"] if f["flowName"] in flows), key=lambda f: f["flowName"]
        ),
        "profiles": _strip(client.describe_connector_profiles(connectorProfileNames=profiles)),
        "tags": {arn: client.list_tags_for_resource(resourceArn=arn)["tags"] for arn in arns},
        "connectors": _strip(client.list_connectors()),
        "records": {name: _strip(client.describe_flow_execution_records(flowName=name)) for name in flows},
    }


def _stored_credentials(server: SluiceServer, names: list[str]) -> dict[str, Any]:
    """The decrypted credentials of the named profiles, read from the server's store directly.

    No API call returns credentials, so the test opens the store the way `sluice serve` does.
    """
    store = open_store(Settings(data_dir=server.data_dir, database_url=server.database_url))
    try:
        with store.admin() as session:
            rows = session.scalars(select(ConnectorProfile).where(ConnectorProfile.name.in_(names)))
            return {
                row.name: store.box.open_json(row.credentials_enc, row.arn)
                for row in rows
                if row.credentials_enc is not None
            }
    finally:
        store.engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_state_survives_kill_9(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    server = _server(tmp_path, backend, request, workers=0).start()
    try:
        client = server.client()
        profiles = [_name("sf"), _name("marketo")]
        client.create_connector_profile(**salesforce_profile(profiles[0]))
        client.create_connector_profile(**marketo_profile(profiles[1]))

        on_demand, scheduled, idempotent = _name("on-demand"), _name("scheduled"), _name("idempotent")
        on_demand_arn = client.create_flow(**_s3_flow(on_demand, ON_DEMAND))["flowArn"]
        scheduled_arn = client.create_flow(**_s3_flow(scheduled, SCHEDULED))["flowArn"]
        token = uuid.uuid4().hex
        idempotent_request = _s3_flow(idempotent, ON_DEMAND, clientToken=token)
        created = _strip(client.create_flow(**idempotent_request))
        assert client.describe_flow(flowName=scheduled)["flowStatus"] == "Draft"
        assert client.start_flow(flowName=scheduled)["flowStatus"] == "Active"

        client.tag_resource(resourceArn=on_demand_arn, tags={"team": "data", "stage": "restart"})
        client.tag_resource(resourceArn=scheduled_arn, tags={"schedule": "hourly"})
        label = _name("connector")
        client.register_connector(
            connectorLabel=label,
            description="a registration that must survive",
            connectorProvisioningType="LAMBDA",
            connectorProvisioningConfig={"lambda": {"lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:c"}},
        )
        run_token = uuid.uuid4().hex
        started = _strip(client.start_flow(flowName=on_demand, clientToken=run_token))
        assert started["executionId"]

        flows = [on_demand, scheduled, idempotent]
        arns = [on_demand_arn, scheduled_arn]
        before = _snapshot(client, flows, profiles, arns)
        assert before["flows"][scheduled]["flowStatus"] == "Active"
        assert [r["executionId"] for r in before["records"][on_demand]["flowExecutions"]] == [started["executionId"]]
        assert [c["connectorLabel"] for c in before["connectors"]["connectors"]] == [label]
        assert {p["connectorProfileName"] for p in before["profiles"]["connectorProfileDetails"]} == set(profiles)

        server.kill()
        server.start()
        client = server.client()

        after = _snapshot(client, flows, profiles, arns)
        assert after == before
        # The same clientTokens replay the first responses, and create nothing new.
        assert _strip(client.create_flow(**idempotent_request)) == created
        assert _strip(client.start_flow(flowName=on_demand, clientToken=run_token)) == started
        assert _snapshot(client, flows, profiles, arns) == before
        # The profiles' credentials, sealed with the data dir's master key, still open.
        stored = _stored_credentials(server, profiles)
        given = salesforce_profile(profiles[0])["connectorProfileConfig"]["connectorProfileCredentials"]["Salesforce"]
        # The Salesforce check adds the instance URL the org confirmed; the given tokens are kept as given.
        assert given.items() <= stored[profiles[0]]["Salesforce"].items()
        marketo = marketo_profile(profiles[1])["connectorProfileConfig"]["connectorProfileCredentials"]["Marketo"]
        # The Marketo check adds the access token the identity service issued.
        assert marketo.items() <= stored[profiles[1]]["Marketo"].items()
    finally:
        server.stop()


@pytest.mark.parametrize("backend", BACKENDS)
def test_generated_keys_survive_and_are_printed_once(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    server = _server(tmp_path, backend, request, workers=0, fixed_keys=False).start()
    try:
        printed = server.printed_keys()
        assert len(printed) == 1, server.log()
        keys = printed[0]
        assert keys["AWS_ENDPOINT_URL_APPFLOW"] == server.url
        assert keys["AWS_DEFAULT_REGION"] == "us-east-1"
        client = server.client(keys["AWS_ACCESS_KEY_ID"], keys["AWS_SECRET_ACCESS_KEY"])
        name = _name("keys")
        arn = client.create_flow(**_s3_flow(name, ON_DEMAND))["flowArn"]

        server.kill()
        server.start()

        assert server.printed_keys() == printed, "the keys were printed again on restart"
        assert server.log().count("Sluice created the default account") == 1
        client = server.client(keys["AWS_ACCESS_KEY_ID"], keys["AWS_SECRET_ACCESS_KEY"])
        assert client.describe_flow(flowName=name)["flowArn"] == arn
    finally:
        server.stop()


def _wait_for_end(client: Any, flow: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        records = client.describe_flow_execution_records(flowName=flow)["flowExecutions"]
        if records and records[0]["executionStatus"] != "InProgress":
            return dict(records[0])
        if time.monotonic() > deadline:
            raise AssertionError(f"the run is still {records}")
        time.sleep(0.2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_queued_run_is_processed_after_restart(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    server = _server(tmp_path, backend, request, workers=0).start()
    try:
        client = server.client()
        flow = _name("queued")
        client.create_flow(**_s3_flow(flow, ON_DEMAND))
        execution_id = client.start_flow(flowName=flow)["executionId"]
        queued = client.describe_flow_execution_records(flowName=flow)["flowExecutions"]
        assert [(r["executionId"], r["executionStatus"]) for r in queued] == [(execution_id, "InProgress")]

        server.kill()
        # The embedded S3 backend keeps buckets as folders in the data dir.
        source = server.data_dir / "s3" / "restart-source" / "in"
        source.mkdir(parents=True)
        (source / "rows.csv").write_text("id,name\n1,ada\n2,grace\n")
        (server.data_dir / "s3" / "restart-destination").mkdir(parents=True)
        server.workers = 1
        server.start()
        client = server.client()

        # The queued run is claimed by the restarted server and really moves the two records.
        record = _wait_for_end(client, flow)
        assert record["executionId"] == execution_id
        assert record["executionStatus"] == "Successful", record
        assert record["executionResult"]["recordsProcessed"] == 2
        last_run = client.describe_flow(flowName=flow)["lastRunExecutionDetails"]
        assert last_run["mostRecentExecutionStatus"] == "Successful"
        written = list((server.data_dir / "s3" / "restart-destination" / "out" / flow / execution_id).iterdir())
        assert len(written) == 1
    finally:
        server.stop()
