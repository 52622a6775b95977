"""Lookout for Metrics and Honeycode, whose AWS services are gone, over HTTP with boto3.

Both stay in the catalog (AppFlow's model lists them); CreateFlow and an UpdateFlow switching to
one are refused with a message naming the retirement and its date; a flow stored before (written
here straight into the store while the server is down, as an older version would have left it)
describes and deletes normally, and its run ends Error naming the retirement.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.store.db import open_engine, sqlite_url
from sluice.store.models import Flow
from tests.integration.builders import map_all_task, salesforce_profile, unique
from tests.support.flows import csv_bucket, new_bucket, s3_csv_source, s3_parquet_destination, start_and_wait
from tests.support.server import SluiceServer

RETIRED = {
    "LookoutMetrics": ({"LookoutMetrics": {}}, "Amazon Lookout for Metrics reached end of support on 2025-10-09"),
    "Honeycode": ({"Honeycode": {"object": "Tasks"}}, "Amazon Honeycode was discontinued on 2024-02-29"),
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SluiceServer]:
    sluice = SluiceServer(data_dir=tmp_path / "data", workers=1, extra_env={"SLUICE_S3_BACKEND": "local"}).start()
    yield sluice
    sluice.stop()
    assert "Traceback" not in sluice.log(), sluice.log()[-4000:]


def _salesforce_flow(name: str, profile: str, destination: dict[str, Any]) -> dict[str, Any]:
    return {"flowName": name, "triggerConfig": {"triggerType": "OnDemand"},
            "sourceFlowConfig": {"connectorType": "Salesforce", "connectorProfileName": profile,
                                 "sourceConnectorProperties": {"Salesforce": {"object": "Account"}}},
            "destinationFlowConfigList": [destination], "tasks": [map_all_task("Salesforce")]}


def _honeycode_profile(client: Any) -> str:
    name = unique("hc")
    client.create_connector_profile(
        connectorProfileName=name, connectorType="Honeycode", connectionMode="Public",
        connectorProfileConfig={"connectorProfileProperties": {"Honeycode": {}}, "connectorProfileCredentials": {
            "Honeycode": {"accessToken": "hc-token-0000", "refreshToken": "hc-refresh-0000"}}})
    return name


def _destination(connector_type: str, client: Any) -> dict[str, Any]:
    props, _ = RETIRED[connector_type]
    destination: dict[str, Any] = {"connectorType": connector_type, "destinationConnectorProperties": props}
    if connector_type == "Honeycode":
        destination["connectorProfileName"] = _honeycode_profile(client)
    return destination


@pytest.mark.parametrize("connector_type", sorted(RETIRED))
def test_new_flows_into_a_retired_service_are_refused(server: SluiceServer, connector_type: str) -> None:
    client = server.client()
    configuration = client.describe_connectors(connectorTypes=[connector_type])["connectorConfigurations"]
    assert configuration[connector_type]["canUseAsDestination"] is True  # still in AppFlow's catalog
    profile = unique("sf")
    client.create_connector_profile(**salesforce_profile(profile))
    name = unique("retired")
    with pytest.raises(client.exceptions.ValidationException) as refused:
        client.create_flow(**_salesforce_flow(name, profile, _destination(connector_type, client)))
    assert RETIRED[connector_type][1] in str(refused.value)
    # An existing flow may not be switched to it either.
    bucket = new_bucket(server)
    client.create_flow(**_salesforce_flow(name, profile, s3_parquet_destination(bucket)[0]))
    with pytest.raises(client.exceptions.ValidationException) as switched:
        client.update_flow(**{k: v for k, v in _salesforce_flow(name, profile, _destination(connector_type, client))
                              .items() if k != "flowName"}, flowName=name)
    assert RETIRED[connector_type][1] in str(switched.value)
    assert client.describe_flow(flowName=name)["destinationFlowConfigList"][0]["connectorType"] == "S3"


@pytest.mark.parametrize("connector_type", sorted(RETIRED))
def test_a_stored_flow_describes_runs_into_error_and_deletes(server: SluiceServer, connector_type: str) -> None:
    client = server.client()
    name, bucket = unique("stored"), new_bucket(server)
    source = csv_bucket(server, [{"id": 1}, {"id": 2}])
    client.create_flow(flowName=name, triggerConfig={"triggerType": "OnDemand"}, sourceFlowConfig=s3_csv_source(source),
                       destinationFlowConfigList=s3_parquet_destination(bucket), tasks=[map_all_task()])
    destination = _destination(connector_type, client)
    server.stop()
    _store_destination(server.data_dir, name, destination)  # as a flow stored before the retirement
    server.start()
    client = server.client()
    described = client.describe_flow(flowName=name)
    assert described["destinationFlowConfigList"][0]["connectorType"] == connector_type
    assert name in [f["flowName"] for f in client.list_flows()["flows"]]
    record = start_and_wait(client, name)
    assert record["executionStatus"] == "Error", record
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert RETIRED[connector_type][1] in message, message
    assert not list((server.data_dir / "s3" / bucket).rglob("*.parquet"))
    client.delete_flow(flowName=name)
    assert name not in [f["flowName"] for f in client.list_flows()["flows"]]


def _store_destination(data_dir: Path, name: str, destination: dict[str, Any]) -> None:
    engine = open_engine(sqlite_url(data_dir))
    try:
        with Session(engine) as session, session.begin():
            flow = session.scalars(select(Flow).where(Flow.name == name)).one()
            config = copy.deepcopy(flow.config)
            config["destinationFlowConfigList"] = [destination]
            flow.config = config
            flow.destination_types = [destination["connectorType"]]
            flow.destination_profiles = [destination.get("connectorProfileName") or ""]
    finally:
        engine.dispose()
