"""Valid AppFlow requests for the integration suite, plus the one error assertion it shares.

Every builder returns the keyword arguments of one boto3 call (`appflow.create_flow(**s3_flow(name))`)
so a test changes only the member it is about. `unique()` gives each test its own resource names:
module-scoped servers are shared, so no test may assume an empty account.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.support.marketo import register_client
from tests.support.marketo import shared_fake as shared_marketo
from tests.support.salesforce import profile_request, register_token, shared_fake
from tests.support.server import ACCESS_KEY, REGION, SECRET_KEY, SluiceServer

LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:sluice-test-connector"
KMS_ARN = "arn:aws:kms:us-east-1:123456789012:key/0b1d2c3e-4f50-6172-8394-a5b6c7d8e9f0"


def unique(prefix: str = "t") -> str:
    """A resource name no other test uses (valid for flows, profiles and connector labels)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# -- flows ---------------------------------------------------------------------------------
def map_all_task(connector: str = "S3") -> dict[str, Any]:
    """The Map_all task AppFlow's console adds to a flow that copies every field."""
    return {
        "sourceFields": [],
        "taskType": "Map_all",
        "connectorOperator": {connector: "NO_OP"},
        "taskProperties": {"EXCLUDE_SOURCE_FIELDS_LIST": "[]"},
    }


def on_demand() -> dict[str, Any]:
    """An OnDemand trigger."""
    return {"triggerType": "OnDemand"}


def scheduled(expression: str = "rate(1hours)") -> dict[str, Any]:
    """A Scheduled trigger with `expression`."""
    return {"triggerType": "Scheduled", "triggerProperties": {"Scheduled": {"scheduleExpression": expression}}}


def s3_source(bucket: str = "sluice-source", prefix: str = "in") -> dict[str, Any]:
    """An S3 `sourceFlowConfig`."""
    return {"connectorType": "S3", "sourceConnectorProperties": {"S3": {"bucketName": bucket, "bucketPrefix": prefix}}}


def s3_destination(bucket: str = "sluice-destination", prefix: str = "out") -> dict[str, Any]:
    """An S3 destination flow config."""
    return {
        "connectorType": "S3",
        "destinationConnectorProperties": {"S3": {"bucketName": bucket, "bucketPrefix": prefix}},
    }


def s3_flow(name: str, **overrides: Any) -> dict[str, Any]:
    """CreateFlow for an OnDemand S3 -> S3 copy; `overrides` replace top-level members."""
    request: dict[str, Any] = {
        "flowName": name,
        "description": "copy every object",
        "triggerConfig": on_demand(),
        "sourceFlowConfig": s3_source(),
        "destinationFlowConfigList": [s3_destination()],
        "tasks": [map_all_task()],
    }
    request.update(overrides)
    return request


def scheduled_flow(name: str, expression: str = "rate(1hours)", **overrides: Any) -> dict[str, Any]:
    """CreateFlow for a Scheduled S3 -> S3 copy (it starts as Draft)."""
    return s3_flow(name, triggerConfig=scheduled(expression), **overrides)


def marketo_flow(name: str, profile: str, **overrides: Any) -> dict[str, Any]:
    """CreateFlow for Marketo (source, via `profile`) -> S3."""
    return s3_flow(
        name,
        sourceFlowConfig={
            "connectorType": "Marketo",
            "connectorProfileName": profile,
            "sourceConnectorProperties": {"Marketo": {"object": "leads"}},
        },
        tasks=[map_all_task("Marketo")],
        **overrides,
    )


def salesforce_flow(name: str, profile: str, **overrides: Any) -> dict[str, Any]:
    """CreateFlow for Salesforce (source, via `profile`) -> S3."""
    return s3_flow(
        name,
        sourceFlowConfig={
            "connectorType": "Salesforce",
            "connectorProfileName": profile,
            "sourceConnectorProperties": {"Salesforce": {"object": "Account"}},
        },
        tasks=[map_all_task("Salesforce")],
        **overrides,
    )


# -- connector profiles --------------------------------------------------------------------
def salesforce_profile(name: str, secret: str = "sf-secret-token-0000") -> dict[str, Any]:
    """CreateConnectorProfile for Salesforce whose access token is `secret`.

    Sluice checks Salesforce credentials against the org, so the profile points at this test
    process's small fake org, where `secret` is made a valid token.
    """
    fake = shared_fake()
    register_token(fake, secret)
    return profile_request(name, fake.url, {"accessToken": secret, "refreshToken": f"refresh-{secret}"})


def marketo_profile(name: str, secret: str = "marketo-secret-0000") -> dict[str, Any]:
    """CreateConnectorProfile for Marketo whose client secret is `secret`.

    Sluice checks Marketo credentials against the identity service, so the profile points at this test
    process's small fake subscription, where a client with `secret` is made known.
    """
    fake = shared_marketo()
    return {
        "connectorProfileName": name,
        "connectorType": "Marketo",
        "connectionMode": "Public",
        "connectorProfileConfig": {
            "connectorProfileProperties": {"Marketo": {"instanceUrl": fake.url}},
            "connectorProfileCredentials": {"Marketo": {"clientId": register_client(fake, secret),
                                                        "clientSecret": secret}},
        },
    }


