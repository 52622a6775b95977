"""Custom connector registrations over signed boto3: Register / UpdateRegistration / Unregister."""

from __future__ import annotations

import pytest

from tests.integration.builders import (
    LAMBDA_ARN,
    custom_profile,
    map_all_task,
    raises,
    register_connector,
    s3_flow,
    unique,
)

pytestmark = pytest.mark.usefixtures("server_log_stays_clean")


def describe(appflow, label):
    return appflow.describe_connector(connectorType="CustomConnector", connectorLabel=label)["connectorConfiguration"]


def test_register_then_describe(appflow):
    label = unique("conn")
    arn = appflow.register_connector(**register_connector(label))["connectorArn"]
    assert arn.startswith("arn:aws:appflow:us-east-1:")
    assert arn.endswith(f":connector/{label}")

    config = describe(appflow, label)
    assert config["connectorArn"] == arn
    assert config["connectorLabel"] == label
    assert config["connectorDescription"] == "a test connector"
    assert config["connectorVersion"] == "1"
    assert config["connectorProvisioningType"] == "LAMBDA"
    assert config["connectorProvisioningConfig"] == {"lambda": {"lambdaArn": LAMBDA_ARN}}
    assert config["registeredBy"] == f"arn:aws:iam::{arn.split(':')[4]}:root"
    assert label in {c["connectorLabel"] for c in appflow.list_connectors()["connectors"]}


def test_register_validation(appflow):
    with raises(appflow, "ValidationException", 400, "connectorLabel"):
        appflow.register_connector(**{k: v for k, v in register_connector("x").items() if k != "connectorLabel"})
    no_lambda = register_connector(unique("conn"), connectorProvisioningConfig={})
    with raises(appflow, "ValidationException", 400, "LAMBDA", "lambdaArn"):
        appflow.register_connector(**no_lambda)
    with raises(appflow, "ValidationException", 400, "connectorLabel"):
        appflow.register_connector(**register_connector("bad label!"))
    with raises(appflow, "ValidationException", 400, "lambdaArn"):
        appflow.register_connector(**register_connector(unique("conn"), lambda_arn="not-an-arn"))


def test_duplicate_label_conflicts(appflow):
    label = unique("conn")
    appflow.register_connector(**register_connector(label))
    with raises(appflow, "ConflictException", 409, label, "already registered"):
        appflow.register_connector(**register_connector(label))


def test_update_bumps_the_version(appflow):
    label = unique("conn")
    arn = appflow.register_connector(**register_connector(label))["connectorArn"]
    new_lambda = LAMBDA_ARN + "-v2"

    updated = appflow.update_connector_registration(
        connectorLabel=label, description="second cut",
        connectorProvisioningConfig={"lambda": {"lambdaArn": new_lambda}},
    )
    assert updated["connectorArn"] == arn
    config = describe(appflow, label)
    assert config["connectorVersion"] == "2"
    assert config["connectorDescription"] == "second cut"
    assert config["connectorProvisioningConfig"]["lambda"]["lambdaArn"] == new_lambda

    appflow.update_connector_registration(connectorLabel=label)
    assert describe(appflow, label)["connectorVersion"] == "3"
    assert describe(appflow, label)["connectorDescription"] == "second cut"


def test_update_unknown_is_not_found(appflow):
    label = unique("absent")
    with raises(appflow, "ResourceNotFoundException", 404, label):
        appflow.update_connector_registration(connectorLabel=label, description="x")


def test_unregister_in_use_needs_force(appflow):
    label, profile = unique("conn"), unique("cc")
    appflow.register_connector(**register_connector(label))
    appflow.create_connector_profile(**custom_profile(profile, label))

    with raises(appflow, "ConflictException", 409, label, profile, "forceDelete"):
        appflow.unregister_connector(connectorLabel=label)
    assert describe(appflow, label)["connectorLabel"] == label

    appflow.unregister_connector(connectorLabel=label, forceDelete=True)
    with raises(appflow, "ResourceNotFoundException", 404, label):
        describe(appflow, label)
    assert label not in {c["connectorLabel"] for c in appflow.list_connectors()["connectors"]}


def test_unregister_unused_then_unknown(appflow):
    label = unique("conn")
    appflow.register_connector(**register_connector(label))
    appflow.unregister_connector(connectorLabel=label)
    with raises(appflow, "ResourceNotFoundException", 404, label):
        appflow.unregister_connector(connectorLabel=label)
    appflow.register_connector(**register_connector(label))  # the label is free again
    assert describe(appflow, label)["connectorVersion"] == "1"


def test_a_registered_connector_can_feed_a_flow_and_is_then_in_use(appflow):
    label, profile, flow = unique("conn"), unique("cc"), unique("flow")
    appflow.register_connector(**register_connector(label))
    appflow.create_connector_profile(**custom_profile(profile, label))
    source = {
        "connectorType": "CustomConnector",
        "connectorProfileName": profile,
        "sourceConnectorProperties": {"CustomConnector": {"entityName": "orders"}},
    }
    created = appflow.create_flow(**s3_flow(flow, sourceFlowConfig=source, tasks=[map_all_task("CustomConnector")]))
    assert created["flowStatus"] == "Active"
    (summary,) = [f for f in appflow.list_flows()["flows"] if f["flowName"] == flow]
    assert (summary["sourceConnectorType"], summary["sourceConnectorLabel"]) == ("CustomConnector", label)

    with raises(appflow, "ConflictException", 409, label, profile, flow):
        appflow.unregister_connector(connectorLabel=label)
    appflow.delete_flow(flowName=flow)
    appflow.delete_connector_profile(connectorProfileName=profile)
    appflow.unregister_connector(connectorLabel=label)
