"""The example native plug-in (examples/native_connector, entry point `sluice.connectors: csvdir`)
through boto3: a CustomConnector label that needs no RegisterConnector, its metadata, and runs in
both directions.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.integration.builders import unique
from tests.integration.test_runs_s3 import wait
from tests.support.flows import saas_server
from tests.support.server import SluiceServer


@pytest.fixture(scope="module")
def sluice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    with saas_server(tmp_path_factory.mktemp("plugin"), SLUICE_S3_BACKEND="local") as server:
        yield server


def csvdir_profile(name: str, path: Path) -> dict[str, Any]:
    return {
        "connectorProfileName": name, "connectorType": "CustomConnector", "connectorLabel": "csvdir",
        "connectionMode": "Public",
        "connectorProfileConfig": {"connectorProfileProperties": {"CustomConnector": {
            "profileProperties": {"path": str(path)}}}},
    }


def test_plugin_is_a_custom_connector_label(sluice: SluiceServer, tmp_path: Path) -> None:
    client = sluice.client()
    config = client.describe_connector(connectorType="CustomConnector", connectorLabel="csvdir")
    assert config["connectorConfiguration"]["canUseAsSource"] is True
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "people.csv").write_text("id,name,score\n1,ada,9.5\n2,grace,8.0\n3,alan,7.25\n")
    profile = unique("csvdir")
    client.create_connector_profile(**csvdir_profile(profile, folder))
    entities = client.list_connector_entities(connectorProfileName=profile)["connectorEntityMap"]
    assert [e["name"] for group in entities.values() for e in group] == ["people"]
    fields = client.describe_connector_entity(connectorProfileName=profile, connectorEntityName="people")
    assert [f["identifier"] for f in fields["connectorEntityFields"]] == ["id", "name", "score"]
    with pytest.raises(client.exceptions.ValidationException):
        client.create_connector_profile(**csvdir_profile(unique("csvdir"), tmp_path / "missing"))

    bucket = unique("b")
    (sluice.data_dir / "s3" / bucket).mkdir(parents=True)
    out = unique("out")
    client.create_flow(
        flowName=out, triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "CustomConnector", "connectorProfileName": profile,
                          "sourceConnectorProperties": {"CustomConnector": {"entityName": "people"}}},
        destinationFlowConfigList=[{"connectorType": "S3", "destinationConnectorProperties": {"S3": {
            "bucketName": bucket, "s3OutputFormatConfig": {"fileType": "PARQUET"}}}}],
        tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"CustomConnector": "NO_OP"},
                "taskProperties": {}}],
    )
    record = wait(client, out, client.start_flow(flowName=out)["executionId"])
    assert record["executionStatus"] == "Successful", record
    files = [f for f in (sluice.data_dir / "s3" / bucket).rglob("*.parquet") if ".sluice-staging" not in f.parts]
    rows = [r for f in files for r in pq.read_table(io.BytesIO(f.read_bytes())).to_pylist()]
    assert sorted(r["name"] for r in rows) == ["ada", "alan", "grace"]

    back = unique("back")
    client.create_flow(
        flowName=back, triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={"connectorType": "S3", "sourceConnectorProperties": {"S3": {
            "bucketName": bucket, "bucketPrefix": out}}},
        destinationFlowConfigList=[{"connectorType": "CustomConnector", "connectorProfileName": profile,
                                    "destinationConnectorProperties": {"CustomConnector": {"entityName": "copy"}}}],
        tasks=[{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"S3": "NO_OP"},
                "taskProperties": {}}],
    )
    record = wait(client, back, client.start_flow(flowName=back)["executionId"])
    assert record["executionStatus"] == "Successful", record
    copy = pacsv.read_csv(folder / "copy.csv").to_pylist()
    assert sorted(r["name"] for r in copy) == ["ada", "alan", "grace"]
