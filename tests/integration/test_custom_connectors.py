"""Custom connectors written with AWS's SDK, through boto3 against the running server: behind a fake
Lambda Invoke endpoint (reached by Sluice through boto3 and AWS_ENDPOINT_URL_LAMBDA) and in local
mode (`sluice connectors link`). The example connector in examples/sqlite_connector is registered,
profiled, described, read with pushed-down filters into S3 and written back, both ways.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.fakes.lambda_endpoint.server import FakeLambda
from tests.integration.builders import unique
from tests.integration.test_runs_s3 import wait
from tests.support.server import SluiceServer

ROOT = Path(__file__).resolve().parents[2]
SQLITE_HANDLER = f"{ROOT / 'examples' / 'sqlite_connector' / 'handler.py'}:lambda_handler"
MOTO_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def lambdas() -> Iterator[FakeLambda]:
    fake = FakeLambda(port=0).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def sluice(lambdas: FakeLambda, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    data_dir = tmp_path_factory.mktemp("custom")
    # The example connector's databases folder: outside the data dir, open to the worker's user.
    databases = Path(tempfile.mkdtemp(prefix="sluice-example-dbs-"))
    databases.chmod(0o777)
    server = SluiceServer(data_dir=data_dir, workers=1, extra_env={
        "SLUICE_S3_BACKEND": "local", "AWS_ENDPOINT_URL_LAMBDA": lambdas.url,
        "SLUICE_CONNECTOR_LINKS": str(data_dir / "links.json"), **MOTO_KEYS,
        "SLUICE_EXAMPLE_CONNECTOR_DIR": str(databases), "SLUICE_CONNECTOR_ENV": "SLUICE_EXAMPLE_CONNECTOR_DIR",
    }).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(databases, ignore_errors=True)
    assert "Traceback" not in server.log(), server.log()[-4000:]


def connector_env(server: SluiceServer, label: str) -> dict[str, str]:
    """What `sluice connectors env --label` tells an operator to give a deployed connector."""
    out = server.cli("connectors", "env", "--label", label)
    assert out.returncode == 0, out.stderr
    env = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = server.url
    if "SLUICE_EXAMPLE_CONNECTOR_DIR" in server.extra_env:
        env["SLUICE_EXAMPLE_CONNECTOR_DIR"] = server.extra_env["SLUICE_EXAMPLE_CONNECTOR_DIR"]
    return env


def deploy(mode: str, sluice: SluiceServer, lambdas: FakeLambda, name: str, handler: str) -> str:
    """The Lambda ARN of `handler`: a function on the fake Lambda, or an ARN linked to local code."""
    if mode == "lambda":
        return lambdas.add_function(name, handler, env=connector_env(sluice, name), timeout=30)
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    out = sluice.cli("connectors", "link", arn, handler)
    assert out.returncode == 0, out.stderr
    return arn


def shop_profile(name: str, label: str, database: Path, token: str = "example-token") -> dict[str, Any]:
    return {
        "connectorProfileName": name, "connectorType": "CustomConnector", "connectorLabel": label,
        "connectionMode": "Public",
        "connectorProfileConfig": {
            "connectorProfileProperties": {"CustomConnector": {"profileProperties": {"databasePath": database.name}}},
            "connectorProfileCredentials": {"CustomConnector": {"authenticationType": "CUSTOM", "custom": {
                "customAuthenticationType": "ApiToken", "credentialsMap": {"apiToken": token}}}},
        },
    }


@pytest.mark.parametrize("mode", ["lambda", "local"])
def test_sqlite_example_connector_end_to_end(mode: str, sluice: SluiceServer, lambdas: FakeLambda,
                                             tmp_path: Path) -> None:
    client = sluice.client()
    label = unique(f"shop-{mode}")
    arn = deploy(mode, sluice, lambdas, label, SQLITE_HANDLER)
    client.register_connector(connectorLabel=label, connectorProvisioningType="LAMBDA",
                              connectorProvisioningConfig={"lambda": {"lambdaArn": arn}})
    config = client.describe_connector(connectorType="CustomConnector", connectorLabel=label)["connectorConfiguration"]
    assert config["canUseAsSource"] and config["canUseAsDestination"]
    assert {"INSERT", "UPSERT", "UPDATE", "DELETE"} <= set(config["supportedWriteOperations"])
    assert config["authenticationConfig"]["isCustomAuthSupported"] is True

    database = Path(sluice.extra_env["SLUICE_EXAMPLE_CONNECTOR_DIR"]) / f"{label}.db"
    with pytest.raises(client.exceptions.ConnectorAuthenticationException):
        client.create_connector_profile(**shop_profile(unique("shop"), label, database, token="wrong"))
    profile = unique("shop")
    client.create_connector_profile(**shop_profile(profile, label, database))
    detail = client.describe_connector_profiles(connectorProfileNames=[profile])["connectorProfileDetails"][0]
    assert "example-token" not in json.dumps(detail, default=str)

    entities = client.list_connector_entities(connectorProfileName=profile)["connectorEntityMap"]
    assert {"customers", "orders", "products"} <= {e["name"] for group in entities.values() for e in group}
    fields = client.describe_connector_entity(connectorProfileName=profile, connectorEntityName="orders")
    names = {f["identifier"] for f in fields["connectorEntityFields"]}
    assert {"id", "customer_id", "amount", "status", "ordered_at"} <= names

    # orders -> S3 with a projection and filters the connector evaluates.
    bucket = unique("b")
    (sluice.data_dir / "s3" / bucket).mkdir(parents=True)
    read = unique("orders")
    keep = ["id", "amount", "status"]
    client.create_flow(
        flowName=read, triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "CustomConnector", "connectorProfileName": profile,
                          "sourceConnectorProperties": {"CustomConnector": {"entityName": "orders"}}},
        destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
            "bucketName": bucket, "s3OutputFormatConfig": {"fileType": "PARQUET"}}}}],
        tasks=[
            {"taskType": "Filter", "sourceFields": keep, "connectorOperator": {"CustomConnector": "PROJECTION"}},
            {"taskType": "Filter", "sourceFields": ["amount"], "connectorOperator": {"CustomConnector": "GREATER_THAN"},
             "taskProperties": {"DATA_TYPE": "double", "VALUE": "400"}},
            {"taskType": "Filter", "sourceFields": ["status"], "connectorOperator": {"CustomConnector": "EQUAL_TO"},
             "taskProperties": {"DATA_TYPE": "string", "VALUE": "shipped"}},
            *[{"taskType": "Map", "sourceFields": [f], "destinationField": f,
               "connectorOperator": {"CustomConnector": "NO_OP"}} for f in keep],
        ],
    )
    record = wait(client, read, client.start_flow(flowName=read)["executionId"], timeout=120)
    assert record["executionStatus"] == "Successful", record
    files = [f for f in (sluice.data_dir / "s3" / bucket).rglob("*.parquet") if ".sluice-staging" not in f.parts]
    rows = [r for f in files for r in pq.read_table(io.BytesIO(f.read_bytes())).to_pylist()]
    with sqlite3.connect(database) as db:
        expected = sorted(r[0] for r in db.execute("SELECT id FROM orders WHERE amount > 400 AND status = 'shipped'"))
    assert sorted(int(r["id"]) for r in rows) == expected and expected  # strings: preserveSourceDataTyping off
    # Only matching records crossed the connector protocol: the filter ran in the connector.
    assert record["executionResult"]["recordsProcessed"] == len(expected)

    # S3 CSV -> customers INSERT, one record refused by the database's CHECK constraint.
    source, errors, write = unique("in"), unique("err"), unique("write")
    (sluice.data_dir / "s3" / source / "in").mkdir(parents=True)
    (sluice.data_dir / "s3" / errors).mkdir(parents=True)
    tag = unique("c")
    people = [{"name": f"{tag}-{i}", "email": f"{tag}-{i}@example.com", "country": "NZ"} for i in range(3)]
    people.append({"name": f"{tag}-bad", "email": f"{tag}-bad@example.com", "country": "NOT-A-CODE"})
    out = io.BytesIO()
    pacsv.write_csv(pa.Table.from_pylist(people), out)
    (sluice.data_dir / "s3" / source / "in" / "people.csv").write_bytes(out.getvalue())
    client.create_flow(
        flowName=write, triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {"S3": {
            "bucketName": source, "bucketPrefix": "in", "s3InputFormatConfig": {"s3InputFileType": "CSV"}}}},
        destinationFlowConfigList=[{"connectorType": "CustomConnector", "connectorProfileName": profile,
                                    "destinationConnectorProperties": {"CustomConnector": {
                                        "entityName": "customers", "writeOperationType": "INSERT",
                                        "errorHandlingConfig": {"bucketName": errors, "bucketPrefix": "cc"}}}}],
        tasks=[{"taskType": "Map", "sourceFields": [c], "destinationField": c, "connectorOperator": {"S3": "NO_OP"}}
               for c in people[0]],
    )
    record = wait(client, write, client.start_flow(flowName=write)["executionId"], timeout=120)
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["errorInfo"]["putFailuresCount"] == 1
    with sqlite3.connect(database) as db:
        written = {r[0] for r in db.execute("SELECT name FROM customers WHERE name LIKE ?", (f"{tag}-%",))}
    assert written == {f"{tag}-{i}" for i in range(3)}
    failed = [json.loads(line) for f in (sluice.data_dir / "s3" / errors).rglob("*.jsonl")
              for line in f.read_text().splitlines() if line]
    assert [r["name"] for r in failed] == [f"{tag}-bad"]

    # A new version of the function is described again; a connector in use cannot be unregistered.
    client.update_connector_registration(connectorLabel=label, description="v2")
    assert client.describe_connector(connectorType="CustomConnector",
                                     connectorLabel=label)["connectorConfiguration"]["connectorVersion"] == "2"
    with pytest.raises(client.exceptions.ConflictException):
        client.unregister_connector(connectorLabel=label)
    client.unregister_connector(connectorLabel=label, forceDelete=True)


def test_registration_fails_naming_why(sluice: SluiceServer, lambdas: FakeLambda) -> None:
    client = sluice.client()
    label = unique("garbage")
    garbage = lambdas.add_function(label, "tests.fakes.connectors.broken:garbage", env=connector_env(sluice, label))
    with pytest.raises(client.exceptions.ConnectorServerException) as caught:
        client.register_connector(connectorLabel=label, connectorProvisioningType="LAMBDA",
                                  connectorProvisioningConfig={"lambda": {"lambdaArn": garbage}})
    assert garbage in caught.value.response["Error"]["Message"]
    missing = "arn:aws:lambda:us-east-1:123456789012:function:nobody-home"
    with pytest.raises(client.exceptions.ConnectorServerException) as caught:
        client.register_connector(connectorLabel=unique("missing"), connectorProvisioningType="LAMBDA",
                                  connectorProvisioningConfig={"lambda": {"lambdaArn": missing}})
    assert "nobody-home" in caught.value.response["Error"]["Message"]
