"""Each account reaches AWS as itself: S3 (aws backend), Glue, Secrets Manager and Lambda.

Two servers: `aws_server` talks to a moto server (S3, STS, Glue, Secrets Manager; the moto state
is in this process, so a test can read which roles were assumed and in which moto account data
landed) with Lambda pointed at a capture listener; `offline_server` points every AWS endpoint at
a capture listener, so a test can prove that nothing was called at all. moto maps credentials to
its accounts: the server's keys (`testing`) are account 123456789012, a role assumed in
222222222222 (or an IAM key created there) signs as 222222222222, so data a tenant's run can see
proves whose identity signed the calls.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest

from tests.integration.builders import unique
from tests.integration.test_runs_s3 import MAP_ALL, MOTO_KEYS, csv_bytes, s3_flow, wait
from tests.security.conftest import Capture, Tenant, default_account, listening, new_account
from tests.support.salesforce import profile_request
from tests.support.server import SluiceServer

SERVER_ACCOUNT = "123456789012"  # moto's default account: the server's own keys
ROLE_ACCOUNT = "222222222222"
KEYS_ACCOUNT = "333333333333"
SHARED_FUNCTIONS = "arn:aws:lambda:*:999999999999:function:shared-*"
NO_IDENTITY = "has no AWS identity configured"


def moto_session(moto_url: str, account_id: str) -> Any:
    """A boto3 session signing as moto account `account_id` (through a role assumed there)."""
    sts = boto3.client("sts", endpoint_url=moto_url, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/test-admin", RoleSessionName="test")
    keys = creds["Credentials"]
    return boto3.session.Session(aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
                                 aws_session_token=keys["SessionToken"], region_name="us-east-1")


def assumed(account_id: str, role_name: str) -> list[tuple[str | None, str]]:
    """(external id, session name) of every AssumeRole of `role_name` that moto recorded in the account."""
    from moto.sts.models import sts_backends

    return [(r.external_id, r.session_name) for r in sts_backends[account_id]["aws"].assumed_roles
            if r.role_arn == f"arn:aws:iam::{account_id}:role/{role_name}"]


def error_of(caught: Any) -> tuple[str, str]:
    """(code, message) of a boto3 ClientError."""
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def aws_cli(server: SluiceServer, *args: str) -> str:
    """`sluice accounts aws ...`; its output (it must succeed)."""
    done = server.cli("accounts", "aws", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def signed_with(requests: list[bytes]) -> list[str]:
    """The access key ids that signed the recorded requests."""
    return [m.group(1).decode() for r in requests for m in [re.search(rb"Credential=([^/]+)/", r)] if m]


@pytest.fixture(scope="module")
def lambda_capture() -> Iterator[Capture]:
    """Stands in for the Lambda service of `aws_server` (moto's Lambda needs Docker)."""
    with listening() as listener:
        yield listener


@pytest.fixture(scope="module")
def aws_server(start_server: Any, moto_s3: str, lambda_capture: Capture) -> SluiceServer:
    """A server on moto (S3 backend `aws`, Glue, STS, Secrets Manager), Lambda at the capture listener."""
    return start_server(
        workers=1, SLUICE_S3_BACKEND="aws", AWS_ENDPOINT_URL=moto_s3, AWS_ENDPOINT_URL_S3=moto_s3,
        AWS_ENDPOINT_URL_LAMBDA=lambda_capture.url, SLUICE_LAMBDA_ALLOWED_ARNS=SHARED_FUNCTIONS,
        SLUICE_ALLOW_PRIVATE_ENDPOINTS="true", **MOTO_KEYS,
    )


@pytest.fixture(scope="module")
def offline_capture() -> Iterator[Capture]:
    """Every AWS endpoint of `offline_server`."""
    with listening() as listener:
        yield listener


@pytest.fixture(scope="module")
def offline_server(start_server: Any, offline_capture: Capture) -> SluiceServer:
    """A server on the embedded S3 store whose AWS endpoints (Glue, STS, Secrets Manager, Lambda) are a listener."""
    return start_server(
        workers=1, SLUICE_S3_BACKEND="local", AWS_ENDPOINT_URL=offline_capture.url,
        AWS_ENDPOINT_URL_LAMBDA=offline_capture.url, SLUICE_ALLOW_PRIVATE_ENDPOINTS="true", **MOTO_KEYS,
    )


# -- an account without an AWS identity ------------------------------------------------------


def test_no_identity_never_borrows_the_servers_for_the_aws_s3_backend(aws_server: SluiceServer, moto_s3: str) -> None:
    # Buckets the server's own identity can read: a fallback to it would make this run succeed.
    s3 = moto_session(moto_s3, SERVER_ACCOUNT).client("s3", endpoint_url=moto_s3)
    src, dst = unique("src"), unique("dst")
    s3.create_bucket(Bucket=src)
    s3.create_bucket(Bucket=dst)
    s3.put_object(Bucket=src, Key="in/a.csv", Body=csv_bytes([{"id": "1", "name": "a"}]))
    tenant = new_account(aws_server, unique("no-aws"))
    client = tenant.client()

    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.list_connector_entities(connectorType="S3")
    assert NO_IDENTITY in error_of(caught)[1] and "sluice accounts aws" in error_of(caught)[1]
    with pytest.raises(client.exceptions.ValidationException):
        client.describe_connector_entity(connectorType="S3", connectorEntityName=f"{src}/in/a.csv")

    name = unique("flow")
    client.create_flow(**s3_flow(name, src, dst, MAP_ALL))
    record = wait(client, name, client.start_flow(flowName=name)["executionId"])
    assert record["executionStatus"] == "Error", record
    assert NO_IDENTITY in record["executionResult"]["errorInfo"]["executionMessage"]
    assert "Contents" not in s3.list_objects_v2(Bucket=dst)


def test_no_identity_calls_no_glue_secrets_manager_or_lambda(
    offline_server: SluiceServer, offline_capture: Capture
) -> None:
    tenant = new_account(offline_server, unique("no-aws"))
    client = tenant.client()
    offline_capture.clear()

    # Glue: the data is written (embedded store), the catalog is refused, nothing is called.
    src, dst, name = unique("src"), unique("dst"), unique("glue")
    (offline_server.data_dir / "s3" / dst).mkdir(parents=True)
    (offline_server.data_dir / "s3" / src / "in").mkdir(parents=True)
    (offline_server.data_dir / "s3" / src / "in" / "a.csv").write_bytes(csv_bytes([{"id": "1", "region": "eu"}]))
    for bucket in (src, dst):  # the embedded store's buckets belong to the tenant
        done = offline_server.cli("buckets", "create", bucket, "--account", tenant.name)
        assert done.returncode == 0, done.stderr
    flow = s3_flow(name, src, dst, MAP_ALL)
    flow["metadataCatalogConfig"] = {"glueDataCatalog": {
        "roleArn": f"arn:aws:iam::{SERVER_ACCOUNT}:role/glue", "databaseName": "tenant_db", "tablePrefix": "t"}}
    client.create_flow(**flow)
    record = wait(client, name, client.start_flow(flowName=name)["executionId"])
    assert record["executionStatus"] == "Successful", record
    (detail,) = record["metadataCatalogDetails"]
    assert detail["tableRegistrationOutput"]["status"] == "Error"
    assert NO_IDENTITY in detail["tableRegistrationOutput"]["message"]

    # Secrets Manager: the client-credentials secret is not read (and nothing is posted anywhere).
    arn = f"arn:aws:secretsmanager:us-east-1:{SERVER_ACCOUNT}:secret:operator-app-AbCdEf"
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.create_connector_profile(**profile_request(unique("sf"), offline_capture.url, {
            "oAuth2GrantType": "CLIENT_CREDENTIALS", "clientCredentialsArn": arn}))
    assert NO_IDENTITY in error_of(caught)[1]

    # Lambda: a function the operator did not allow is not invoked.
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.register_connector(connectorLabel=unique("fn"), connectorProvisioningType="LAMBDA",
                                  connectorProvisioningConfig={"lambda": {
                                      "lambdaArn": f"arn:aws:lambda:us-east-1:{SERVER_ACCOUNT}:function:operator-fn"}})
    assert "may not invoke the Lambda function" in error_of(caught)[1]
    assert offline_capture.requests == []


# -- an account with its own identity --------------------------------------------------------


def test_a_role_identity_is_assumed_with_its_external_id_and_signs_s3_and_glue(
    aws_server: SluiceServer, moto_s3: str
) -> None:
    tenant = new_account(aws_server, unique("role"))
    external_id = unique("ext")
    out = aws_cli(aws_server, tenant.name, "--role-arn", f"arn:aws:iam::{ROLE_ACCOUNT}:role/sluice-tenant",
                  "--external-id", external_id)
    assert "sluice-tenant" in out and external_id not in out
    assert external_id not in aws_cli(aws_server, tenant.name)  # shown without its secret parts

    mine = moto_session(moto_s3, ROLE_ACCOUNT)
    s3 = mine.client("s3", endpoint_url=moto_s3)
    src, dst, name = unique("src"), unique("dst"), unique("flow")
    s3.create_bucket(Bucket=src)
    s3.create_bucket(Bucket=dst)
    s3.put_object(Bucket=src, Key="in/a.csv", Body=csv_bytes([{"id": "1", "region": "eu"}]))
    operators = moto_session(moto_s3, SERVER_ACCOUNT).client("s3", endpoint_url=moto_s3)
    operators.create_bucket(Bucket=unique("operator"))
    client = tenant.client()

    listed = {e["name"] for group in client.list_connector_entities(connectorType="S3")["connectorEntityMap"].values()
              for e in group}
    assert {src, dst} <= listed
    assert not any(b["Name"] in listed for b in operators.list_buckets()["Buckets"])

    flow = s3_flow(name, src, dst, MAP_ALL)
    flow["metadataCatalogConfig"] = {"glueDataCatalog": {
        "roleArn": f"arn:aws:iam::{ROLE_ACCOUNT}:role/glue-writer", "databaseName": "tenant_db", "tablePrefix": "t"}}
    client.create_flow(**flow)
    execution_id = client.start_flow(flowName=name)["executionId"]
    record = wait(client, name, execution_id)
    assert record["executionStatus"] == "Successful", record
    (written,) = s3.list_objects_v2(Bucket=dst)["Contents"]
    assert written["Key"].startswith(f"out/{name}/{execution_id}/")
    (detail,) = record["metadataCatalogDetails"]
    assert detail["tableRegistrationOutput"]["status"] == "Successful", detail

    # The table is in the tenant's catalog, not the server's.
    table = f"t_{name}".lower().replace("-", "_")
    glue = mine.client("glue", endpoint_url=moto_s3)
    assert glue.get_table(DatabaseName="tenant_db", Name=table)["Table"]["StorageDescriptor"]["Location"] == (
        f"s3://{dst}/out/{name}/{execution_id}/")
    server_glue = moto_session(moto_s3, SERVER_ACCOUNT).client("glue", endpoint_url=moto_s3)
    with pytest.raises(server_glue.exceptions.EntityNotFoundException):
        server_glue.get_table(DatabaseName="tenant_db", Name=table)

    # The account's role was assumed with its external id; the flow's Glue role after it.
    session = f"sluice-{tenant.account_id}"
    assert (external_id, session) in assumed(ROLE_ACCOUNT, "sluice-tenant")
    assert (None, session) in assumed(ROLE_ACCOUNT, "glue-writer")

    # Cleared: refused again, never the server's identity.
    assert "cleared" in aws_cli(aws_server, tenant.name, "--clear")
    with pytest.raises(client.exceptions.ValidationException):  # (a listing not cached yet)
        client.list_connector_entities(connectorType="S3", entitiesPath=dst)


@pytest.fixture
def keyed_tenant(aws_server: SluiceServer, moto_s3: str) -> tuple[Tenant, str]:
    """A tenant whose AWS identity is an IAM user's key pair in moto account KEYS_ACCOUNT."""
    iam = boto3.client("iam", endpoint_url=moto_s3, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    iam.meta.events.register("before-send.iam.*", _in_keys_account)
    user = unique("tenant")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    tenant = new_account(aws_server, unique("keys"))
    out = aws_cli(aws_server, tenant.name, "--access-key-id", key["AccessKeyId"],
                  "--secret-access-key", key["SecretAccessKey"])
    assert key["AccessKeyId"] in out and key["SecretAccessKey"] not in out
    return tenant, key["AccessKeyId"]


def _in_keys_account(request: Any, **_: Any) -> None:
    request.headers["x-moto-account-id"] = KEYS_ACCOUNT


def test_client_credentials_secrets_are_read_as_the_account_and_only_from_its_aws_account(
    aws_server: SluiceServer, moto_s3: str, keyed_tenant: tuple[Tenant, str], capture: Capture
) -> None:
    tenant, _ = keyed_tenant
    client = tenant.client()
    body = json.dumps({"clientId": "app-id", "clientSecret": "app-secret"})
    operators = moto_session(moto_s3, SERVER_ACCOUNT).client("secretsmanager", endpoint_url=moto_s3)
    operator_arn = operators.create_secret(Name=unique("operator-app"), SecretString=body)["ARN"]
    own_arn = moto_session(moto_s3, KEYS_ACCOUNT).client("secretsmanager", endpoint_url=moto_s3).create_secret(
        Name=unique("tenant-app"), SecretString=body)["ARN"]

    # Another AWS account's secret (here: the server's) is refused before any call.
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.create_connector_profile(**profile_request(unique("sf"), capture.url, {
            "oAuth2GrantType": "CLIENT_CREDENTIALS", "clientCredentialsArn": operator_arn}))
    assert f"belongs to AWS account {SERVER_ACCOUNT}" in error_of(caught)[1]
    assert capture.requests == []

    # Its own secret is read with its keys (it exists only in its moto account); the grant is then
    # posted to the org, which here refuses it.
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.create_connector_profile(**profile_request(unique("sf"), capture.url, {
            "oAuth2GrantType": "CLIENT_CREDENTIALS", "clientCredentialsArn": own_arn}))
    assert "app-secret" not in json.dumps(caught.value.response, default=str)
    assert [r.split(b" ")[:2] for r in capture.requests] == [[b"POST", b"/services/oauth2/token"]]


def test_lambda_is_invoked_as_the_account_or_the_operator_allow_list(
    aws_server: SluiceServer, keyed_tenant: tuple[Tenant, str], lambda_capture: Capture
) -> None:
    tenant, key_id = keyed_tenant
    lambda_capture.clear()
    own = f"arn:aws:lambda:us-east-1:{KEYS_ACCOUNT}:function:{unique('fn')}"
    client = tenant.client()
    # The listener answers `{}`, which is no connector configuration: the call itself is the point.
    with pytest.raises(client.exceptions.ConnectorServerException):
        client.register_connector(connectorLabel=unique("own"), connectorProvisioningType="LAMBDA",
                                  connectorProvisioningConfig={"lambda": {"lambdaArn": own}})
    assert signed_with(lambda_capture.requests) == [key_id]

    # An account without an identity may use what the operator allows, invoked as the server.
    lambda_capture.clear()
    bare = new_account(aws_server, unique("no-aws")).client()
    shared = "arn:aws:lambda:us-east-1:999999999999:function:shared-etl"
    with pytest.raises(bare.exceptions.ConnectorServerException):
        bare.register_connector(connectorLabel=unique("shared"), connectorProvisioningType="LAMBDA",
                                connectorProvisioningConfig={"lambda": {"lambdaArn": shared}})
    assert signed_with(lambda_capture.requests) == ["testing"]
    lambda_capture.clear()
    with pytest.raises(bare.exceptions.ValidationException):
        bare.register_connector(connectorLabel=unique("other"), connectorProvisioningType="LAMBDA",
                                connectorProvisioningConfig={"lambda": {"lambdaArn": own}})
    assert lambda_capture.requests == []


# -- Glue partitions point at the data -------------------------------------------------------


def test_glue_partitions_follow_each_run_and_use_the_escaped_folder(aws_server: SluiceServer, moto_s3: str) -> None:
    operator = moto_session(moto_s3, SERVER_ACCOUNT)
    s3 = operator.client("s3", endpoint_url=moto_s3)
    glue = operator.client("glue", endpoint_url=moto_s3)
    client = default_account(aws_server).client()
    src, dst, name = unique("src"), unique("dst"), unique("parts")
    s3.create_bucket(Bucket=src)
    s3.create_bucket(Bucket=dst)
    tasks = [*MAP_ALL, {"taskType": "Partition", "connectorOperator": {"S3": "NO_OP"}, "sourceFields": ["region"],
                        "taskProperties": {"ORDERED_PARTITION_KEYS_LIST": '["region"]'}}]
    flow = s3_flow(name, src, dst, tasks)
    flow["metadataCatalogConfig"] = {"glueDataCatalog": {
        "roleArn": f"arn:aws:iam::{SERVER_ACCOUNT}:role/glue", "databaseName": "parts_db", "tablePrefix": "p"}}
    client.create_flow(**flow)
    table = f"p_{name}".lower().replace("-", "_")

    def run(regions: list[str]) -> str:
        rows = [{"id": str(i), "region": region} for i, region in enumerate(regions)]
        s3.put_object(Bucket=src, Key="in/a.csv", Body=csv_bytes(rows))
        execution_id = client.start_flow(flowName=name)["executionId"]
        record = wait(client, name, execution_id)
        assert record["executionStatus"] == "Successful", record
        assert record["metadataCatalogDetails"][0]["partitionRegistrationOutput"]["status"] == "Successful"
        return str(execution_id)

    def partitions() -> dict[str, str]:
        found = glue.get_partitions(DatabaseName="parts_db", TableName=table)["Partitions"]
        return {p["Values"][0]: p["StorageDescriptor"]["Location"] for p in found}

    def rows_at(location: str) -> list[dict[str, Any]]:
        prefix = location.removeprefix(f"s3://{dst}/")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=dst, Prefix=prefix).get("Contents", [])]
        return [r for k in keys for r in pq.read_table(io.BytesIO(s3.get_object(Bucket=dst, Key=k)["Body"].read()))
                .to_pylist()]

    first = run(["eu", "n/a", "us", "eu"])
    base = f"s3://{dst}/out/{name}/{first}/"
    assert partitions() == {"eu": f"{base}region=eu/", "n/a": f"{base}region=n%2Fa/", "us": f"{base}region=us/"}
    assert [r["id"] for r in rows_at(partitions()["n/a"])] == ["1"]  # the escaped folder holds the data

    second = run(["n/a", "eu"])
    base = f"s3://{dst}/out/{name}/{second}/"
    # Every partition is the second run's; "us", which it did not write, no longer mixes in.
    assert partitions() == {"eu": f"{base}region=eu/", "n/a": f"{base}region=n%2Fa/"}
    assert glue.get_table(DatabaseName="parts_db", Name=table)["Table"]["StorageDescriptor"]["Location"] == base
    assert [r["id"] for r in rows_at(partitions()["eu"])] == ["1"]
    assert [r["id"] for r in rows_at(partitions()["n/a"])] == ["0"]
