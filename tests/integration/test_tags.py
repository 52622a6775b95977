"""Tags on flows over signed boto3: TagResource / UntagResource / ListTagsForResource."""

from __future__ import annotations

import pytest

from tests.integration.builders import raises, s3_flow, unchecked_client, unique

pytestmark = pytest.mark.usefixtures("server_log_stays_clean")


@pytest.fixture
def flow_arn(appflow):
    """A fresh flow created with one tag."""
    return appflow.create_flow(**s3_flow(unique("tagged"), tags={"team": "data"}))["flowArn"]


def tags_of(appflow, arn):
    return appflow.list_tags_for_resource(resourceArn=arn)["tags"]


def test_tag_list_untag(appflow, flow_arn):
    assert tags_of(appflow, flow_arn) == {"team": "data"}
    appflow.tag_resource(resourceArn=flow_arn, tags={"env": "prod", "team": "platform"})
    assert tags_of(appflow, flow_arn) == {"team": "platform", "env": "prod"}

    appflow.untag_resource(resourceArn=flow_arn, tagKeys=["team", "never-set"])
    assert tags_of(appflow, flow_arn) == {"env": "prod"}
    name = flow_arn.rsplit("/", 1)[1]
    assert appflow.describe_flow(flowName=name)["tags"] == {"env": "prod"}


def test_at_most_fifty_tags(appflow, flow_arn):
    appflow.tag_resource(resourceArn=flow_arn, tags={f"k{i}": "v" for i in range(49)})
    assert len(tags_of(appflow, flow_arn)) == 50
    with raises(appflow, "ValidationException", 400, "50", "51"):
        appflow.tag_resource(resourceArn=flow_arn, tags={"one-too-many": "v"})
    with raises(appflow, "ValidationException", 400, "tags", "50"):
        appflow.tag_resource(resourceArn=flow_arn, tags={f"n{i}": "v" for i in range(51)})
    appflow.tag_resource(resourceArn=flow_arn, tags={"k0": "overwritten"})  # no new key: allowed
    assert len(tags_of(appflow, flow_arn)) == 50


def test_aws_prefix_is_reserved(appflow, flow_arn):
    with raises(appflow, "ValidationException", 400, "tags"):
        appflow.tag_resource(resourceArn=flow_arn, tags={"aws:owner": "me"})
    assert tags_of(appflow, flow_arn) == {"team": "data"}


def test_unknown_flow_arn_is_not_found(appflow, flow_arn):
    missing = flow_arn.rsplit("/", 1)[0] + "/" + unique("absent")
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.list_tags_for_resource(resourceArn=missing)
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.tag_resource(resourceArn=missing, tags={"a": "b"})
    with raises(appflow, "ResourceNotFoundException", 404, missing):
        appflow.untag_resource(resourceArn=missing, tagKeys=["a"])


def test_deleted_flow_loses_its_tags(appflow, flow_arn):
    name = flow_arn.rsplit("/", 1)[1]
    appflow.tag_resource(resourceArn=flow_arn, tags={"env": "prod"})
    appflow.delete_flow(flowName=name)
    with raises(appflow, "ResourceNotFoundException", 404):
        appflow.list_tags_for_resource(resourceArn=flow_arn)
    # A new flow of the same name starts with only the tags it is created with.
    again = appflow.create_flow(**s3_flow(name))["flowArn"]
    assert tags_of(appflow, again) == {}
    assert appflow.describe_flow(flowName=name).get("tags", {}) == {}


def test_malformed_arn_is_a_validation_error(server, appflow):
    for bad in ("not-an-arn", "arn:aws:appflow:us-east-1:notanumber:flow/x"):
        with raises(appflow, "ValidationException", 400, "resourceArn"):
            appflow.list_tags_for_resource(resourceArn=bad)
        with raises(appflow, "ValidationException", 400, "resourceArn"):
            appflow.tag_resource(resourceArn=bad, tags={"a": "b"})
        with raises(appflow, "ValidationException", 400, "resourceArn"):
            appflow.untag_resource(resourceArn=bad, tagKeys=["a"])
    with raises(appflow, "ValidationException", 400, "tagKeys"):
        unchecked_client(server).untag_resource(
            resourceArn="arn:aws:appflow:us-east-1:123456789012:flow/x", tagKeys=[f"k{i}" for i in range(51)]
        )
