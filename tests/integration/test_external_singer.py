"""A Singer tap written for the tests (`tap-sluice-desk`, built into a wheel here and installed by
Sluice from a local --find-links folder) run over boto3 against the ticket desk fake.

Covers the settings schema as the label's configuration (a nested setting flattened with `__`),
the version resolved once and kept in the lock file, a profile refused with the tap's message,
streams from `--discover` as entities, a full-table run with a setting converted to its type, and a
scheduled incremental flow resuming from the tap's bookmarks (each edit lands once).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes.ticket_desk.server import TicketDesk
from tests.integration.builders import unique
from tests.support import external, flows, managed
from tests.support.server import SluiceServer
from tests.support.singer_tap import wheel

LABEL = "singer.tap-sluice-desk"
SPEEDUP = 60.0
COUNT = 90
EPOCH = time.time()


virtual_now = managed.virtual_clock(SPEEDUP, EPOCH)


@pytest.fixture(scope="module")
def desk() -> Iterator[TicketDesk]:
    with TicketDesk(count=COUNT, seed=11) as running:
        yield running


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("singer-wheels")
    wheel.build(folder, "0.1.0")
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, desk: TicketDesk, wheels: Path) -> Iterator[SluiceServer]:
    data_dir = tmp_path_factory.mktemp("external-singer") / "data"
    env = {"SLUICE_EXTERNAL_VENVS_DIR": str(tmp_path_factory.mktemp("singer-venvs")), "PIP_NO_INDEX": "1",
           "PIP_FIND_LINKS": str(wheels), **flows.scheduler_env(SPEEDUP, EPOCH)}
    with flows.saas_server(data_dir, secrets=[desk.state.token], **env) as running:
        yield running


def _profile(server: SluiceServer, desk: TicketDesk, label: str = LABEL, token: str | None = None,
             **properties: str) -> str:
    name = unique("tap")
    server.client().create_connector_profile(**external.profile_request(
        name, label, {"base_url": desk.url, **properties}, {"api_token": token or desk.state.token}))
    return name


def test_the_taps_settings_are_the_labels_configuration(server: SluiceServer) -> None:
    config = server.client().describe_connector(connectorType="CustomConnector", connectorLabel=LABEL)[
        "connectorConfiguration"]
    params = config["authenticationConfig"]["customAuthConfigs"][0]["authParameters"]
    assert [(p["key"], p["isSensitiveField"]) for p in params] == [("api_token", True)]
    settings = {s["key"]: s["dataType"] for s in config["connectorRuntimeSettings"]}
    assert settings == {"base_url": "String", "start_date": "String", "page_size": "Long",
                        "options__include_public": "Boolean"}
    assert config["connectorVersion"] == "0.1.0"
    lock = json.loads((server.data_dir / "connectors" / "external" / "versions.lock.json").read_text())
    assert lock == {"tap-sluice-desk": "0.1.0"}


def test_a_resolved_version_stays_until_the_label_pins_another(server: SluiceServer, wheels: Path) -> None:
    wheel.build(wheels, "0.2.0")  # a newer release appears on the index
    client = server.client()
    kept = client.describe_connector(connectorType="CustomConnector", connectorLabel=LABEL)["connectorConfiguration"]
    assert kept["connectorVersion"] == "0.1.0"
    pinned = client.describe_connector(connectorType="CustomConnector", connectorLabel=f"{LABEL}@0.2.0")[
        "connectorConfiguration"]
    assert pinned["connectorVersion"] == "0.2.0"
    venvs = Path(server.extra_env["SLUICE_EXTERNAL_VENVS_DIR"])
    assert sorted(p.name for p in venvs.iterdir() if not p.name.startswith(".")) == [
        "tap-sluice-desk-0.1.0", "tap-sluice-desk-0.2.0"]


def test_a_profile_the_tap_refuses_quotes_it(server: SluiceServer, desk: TicketDesk) -> None:
    client = server.client()
    with pytest.raises(client.exceptions.ConnectorAuthenticationException) as refused:
        _profile(server, desk, token="not-the-token-4321")
    message = refused.value.response["Error"]["Message"]
    assert "401 The API token is missing, revoked or wrong." in message, message
    assert "not-the-token-4321" not in message


def test_discovered_streams_are_entities(server: SluiceServer, desk: TicketDesk) -> None:
    client = server.client()
    profile = _profile(server, desk, label="singer/tap-sluice-desk")  # the spelling, past the model's pattern
    [described] = client.describe_connector_profiles(connectorProfileNames=[profile])["connectorProfileDetails"]
    assert described["connectorLabel"] == "singer/tap-sluice-desk"
    entities = client.list_connector_entities(connectorProfileName=profile)["connectorEntityMap"]["Objects"]
    assert sorted(e["name"] for e in entities) == ["priorities", "tickets"]
    fields = client.describe_connector_entity(connectorProfileName=profile, connectorEntityName="tickets")[
        "connectorEntityFields"]
    types = {f["identifier"]: f["supportedFieldTypeDetails"]["v1"]["fieldType"] for f in fields}
    assert types["updated_at"] == "datetime" and types["requester"] == "json" and types["score"] == "double"


def test_a_full_run_passes_typed_settings_to_the_tap(server: SluiceServer, desk: TicketDesk) -> None:
    client = server.client()
    profile = _profile(server, desk, options__include_public="false", page_size="7")
    bucket = flows.new_bucket(server)
    record, rows = flows.run_to_s3(client, server, {
        "flowName": unique("tap-full"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": external.source(profile, "tickets"),
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
        "tasks": external.MAP_ALL})
    assert record["executionStatus"] == "Successful", record
    private = [t for t in (desk.state.ticket(i) for i in range(COUNT)) if not t["is_public"]]
    assert sorted(r["id"] for r in rows) == sorted(t["id"] for t in private)
    assert all(r["is_public"] is False for r in rows)
    assert {e["query"]["per_page"][0] for e in desk.requests.matching("/api/v2/tickets")} >= {"7"}


def test_incremental_runs_resume_from_the_taps_bookmark(server: SluiceServer, desk: TicketDesk) -> None:
    start = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    external.ticket_edits_land_once(server, desk, _profile(server, desk, start_date=start), flows.incremental_schedule(
        virtual_now() + SPEEDUP, virtual_now() - 3600), "tap-inc")


def test_registering_an_external_label_is_refused(server: SluiceServer) -> None:
    client = server.client()
    with pytest.raises(client.exceptions.ConflictException, match="Airbyte source or Singer tap"):
        client.register_connector(connectorLabel="singer.tap-anything", connectorProvisioningType="LAMBDA",
                                  connectorProvisioningConfig={"lambda": {"lambdaArn": (
                                      "arn:aws:lambda:us-east-1:123456789012:function:sluice-test-connector")}})


def test_an_update_that_keeps_the_credentials_checks_the_properties(server: SluiceServer, desk: TicketDesk) -> None:
    client = server.client()
    profile = _profile(server, desk)
    config = {"connectorProfileProperties": {"CustomConnector": {"profileProperties": {
        "base_url": desk.url, "page_size": "11"}}}}
    client.update_connector_profile(connectorProfileName=profile, connectionMode="Public",
                                    connectorProfileConfig=config)
    with pytest.raises(client.exceptions.ValidationException, match="lacks base_url"):
        client.update_connector_profile(connectorProfileName=profile, connectionMode="Public", connectorProfileConfig={
            "connectorProfileProperties": {"CustomConnector": {"profileProperties": {"page_size": "3"}}}})
    bucket = flows.new_bucket(server)
    record, rows = flows.run_to_s3(client, server, {
        "flowName": unique("tap-upd"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": external.source(profile, "priorities"),
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket), "tasks": external.MAP_ALL})
    assert record["executionStatus"] == "Successful", record
    assert sorted(r["name"] for r in rows) == ["high", "low", "normal", "urgent"]
