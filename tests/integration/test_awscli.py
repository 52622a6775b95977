"""The AWS CLI (v1, installed with the test dependencies) drives a real server end to end.

The CLI is pointed at Sluice both ways a user would: `--endpoint-url` on every command, and the
service-specific `AWS_ENDPOINT_URL_APPFLOW` environment variable. Keys and region come from the
standard `AWS_*` variables; `~/.aws` is kept out of the way so the machine's config cannot leak in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.builders import salesforce_profile
from tests.support.server import ACCESS_KEY, REGION, SECRET_KEY, SluiceServer

AWS = shutil.which("aws", path=os.path.dirname(sys.executable))
pytestmark = pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed next to this Python")


@pytest.fixture(scope="module")
def cli_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    """One SQLite server for the module (no run workers: started runs stay InProgress)."""
    server = SluiceServer(data_dir=tmp_path_factory.mktemp("sluice-awscli"), workers=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Cli:
    """Runs `aws appflow ...` pointed at the server one way or the other."""

    def __init__(self, server: SluiceServer, how: str, home: Path) -> None:
        self.server = server
        self.how = how
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "AWS_CONFIG_FILE": str(home / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        if how == "env":
            self.env["AWS_ENDPOINT_URL_APPFLOW"] = server.url

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`aws appflow <args> --output json`, without checking the exit code."""
        command = [str(AWS), "appflow", *args, "--output", "json"]
        if self.how == "flag":
            command += ["--endpoint-url", self.server.url]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=120, check=False)

    def json(self, *args: str) -> Any:
        """Run and parse the JSON output; the command must succeed."""
        done = self.run(*args)
        assert done.returncode == 0, f"aws appflow {' '.join(args)}: rc={done.returncode}\n{done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else {}


@pytest.fixture(params=["flag", "env"])
def cli(request: pytest.FixtureRequest, cli_server: SluiceServer, tmp_path: Path) -> Cli:
    """The CLI with `--endpoint-url` ("flag") or `AWS_ENDPOINT_URL_APPFLOW` ("env")."""
    return Cli(cli_server, request.param, tmp_path)


def _flow_input(name: str) -> dict[str, Any]:
    return {
        "flowName": name,
        "description": "created by the AWS CLI",
        "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {
            "connectorType": "S3",
            "sourceConnectorProperties": {"S3": {"bucketName": "cli-source", "bucketPrefix": "in"}},
        },
        "destinationFlowConfigList": [{
            "connectorType": "S3",
            "destinationConnectorProperties": {"S3": {"bucketName": "cli-destination", "bucketPrefix": "out"}},
        }],
        "tasks": [{
            "sourceFields": [],
            "taskType": "Map_all",
            "connectorOperator": {"S3": "NO_OP"},
            "taskProperties": {"EXCLUDE_SOURCE_FIELDS_LIST": "[]"},
        }],
    }


def test_describe_connectors(cli: Cli) -> None:
    out = cli.json("describe-connectors", "--connector-types", "S3")
    s3 = out["connectorConfigurations"]["S3"]
    assert s3["canUseAsSource"] is True
    assert s3["canUseAsDestination"] is True


def test_profile_flow_run_tags_and_delete(cli: Cli) -> None:
    suffix = uuid.uuid4().hex[:10]
    profile_name, flow_name = f"cli-profile-{suffix}", f"cli-flow-{suffix}"

    profile = cli.json("create-connector-profile", "--cli-input-json", json.dumps(salesforce_profile(profile_name)))
    assert profile["connectorProfileArn"].endswith(f":connectorprofile/{profile_name}")
    described = cli.json("describe-connector-profiles", "--connector-profile-names", profile_name)
    assert [p["connectorProfileName"] for p in described["connectorProfileDetails"]] == [profile_name]

    created = cli.json("create-flow", "--cli-input-json", json.dumps(_flow_input(flow_name)))
    flow_arn = created["flowArn"]
    assert flow_arn.endswith(f":flow/{flow_name}")
    assert created["flowStatus"] == "Active"

    flow = cli.json("describe-flow", "--flow-name", flow_name)
    assert flow["flowName"] == flow_name
    assert flow["description"] == "created by the AWS CLI"
    assert flow["sourceFlowConfig"]["connectorType"] == "S3"
    assert flow["triggerConfig"]["triggerType"] == "OnDemand"
    assert isinstance(flow["createdAt"], float | int)

    listed = cli.json("list-flows")
    assert flow_name in [f["flowName"] for f in listed["flows"]]

    started = cli.json("start-flow", "--flow-name", flow_name)
    assert started["flowArn"] == flow_arn
    execution_id = started["executionId"]
    records = cli.json("describe-flow-execution-records", "--flow-name", flow_name)
    assert [r["executionId"] for r in records["flowExecutions"]] == [execution_id]
    assert records["flowExecutions"][0]["executionStatus"] in ("InProgress", "Error")

    cli.json("tag-resource", "--resource-arn", flow_arn, "--tags", "team=data,stage=test")
    tags = cli.json("list-tags-for-resource", "--resource-arn", flow_arn)
    assert tags["tags"] == {"team": "data", "stage": "test"}

    cli.json("delete-flow", "--flow-name", flow_name, "--force-delete")
    assert flow_name not in [f["flowName"] for f in cli.json("list-flows")["flows"]]
    cli.json("delete-connector-profile", "--connector-profile-name", profile_name)


def test_missing_flow_is_an_error_exit(cli: Cli) -> None:
    done = cli.run("describe-flow", "--flow-name", f"no-such-flow-{uuid.uuid4().hex[:8]}")
    assert done.returncode in (254, 255), (done.returncode, done.stdout, done.stderr)
    assert "ResourceNotFoundException" in done.stderr
    assert done.stdout.strip() == ""
