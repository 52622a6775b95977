"""Sluice's own GetSecretValue for custom connector code: connector keys read their account's
custom connector secrets and nothing else; the account's API keys and the connector keys are not
interchangeable.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.builders import custom_profile, register_connector, salesforce_profile, unique
from tests.support.server import ACCESS_KEY, SECRET_KEY, SluiceServer


def secrets_client(server: SluiceServer, key: str, secret: str) -> Any:
    return boto3.client("secretsmanager", endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def connector_keys(server: SluiceServer, label: str) -> tuple[str, str]:
    out = server.cli("connectors", "env", "--label", label)
    assert out.returncode == 0, out.stderr
    env = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    return env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]


def arn_of(client: Any, name: str) -> str:
    detail = client.describe_connector_profiles(connectorProfileNames=[name])["connectorProfileDetails"][0]
    return str(detail["credentialsArn"])


def test_connector_keys_open_custom_connector_secrets_only(server: SluiceServer, appflow: Any) -> None:
    label, custom, salesforce = unique("cc"), unique("cc"), unique("sf")
    appflow.register_connector(**register_connector(label))
    appflow.create_connector_profile(**custom_profile(custom, label, api_key="the-api-key"))
    appflow.create_connector_profile(**salesforce_profile(salesforce))
    key, secret = connector_keys(server, label)
    secrets = secrets_client(server, key, secret)

    value = json.loads(secrets.get_secret_value(SecretId=arn_of(appflow, custom))["SecretString"])
    assert value["apiKey"] == "the-api-key"
    with pytest.raises(ClientError) as caught:
        secrets.get_secret_value(SecretId=arn_of(appflow, salesforce))
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as caught:
        secrets.list_secrets()
    assert caught.value.response["Error"]["Code"] == "UnknownOperationException"

    # The account's API keys are not connector keys, and connector keys cannot call AppFlow.
    with pytest.raises(ClientError) as caught:
        secrets_client(server, ACCESS_KEY, SECRET_KEY).get_secret_value(SecretId=arn_of(appflow, custom))
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"
    with pytest.raises(ClientError) as caught:
        server.client(access_key=key, secret_key=secret).list_flows()
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"
