"""`nextToken`s over signed boto3: stable under concurrent writes, and refused when not ours."""

from __future__ import annotations

import base64
import json

import pytest

from tests.integration.builders import (
    create_account,
    marketo_profile,
    raises,
    s3_flow,
    share_test_resources,
    unchecked_client,
    unique,
)

pytestmark = pytest.mark.usefixtures("server_log_stays_clean")


def drain(call, key, name_of, **kwargs):
    """Every item of the remaining pages, following nextToken."""
    items = []
    while True:
        page = call(**kwargs)
        items += [name_of(item) for item in page[key]]
        if "nextToken" not in page:
            return items
        kwargs["nextToken"] = page["nextToken"]


def flow_names(appflow, **kwargs):
    return drain(appflow.list_flows, "flows", lambda f: f["flowName"], **kwargs)


@pytest.fixture(scope="module")
def other_account(server):
    """A second account on the module's server, with two flows (so ListFlows pages)."""
    keys = create_account(server)
    share_test_resources(server, keys["name"])
    client = server.client(keys["access_key_id"], keys["secret_access_key"])
    for _ in range(2):
        client.create_flow(**s3_flow(unique("theirs")))
    return client


def test_list_flows_token_survives_inserts_and_deletes(appflow):
    original = [unique("orig") for _ in range(6)]
    for name in original:
        appflow.create_flow(**s3_flow(name))

    first = appflow.list_flows(maxResults=2)
    seen = [f["flowName"] for f in first["flows"]]
    added = [unique("added") for _ in range(3)]
    for name in added:
        appflow.create_flow(**s3_flow(name))
    appflow.delete_flow(flowName=seen[-1])  # the row the cursor points at
    rest = flow_names(appflow, maxResults=2, nextToken=first["nextToken"])

    everything = seen + rest
    assert len(everything) == len(set(everything))
    for name in original:
        assert everything.count(name) == 1
    assert set(added) <= set(rest)  # inserted after the cursor, so they come later


def test_execution_records_token_survives_new_runs(appflow):
    name = unique("runs")
    appflow.create_flow(**s3_flow(name))
    original = [appflow.start_flow(flowName=name)["executionId"] for _ in range(5)]

    first = appflow.describe_flow_execution_records(flowName=name, maxResults=2)
    newer = [appflow.start_flow(flowName=name)["executionId"] for _ in range(2)]
    rest = drain(appflow.describe_flow_execution_records, "flowExecutions", lambda r: r["executionId"],
                 flowName=name, maxResults=2, nextToken=first["nextToken"])

    everything = [r["executionId"] for r in first["flowExecutions"]] + rest
    assert everything == original[::-1]  # newest first; runs started later are before the cursor
    assert not set(newer) & set(rest)


def test_connector_profiles_token_survives_inserts(appflow):
    original = [unique("prof") for _ in range(4)]
    for name in original:
        appflow.create_connector_profile(**marketo_profile(name))
    first = appflow.describe_connector_profiles(maxResults=2)
    for _ in range(2):
        appflow.create_connector_profile(**marketo_profile(unique("late")))
    rest = drain(appflow.describe_connector_profiles, "connectorProfileDetails",
                 lambda d: d["connectorProfileName"], maxResults=2, nextToken=first["nextToken"])
    everything = [d["connectorProfileName"] for d in first["connectorProfileDetails"]] + rest
    assert len(everything) == len(set(everything))
    assert set(original) <= set(everything)


def test_forged_and_tampered_tokens_are_refused(appflow):
    for _ in range(3):
        appflow.create_flow(**s3_flow(unique("f")))
    token = appflow.list_flows(maxResults=1)["nextToken"]
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    body, mac = raw[:-16], raw[-16:]
    operation, account, region, cursor, digest = json.loads(body)
    moved = json.dumps([operation, account, region, cursor + 1, digest], separators=(",", ":")).encode()
    tampered = base64.urlsafe_b64encode(moved + mac).decode().rstrip("=")
    forged = base64.urlsafe_b64encode(b'["ListFlows","000000000000","us-east-1",1,"x"]' + b"0" * 16).decode()

    for bad in (tampered, forged, "not-a-token", "!!!"):
        with raises(appflow, "ValidationException", 400, "nextToken"):
            appflow.list_flows(nextToken=bad)


def test_token_from_another_account_is_refused(appflow, other_account):
    theirs = other_account.list_flows(maxResults=1)["nextToken"]
    with raises(appflow, "ValidationException", 400, "nextToken", "ListFlows"):
        appflow.list_flows(nextToken=theirs)
    appflow.create_flow(**s3_flow(unique("f")))
    appflow.create_flow(**s3_flow(unique("f")))
    ours = appflow.list_flows(maxResults=1)["nextToken"]
    with raises(other_account, "ValidationException", 400, "nextToken"):
        other_account.list_flows(nextToken=ours)


def test_token_from_another_region_is_refused(server, appflow):
    appflow.create_flow(**s3_flow(unique("f")))
    appflow.create_flow(**s3_flow(unique("f")))
    token = appflow.list_flows(maxResults=1)["nextToken"]
    west = server.client(region="eu-west-1")
    with raises(west, "ValidationException", 400, "nextToken"):
        west.list_flows(nextToken=token)


def test_token_from_another_operation_is_refused(appflow):
    appflow.create_flow(**s3_flow(unique("f")))
    appflow.create_flow(**s3_flow(unique("f")))
    token = appflow.list_flows(maxResults=1)["nextToken"]
    with raises(appflow, "ValidationException", 400, "nextToken", "ListConnectors"):
        appflow.list_connectors(nextToken=token)
    with raises(appflow, "ValidationException", 400, "nextToken", "DescribeConnectorProfiles"):
        appflow.describe_connector_profiles(nextToken=token)
    with raises(appflow, "ValidationException", 400, "nextToken", "DescribeConnectors"):
        appflow.describe_connectors(nextToken=token)
    name = unique("f")
    appflow.create_flow(**s3_flow(name))
    with raises(appflow, "ValidationException", 400, "nextToken"):
        appflow.describe_flow_execution_records(flowName=name, nextToken=token)


def test_max_results_bounds(server, appflow):
    unchecked = unchecked_client(server)
    for bad in (0, 101):
        with raises(appflow, "ValidationException", 400, "maxResults"):
            unchecked.list_flows(maxResults=bad)
    assert len(appflow.list_flows(maxResults=100)["flows"]) <= 100
