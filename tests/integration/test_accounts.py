"""Accounts and regions are walls: one account (or region) never sees another's resources.

Second accounts come from `sluice accounts create` (the admin CLI on the module server's store);
a region is whatever the request was signed for.
"""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.integration.builders import (
    create_account,
    default_account_id,
    raises,
    register_connector,
    s3_flow,
    salesforce_profile,
    scheduled_flow,
    unique,
)

pytestmark = pytest.mark.usefixtures("server_log_stays_clean")


def share_s3_buckets(server, keys):
    """Let a second account use the local buckets `s3_flow` names (they are the default account's)."""
    for bucket in ("sluice-source", "sluice-destination"):
        done = server.cli("buckets", "grant", bucket, keys["name"])
        assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def other(server):
    """A client for a second account, and that account's keys."""
    keys = create_account(server)
    share_s3_buckets(server, keys)
    return server.client(keys["access_key_id"], keys["secret_access_key"]), keys


@pytest.fixture(scope="module")
def mine(appflow):
    """A default-account flow (Scheduled and started, so StopFlow applies) and a profile."""
    flow, profile = unique("mine"), unique("mine")
    arn = appflow.create_flow(**scheduled_flow(flow, tags={"owner": "default"}))["flowArn"]
    appflow.start_flow(flowName=flow)
    appflow.create_connector_profile(**salesforce_profile(profile))
    return {"flow": flow, "arn": arn, "profile": profile}


FLOW_CALLS = {
    "DescribeFlow": lambda c, flow, arn: c.describe_flow(flowName=flow),
    "UpdateFlow": lambda c, flow, arn: c.update_flow(**scheduled_flow(flow, description="hijacked")),
    "StartFlow": lambda c, flow, arn: c.start_flow(flowName=flow),
    "StopFlow": lambda c, flow, arn: c.stop_flow(flowName=flow),
    "DescribeFlowExecutionRecords": lambda c, flow, arn: c.describe_flow_execution_records(flowName=flow),
    "CancelFlowExecutions": lambda c, flow, arn: c.cancel_flow_executions(flowName=flow),
    "TagResource": lambda c, flow, arn: c.tag_resource(resourceArn=arn, tags={"owner": "thief"}),
    "UntagResource": lambda c, flow, arn: c.untag_resource(resourceArn=arn, tagKeys=["owner"]),
    "ListTagsForResource": lambda c, flow, arn: c.list_tags_for_resource(resourceArn=arn),
    "DeleteFlow": lambda c, flow, arn: c.delete_flow(flowName=flow, forceDelete=True),
}


@pytest.mark.parametrize("operation", FLOW_CALLS)
def test_another_account_cannot_touch_my_flows(appflow, other, mine, operation):
    client, _ = other
    with raises(client, "ResourceNotFoundException", 404):
        FLOW_CALLS[operation](client, mine["flow"], mine["arn"])

    described = appflow.describe_flow(flowName=mine["flow"])
    assert (described["flowStatus"], described["description"]) == ("Active", "copy every object")
    assert described["tags"] == {"owner": "default"}


def test_another_account_lists_none_of_my_flows(appflow, other, mine):
    client, _ = other
    assert mine["flow"] not in {f["flowName"] for f in client.list_flows()["flows"]}
    assert mine["flow"] in {f["flowName"] for f in appflow.list_flows()["flows"]}


def test_another_account_cannot_touch_my_profiles(appflow, other, mine):
    client, _ = other
    profile = mine["profile"]
    assert client.describe_connector_profiles(connectorProfileNames=[profile])["connectorProfileDetails"] == []
    update = salesforce_profile(profile)
    del update["connectorType"]
    with raises(client, "ResourceNotFoundException", 404, profile):
        client.update_connector_profile(**update)
    with raises(client, "ResourceNotFoundException", 404, profile):
        client.delete_connector_profile(connectorProfileName=profile, forceDelete=True)
    with raises(client, "ResourceNotFoundException", 404, profile):
        client.create_flow(**s3_flow(unique("f"), sourceFlowConfig={
            "connectorType": "Salesforce", "connectorProfileName": profile,
            "sourceConnectorProperties": {"Salesforce": {"object": "Account"}},
        }))
    assert appflow.describe_connector_profiles(connectorProfileNames=[profile])["connectorProfileDetails"]


