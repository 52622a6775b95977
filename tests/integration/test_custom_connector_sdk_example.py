"""AWS's SDK example connector (a Salesforce connector) registered through the fake Lambda and in
local mode, pointed at the fake Salesforce org: register, profile, list/describe entities, a query
flow with a filter into S3, and a write flow back — through boto3 against the running server.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.fakes.lambda_endpoint.server import FakeLambda
from tests.fakes.salesforce.server import FakeSalesforce
from tests.integration.builders import unique
from tests.integration.test_custom_connectors import MOTO_KEYS, connector_env
from tests.integration.test_runs_s3 import wait
from tests.support.salesforce import APP_CLIENT_ID, USER
from tests.support.server import SluiceServer

HANDLER = f"{Path(__file__).resolve().parents[1] / 'fakes' / 'connectors' / 'sdk_salesforce_example.py'}:lambda_handler"


@pytest.fixture(scope="module")
def org() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(seed_counts={"Account": 300, "Contact": 0, "Opportunity": 0}).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def lambdas() -> Iterator[FakeLambda]:
    fake = FakeLambda(port=0).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def sluice(
    org: FakeSalesforce, lambdas: FakeLambda, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SluiceServer]:
    data_dir = tmp_path_factory.mktemp("sdk-example")
    server = SluiceServer(data_dir=data_dir, workers=1, extra_env={
        "SLUICE_S3_BACKEND": "local", "AWS_ENDPOINT_URL_LAMBDA": lambdas.url,
        "SLUICE_CONNECTOR_LINKS": str(data_dir / "links.json"),
        # Local handlers get only the variables the operator passes on (the stand-in's login URL).
        "FAKE_SALESFORCE_LOGIN_URL": org.url, "SLUICE_CONNECTOR_ENV": "FAKE_SALESFORCE_LOGIN_URL", **MOTO_KEYS,
    }).start()
    try:
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()[-4000:]


def oauth_profile(name: str, label: str, org: FakeSalesforce) -> dict[str, Any]:
    return {
        "connectorProfileName": name, "connectorType": "CustomConnector", "connectorLabel": label,
        "connectionMode": "Public",
        "connectorProfileConfig": {
            "connectorProfileProperties": {"CustomConnector": {"profileProperties": {
                "instanceUrl": org.url, "IsSandboxAccount": "false"}}},
            "connectorProfileCredentials": {"CustomConnector": {"authenticationType": "OAUTH2", "oauth2": {
                "accessToken": org.org.auth.issue_token(USER, APP_CLIENT_ID),
                "refreshToken": org.org.auth.issue_refresh_token(USER, APP_CLIENT_ID),
                "clientId": APP_CLIENT_ID}}},
        },
    }


@pytest.mark.parametrize("mode", ["lambda", "local"])
def test_sdk_example_against_the_fake_org(mode: str, sluice: SluiceServer, lambdas: FakeLambda,
                                          org: FakeSalesforce) -> None:
    client = sluice.client()
    label = unique(f"sfexample-{mode}")
    if mode == "lambda":
        env = {**connector_env(sluice, label), "FAKE_SALESFORCE_LOGIN_URL": org.url}
        arn = lambdas.add_function(label, HANDLER, env=env)
    else:
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{label}"
        assert sluice.cli("connectors", "link", arn, HANDLER).returncode == 0
    client.register_connector(connectorLabel=label, connectorProvisioningType="LAMBDA",
                              connectorProvisioningConfig={"lambda": {"lambdaArn": arn}})
    config = client.describe_connector(connectorType="CustomConnector", connectorLabel=label)["connectorConfiguration"]
    assert config["authenticationConfig"]["isOAuth2Supported"] is True
    profile = unique("sfex")
    client.create_connector_profile(**oauth_profile(profile, label, org))

    entities = client.list_connector_entities(connectorProfileName=profile)["connectorEntityMap"]
    assert "Account" in {e["name"] for group in entities.values() for e in group}
    fields = client.describe_connector_entity(connectorProfileName=profile, connectorEntityName="Account")
    assert {"Id", "Name", "AnnualRevenue"} <= {f["identifier"] for f in fields["connectorEntityFields"]}

    bucket = unique("b")
    (sluice.data_dir / "s3" / bucket).mkdir(parents=True)
    read = unique("accounts")
    keep = ["Id", "Name", "AnnualRevenue"]
    client.create_flow(
        flowName=read, triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "CustomConnector", "connectorProfileName": profile,
                          "sourceConnectorProperties": {"CustomConnector": {"entityName": "Account"}}},
        destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
            "bucketName": bucket, "s3OutputFormatConfig": {"fileType": "PARQUET"}}}}],
        tasks=[
            {"taskType": "Filter", "sourceFields": keep, "connectorOperator": {"CustomConnector": "PROJECTION"}},
            {"taskType": "Filter", "sourceFields": ["AnnualRevenue"],
             "connectorOperator": {"CustomConnector": "GREATER_THAN"},
             "taskProperties": {"DATA_TYPE": "double", "VALUE": "25000000"}},
            *[{"taskType": "Map", "sourceFields": [f], "destinationField": f,
               "connectorOperator": {"CustomConnector": "NO_OP"}} for f in keep],
        ],
    )
    record = wait(client, read, client.start_flow(flowName=read)["executionId"], timeout=120)
    assert record["executionStatus"] == "Successful", record
    files = [f for f in (sluice.data_dir / "s3" / bucket).rglob("*.parquet") if ".sluice-staging" not in f.parts]
    rows = [r for f in files for r in pq.read_table(io.BytesIO(f.read_bytes())).to_pylist()]
    expected = sorted(r[0] for r in org.org.query("SELECT Id FROM Account WHERE AnnualRevenue > 25000000").rows)
    assert sorted(r["Id"] for r in rows) == expected and expected

    source, write = unique("in"), unique("write")
    (sluice.data_dir / "s3" / source / "in").mkdir(parents=True)
    tag = unique("ex")
    out = io.BytesIO()
    pacsv.write_csv(pa.Table.from_pylist([{"Name": f"{tag}-{i}"} for i in range(3)]), out)
    (sluice.data_dir / "s3" / source / "in" / "accounts.csv").write_bytes(out.getvalue())
    client.create_flow(
        flowName=write, triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {"S3": {
            "bucketName": source, "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
        destinationFlowConfigList=[{"connectorType": "CustomConnector", "connectorProfileName": profile,
                                    "destinationConnectorProperties": {"CustomConnector": {
                                        "entityName": "Account", "writeOperationType": "INSERT"}}}],
        tasks=[{"taskType": "Map", "sourceFields": ["Name"], "destinationField": "Name",
                "connectorOperator": {"S3": "NO_OP"}}],
    )
    record = wait(client, write, client.start_flow(flowName=write)["executionId"], timeout=120)
    assert record["executionStatus"] == "Successful", record
    names = {r[0] for r in org.org.query(f"SELECT Name FROM Account WHERE Name LIKE '{tag}-%'").rows}
    assert names == {f"{tag}-{i}" for i in range(3)}
