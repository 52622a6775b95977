"""The server answers signed boto3 calls on both store backends."""

from __future__ import annotations


def test_list_flows_empty_then_describe_connectors(appflow):
    assert appflow.list_flows()["flows"] == []
    configs = appflow.describe_connectors(connectorTypes=["S3"])["connectorConfigurations"]
    assert configs["S3"]["canUseAsSource"] is True