def unbuilt_managed_profile(name: str) -> dict[str, Any]:
    """CreateConnectorProfile for AfterShip, an AWS-managed label whose data path is not built (so
    no vendor is asked)."""
    return {
        "connectorProfileName": name,
        "connectorType": "CustomConnector",
        "connectorLabel": "AfterShip",
        "connectionMode": "Public",
        "connectorProfileConfig": {
            "connectorProfileProperties": {"CustomConnector": {"profileProperties": {}}},
            "connectorProfileCredentials": {"CustomConnector": {
                "authenticationType": "APIKEY", "apiKey": {"apiKey": "aftership-key-0000"}}},
        },
    }


def redshift_profile(name: str) -> dict[str, Any]:
    """CreateConnectorProfile for Redshift (a destination-only connector), without credentials: with
    them, CreateConnectorProfile connects to the database, and this example host does not exist."""
    return {
        "connectorProfileName": name,
        "connectorType": "Redshift",
        "connectionMode": "Public",
        "connectorProfileConfig": {
            "connectorProfileProperties": {
                "Redshift": {
                    "bucketName": "sluice-staging",
                    "roleArn": "arn:aws:iam::123456789012:role/sluice-redshift",
                    "databaseUrl": "jdbc:redshift://example.us-east-1.redshift.amazonaws.com:5439/dev",
                }
            },
        },
    }


def custom_profile(name: str, label: str, api_key: str = "custom-api-key-0000") -> dict[str, Any]:
    """CreateConnectorProfile for the registered custom connector `label`, API-key auth."""
    return {
        "connectorProfileName": name,
        "connectorType": "CustomConnector",
        "connectorLabel": label,
        "connectionMode": "Public",
        "connectorProfileConfig": {
            "connectorProfileProperties": {"CustomConnector": {"profileProperties": {"region": "eu"}}},
            "connectorProfileCredentials": {
                "CustomConnector": {"authenticationType": "APIKEY", "apiKey": {"apiKey": api_key}},
            },
        },
    }


# -- custom connectors ---------------------------------------------------------------------
def register_connector(label: str, lambda_arn: str = LAMBDA_ARN, **overrides: Any) -> dict[str, Any]:
    """RegisterConnector for a Lambda-backed custom connector."""
    request: dict[str, Any] = {
        "connectorLabel": label,
        "description": "a test connector",
        "connectorProvisioningType": "LAMBDA",
        "connectorProvisioningConfig": {"lambda": {"lambdaArn": lambda_arn}},
    }
    request.update(overrides)
    return request


# -- clients, accounts, errors -------------------------------------------------------------
def unchecked_client(server: SluiceServer, region: str = REGION) -> Any:
    """A boto3 client that skips botocore's own parameter validation, to reach the server's."""
    return boto3.client(
        "appflow",
        endpoint_url=server.url,
        region_name=region,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )


def create_account(server: SluiceServer, name: str | None = None) -> dict[str, str]:
    """`sluice accounts create`; returns account_id, access_key_id and secret_access_key."""
    name = name or unique("acct")
    done = server.cli("accounts", "create", name)
    assert done.returncode == 0, done.stderr
    exports = dict(re.findall(r"^export (\w+)=(\S+)$", done.stdout, re.MULTILINE))
    account_id = re.search(r"^# account \S+: (\d{12})$", done.stdout, re.MULTILINE)
    assert account_id, done.stdout
    return {
        "name": name,
        "account_id": account_id.group(1),
        "access_key_id": exports["AWS_ACCESS_KEY_ID"],
        "secret_access_key": exports["AWS_SECRET_ACCESS_KEY"],
    }


_DEFAULT_ACCOUNTS: dict[str, str] = {}


def default_account_id(server: SluiceServer) -> str:
    """The 12-digit id of the server's default account, from `sluice accounts list` (once per server)."""
    if server.url not in _DEFAULT_ACCOUNTS:
        done = server.cli("accounts", "list")
        match = re.search(r"^default\s+(\d{12})\s", done.stdout, re.MULTILINE)
        assert match, done.stdout
        _DEFAULT_ACCOUNTS[server.url] = match.group(1)
    return _DEFAULT_ACCOUNTS[server.url]


@contextmanager
def raises(client: Any, code: str, status: int, *words: str) -> Iterator[Any]:
    """Expect the modelled error `code` with HTTP `status` and a message containing `words`."""
    with pytest.raises(getattr(client.exceptions, code)) as exc:
        yield exc
    response = exc.value.response
    assert response["Error"]["Code"] == code
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    message = response["Error"]["Message"]
    assert len(message) > 10, message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def share_test_resources(server: SluiceServer, name: str) -> None:
    """Let account `name` use what the default account's tests use: the local buckets `s3_flow`
    names (`sluice buckets grant`) and the test Lambda ARNs' local handler (`sluice connectors link`)."""
    from tests.support.server import OFFLINE_HANDLER, TEST_LAMBDA_ARNS

    for bucket in ("sluice-source", "sluice-destination"):
        done = server.cli("buckets", "grant", bucket, name)
        assert done.returncode == 0, done.stderr
    for arn in TEST_LAMBDA_ARNS:
        done = server.cli("connectors", "link", arn, OFFLINE_HANDLER, "--account", "default", "--account", name)
        assert done.returncode == 0, done.stderr
