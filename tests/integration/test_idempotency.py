"""`clientToken` idempotency of the seven operations that take one, over signed boto3.

Same token + same parameters: the first call's answer and nothing new. Same token + different
parameters: 409 ConflictException. (Expiry after 8 hours: tests/unit/service/test_idempotency.py.)
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.builders import (
    raises,
    register_connector,
    s3_destination,
    s3_flow,
    salesforce_profile,
    unique,
)

pytestmark = pytest.mark.usefixtures("server_log_stays_clean")


def token() -> str:
    return str(uuid.uuid4())


def profile_update(name: str, url: str) -> dict:
    request = salesforce_profile(name)
    del request["connectorType"]
    del request["connectorProfileConfig"]["connectorProfileCredentials"]  # properties only: nothing to check
    request["connectorProfileConfig"]["connectorProfileProperties"]["Salesforce"]["instanceUrl"] = url
    return request


def test_create_connector_profile(appflow):
    name, t = unique("sf"), token()
    first = appflow.create_connector_profile(**salesforce_profile(name), clientToken=t)
    again = appflow.create_connector_profile(**salesforce_profile(name), clientToken=t)
    assert again["connectorProfileArn"] == first["connectorProfileArn"]
    assert len(appflow.describe_connector_profiles(connectorProfileNames=[name])["connectorProfileDetails"]) == 1

    with raises(appflow, "ConflictException", 409, "clientToken", "different parameters"):
        appflow.create_connector_profile(**salesforce_profile(unique("sf")), clientToken=t)
    with raises(appflow, "ConflictException", 409, name, "already exists"):
        appflow.create_connector_profile(**salesforce_profile(name), clientToken=token())


def test_update_connector_profile(appflow):
    name, t = unique("sf"), token()
    appflow.create_connector_profile(**salesforce_profile(name))
    first = appflow.update_connector_profile(**profile_update(name, "https://a.my.salesforce.com"), clientToken=t)
    stamp = appflow.describe_connector_profiles(connectorProfileNames=[name])["connectorProfileDetails"][0]
    again = appflow.update_connector_profile(**profile_update(name, "https://a.my.salesforce.com"), clientToken=t)
    assert again["connectorProfileArn"] == first["connectorProfileArn"]
    after = appflow.describe_connector_profiles(connectorProfileNames=[name])["connectorProfileDetails"][0]
    assert after["lastUpdatedAt"] == stamp["lastUpdatedAt"]  # the repeat changed nothing

    with raises(appflow, "ConflictException", 409, "clientToken"):
        appflow.update_connector_profile(**profile_update(name, "https://b.my.salesforce.com"), clientToken=t)
    detail = appflow.describe_connector_profiles(connectorProfileNames=[name])["connectorProfileDetails"][0]
    assert detail["connectorProfileProperties"]["Salesforce"]["instanceUrl"] == "https://a.my.salesforce.com"


def test_create_flow(appflow):
    name, t = unique("flow"), token()
    first = appflow.create_flow(**s3_flow(name), clientToken=t)
    again = appflow.create_flow(**s3_flow(name), clientToken=t)
    assert again["flowArn"] == first["flowArn"]
    assert again["flowStatus"] == first["flowStatus"] == "Active"
    assert [f["flowName"] for f in appflow.list_flows()["flows"]].count(name) == 1

    with raises(appflow, "ConflictException", 409, "clientToken"):
        appflow.create_flow(**s3_flow(name, description="another description"), clientToken=t)


def test_update_flow(appflow):
    name, t = unique("flow"), token()
    appflow.create_flow(**s3_flow(name))
    moved = s3_flow(name, destinationFlowConfigList=[s3_destination(bucket="moved-bucket")])
    assert appflow.update_flow(**moved, clientToken=t)["flowStatus"] == "Active"
    stamp = appflow.describe_flow(flowName=name)
    assert stamp["schemaVersion"] == 2
    assert appflow.update_flow(**moved, clientToken=t)["flowStatus"] == "Active"
    after = appflow.describe_flow(flowName=name)
    assert (after["schemaVersion"], after["lastUpdatedAt"]) == (2, stamp["lastUpdatedAt"])

    with raises(appflow, "ConflictException", 409, "clientToken"):
        appflow.update_flow(**s3_flow(name), clientToken=t)
    assert appflow.describe_flow(flowName=name)["destinationFlowConfigList"][0] == moved[
        "destinationFlowConfigList"
    ][0]


def test_start_flow(appflow):
    name, other, t = unique("flow"), unique("flow"), token()
    appflow.create_flow(**s3_flow(name))
    appflow.create_flow(**s3_flow(other))
    first = appflow.start_flow(flowName=name, clientToken=t)
    again = appflow.start_flow(flowName=name, clientToken=t)
    assert again["executionId"] == first["executionId"]
    assert len(appflow.describe_flow_execution_records(flowName=name)["flowExecutions"]) == 1

    with raises(appflow, "ConflictException", 409, "clientToken"):
        appflow.start_flow(flowName=other, clientToken=t)
    assert appflow.describe_flow_execution_records(flowName=other)["flowExecutions"] == []
    assert appflow.start_flow(flowName=name)["executionId"] != first["executionId"]


def test_register_connector(appflow):
    label, t = unique("conn"), token()
    first = appflow.register_connector(**register_connector(label), clientToken=t)
    again = appflow.register_connector(**register_connector(label), clientToken=t)
    assert again["connectorArn"] == first["connectorArn"]
    labels = [c["connectorLabel"] for c in appflow.list_connectors()["connectors"]]
    assert labels.count(label) == 1

    with raises(appflow, "ConflictException", 409, "clientToken"):
        appflow.register_connector(**register_connector(label, description="changed"), clientToken=t)


def test_update_connector_registration(appflow):
    label, t = unique("conn"), token()
    appflow.register_connector(**register_connector(label))
    first = appflow.update_connector_registration(connectorLabel=label, description="v2", clientToken=t)
    again = appflow.update_connector_registration(connectorLabel=label, description="v2", clientToken=t)
    assert again["connectorArn"] == first["connectorArn"]
    config = appflow.describe_connector(connectorType="CustomConnector", connectorLabel=label)
    assert config["connectorConfiguration"]["connectorVersion"] == "2"

    with raises(appflow, "ConflictException", 409, "clientToken"):
        appflow.update_connector_registration(connectorLabel=label, description="v3", clientToken=t)


def test_a_token_belongs_to_one_operation(appflow):
    name, t = unique("flow"), token()
    appflow.create_flow(**s3_flow(name), clientToken=t)
    assert appflow.start_flow(flowName=name, clientToken=t)["executionId"]


def test_a_failed_call_does_not_spend_its_token(appflow):
    name, t = unique("flow"), token()
    with raises(appflow, "ValidationException", 400):
        appflow.create_flow(**s3_flow(name, triggerConfig={"triggerType": "Event"}), clientToken=t)
    assert appflow.create_flow(**s3_flow(name), clientToken=t)["flowStatus"] == "Active"


def test_racing_retries_with_one_token_all_get_the_first_answer(server):
    """SDK retries that overlap the first call: one resource, one answer, no 409 or 500."""
    clients = [server.client() for _ in range(6)]
    flow, t = unique("race"), token()
    with ThreadPoolExecutor(len(clients)) as pool:
        arns = list(pool.map(lambda c: c.create_flow(**s3_flow(flow), clientToken=t)["flowArn"], clients))
    assert len(set(arns)) == 1

    t = token()
    with ThreadPoolExecutor(len(clients)) as pool:
        runs = list(pool.map(lambda c: c.start_flow(flowName=flow, clientToken=t)["executionId"], clients))
    assert len(set(runs)) == 1
    assert len(clients[0].describe_flow_execution_records(flowName=flow)["flowExecutions"]) == 1