def test_a_new_account_starts_empty_and_owns_its_arns(server, appflow):
    keys = create_account(server)
    share_s3_buckets(server, keys)
    client = server.client(keys["access_key_id"], keys["secret_access_key"])
    assert client.list_flows()["flows"] == []
    assert client.describe_connector_profiles()["connectorProfileDetails"] == []
    assert client.list_connectors()["connectors"] == []

    name = unique("theirs")
    appflow.create_flow(**s3_flow(name))  # the same name in the default account does not clash
    arn = client.create_flow(**s3_flow(name))["flowArn"]
    account = keys["account_id"]
    assert account != default_account_id(server)
    assert arn == f"arn:aws:appflow:us-east-1:{account}:flow/{name}"
    flow = client.describe_flow(flowName=name)
    assert flow["createdBy"] == f"arn:aws:iam::{account}:root"
    assert flow["kmsArn"] == f"arn:aws:kms:us-east-1:{account}:alias/aws/appflow"
    profile_arn = client.create_connector_profile(**salesforce_profile(unique("p")))["connectorProfileArn"]
    assert profile_arn.startswith(f"arn:aws:appflow:us-east-1:{account}:connectorprofile/")
    assert [f["flowName"] for f in client.list_flows()["flows"]] == [name]
    assert appflow.describe_flow(flowName=name)["flowArn"] != arn


def test_another_region_is_separate_and_empty(server, appflow):
    mine = unique("east")
    appflow.create_flow(**s3_flow(mine))
    sydney = server.client(region="ap-southeast-2")
    assert sydney.list_flows()["flows"] == []
    with raises(sydney, "ResourceNotFoundException", 404, mine):
        sydney.describe_flow(flowName=mine)

    arn = sydney.create_flow(**s3_flow(mine))["flowArn"]
    assert arn.startswith("arn:aws:appflow:ap-southeast-2:")
    assert arn.endswith(f":flow/{mine}")
    assert sydney.describe_flow(flowName=mine)["kmsArn"].startswith("arn:aws:kms:ap-southeast-2:")
    with raises(appflow, "ResourceNotFoundException", 404):
        appflow.list_tags_for_resource(resourceArn=arn)
    assert appflow.describe_flow(flowName=mine)["flowArn"].startswith("arn:aws:appflow:us-east-1:")


def test_accounts_list_shows_every_account(server, other):
    _, keys = other
    done = server.cli("accounts", "list")
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()[1:] if line.strip()}
    assert rows[keys["name"]] == [keys["account_id"], keys["access_key_id"]]
    assert rows["default"][0] == default_account_id(server)


def test_accounts_create_refuses_a_taken_name(server, other):
    _, keys = other
    done = server.cli("accounts", "create", keys["name"])
    assert done.returncode == 1
    assert "already exists" in done.stderr


def test_deleted_account_key_is_refused_within_seconds(server):
    keys = create_account(server)
    share_s3_buckets(server, keys)
    client = server.client(keys["access_key_id"], keys["secret_access_key"])
    client.create_flow(**s3_flow(unique("doomed")))

    done = server.cli("accounts", "delete", keys["name"])
    assert done.returncode == 0, done.stderr
    assert keys["name"] in done.stdout
    deadline = time.monotonic() + 6.5
    while True:
        try:
            client.list_flows()
        except ClientError as exc:
            error = exc.response
            break
        assert time.monotonic() < deadline, "the deleted account's key still works"
        time.sleep(0.25)
    assert error["Error"]["Code"] == "UnrecognizedClientException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "security token" in error["Error"]["Message"]

    again = server.cli("accounts", "delete", keys["name"])
    assert again.returncode == 1
    assert keys["name"] in again.stderr
    listed = server.cli("accounts", "list").stdout
    assert keys["access_key_id"] not in listed


def test_another_account_cannot_reach_my_connectors_or_metadata(appflow, other, mine):
    client, _ = other
    label = unique("conn")
    appflow.register_connector(**register_connector(label))
    with raises(client, "ResourceNotFoundException", 404, label):
        client.describe_connector(connectorType="CustomConnector", connectorLabel=label)
    with raises(client, "ResourceNotFoundException", 404, label):
        client.update_connector_registration(connectorLabel=label, description="mine now")
    with raises(client, "ResourceNotFoundException", 404, label):
        client.unregister_connector(connectorLabel=label, forceDelete=True)
    assert label not in {c["connectorLabel"] for c in client.list_connectors()["connectors"]}
    with raises(client, "ResourceNotFoundException", 404, mine["profile"]):
        client.list_connector_entities(connectorProfileName=mine["profile"])
    with raises(client, "ResourceNotFoundException", 404, mine["profile"]):
        client.reset_connector_metadata_cache(connectorProfileName=mine["profile"])
    config = appflow.describe_connector(connectorType="CustomConnector", connectorLabel=label)
    assert config["connectorConfiguration"]["connectorVersion"] == "1"


def test_client_tokens_belong_to_one_account(appflow, other):
    client, _ = other
    token = unique("token")
    mine_arn = appflow.create_flow(**s3_flow(unique("tok")), clientToken=token)["flowArn"]
    theirs = client.create_flow(**s3_flow(unique("tok")), clientToken=token)["flowArn"]
    assert theirs != mine_arn
    assert theirs.split(":")[4] != mine_arn.split(":")[4]
