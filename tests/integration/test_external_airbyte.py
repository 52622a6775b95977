"""A real Airbyte source from PyPI run by Sluice over boto3: `airbyte-source-declarative-manifest`
reading the ticket desk fake (https) through a low-code manifest an operator alias fixes.

Covers the label's ConnectorConfiguration (from the source's spec), a profile refused with the
source's own check message, entities and typed fields from discover, a full run to S3 Parquet, a
scheduled incremental flow resuming from the source's STATE (each edit lands once), a source that
fails mid-read (run Error quoting it, nothing published), and an install that fails cleanly.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.ticket_desk.manifest import manifest
from tests.fakes.ticket_desk.server import TicketDesk
from tests.integration.builders import unique
from tests.support import external, flows, managed
from tests.support.server import SluiceServer

ALIAS = "ticket-desk"
SPEEDUP = 60.0
COUNT = 180
EPOCH = time.time()


virtual_now = managed.virtual_clock(SPEEDUP, EPOCH)


@pytest.fixture(scope="module")
def desk() -> Iterator[TicketDesk]:
    with TicketDesk(count=COUNT) as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, desk: TicketDesk) -> Iterator[SluiceServer]:
    venvs = external.venvs_dir(tmp_path_factory)
    external.preinstall(venvs, f"{external.DECLARATIVE}@{external.DECLARATIVE_VERSION}")
    data_dir = tmp_path_factory.mktemp("external-airbyte") / "data"
    external.write_aliases(data_dir, {ALIAS: {"label": external.DECLARATIVE, "version": external.DECLARATIVE_VERSION,
                                              "config": {"__injected_declarative_manifest": manifest(per_page=50)}}})
    empty_index = tmp_path_factory.mktemp("no-index")
    env = {"SLUICE_EXTERNAL_VENVS_DIR": str(venvs), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(empty_index),
           **flows.scheduler_env(SPEEDUP, EPOCH)}
    with flows.saas_server(data_dir, secrets=[desk.state.token], **env) as running:
        yield running


@pytest.fixture(scope="module")
def profile(server: SluiceServer, desk: TicketDesk) -> str:
    """A working profile the tests that need no particular settings share."""
    return _profile(server.client(), desk)


def _profile(client: Any, desk: TicketDesk, token: str | None = None, start: str | None = None) -> str:
    name = unique("desk")
    properties = {"base_url": desk.url}
    if start:
        properties["start_date"] = start
    client.create_connector_profile(**external.profile_request(
        name, ALIAS, properties, {"api_token": token or desk.state.token}))
    return name


def test_the_alias_describes_the_sources_spec(server: SluiceServer) -> None:
    config = server.client().describe_connector(connectorType="CustomConnector", connectorLabel=ALIAS)[
        "connectorConfiguration"]
    assert config["connectorVersion"] == external.DECLARATIVE_VERSION
    assert config["canUseAsSource"] and not config["canUseAsDestination"]
    custom = config["authenticationConfig"]["customAuthConfigs"]
    assert [(p["key"], p["isSensitiveField"], p["isRequired"]) for p in custom[0]["authParameters"]] == [
        ("api_token", True, True)]
    settings = {s["key"]: s for s in config["connectorRuntimeSettings"]}
    assert set(settings) == {"base_url", "start_date"}  # the manifest is the alias's, not asked
    assert settings["base_url"]["isRequired"] and not settings["start_date"]["isRequired"]
    assert "Scheduled" in config["supportedTriggerTypes"]


def test_a_profile_the_source_check_refuses_quotes_it(server: SluiceServer, desk: TicketDesk) -> None:
    client = server.client()
    wrong = "wrong-token-123456"
    with pytest.raises(client.exceptions.ConnectorAuthenticationException) as refused:
        _profile(client, desk, token=wrong)
    message = refused.value.response["Error"]["Message"]
    assert "check failed" in message and "Unauthorized" in message, message
    assert wrong not in message


def test_streams_are_entities_with_typed_fields(server: SluiceServer, profile: str) -> None:
    client = server.client()
    entities = client.list_connector_entities(connectorProfileName=profile)["connectorEntityMap"]
    assert [e["name"] for e in entities["Objects"]] == ["tickets"]
    fields = client.describe_connector_entity(connectorProfileName=profile, connectorEntityName="tickets")[
        "connectorEntityFields"]
    types = {f["identifier"]: f["supportedFieldTypeDetails"]["v1"]["fieldType"] for f in fields}
    assert types == {"id": "integer", "subject": "string", "status": "string", "priority": "integer",
                     "score": "double", "is_public": "boolean", "requester": "json", "assignee": "string",
                     "tags": "json", "created_at": "datetime", "updated_at": "datetime"}
    by_name = {f["identifier"]: f for f in fields}
    assert by_name["id"]["isPrimaryKey"]
    assert by_name["updated_at"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"]


def test_a_full_run_lands_every_record_typed(server: SluiceServer, desk: TicketDesk, profile: str) -> None:
    client, bucket = server.client(), flows.new_bucket(server)
    record, rows = flows.run_to_s3(client, server, {
        "flowName": unique("desk-full"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": external.source(profile, "tickets"),
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
        "tasks": external.MAP_ALL})
    assert record["executionStatus"] == "Successful", record
    assert record["executionResult"]["recordsProcessed"] == COUNT
    assert sorted(r["id"] for r in rows) == list(range(1, COUNT + 1))
    first = next(r for r in rows if r["id"] == 1)
    assert isinstance(first["updated_at"], datetime) and first["updated_at"].tzinfo is not None
    assert isinstance(first["is_public"], bool) and isinstance(first["score"], float)
    assert '"org"' in first["requester"]  # nested objects kept whole as JSON text
    assert any("日本語" in r["subject"] or "Müller" in r["subject"] for r in rows)
    assert any(r["assignee"] is None for r in rows)
    paged = [e for e in desk.requests.matching("/api/v2/tickets") if e["query"].get("cursor")]
    assert paged, "the source paged through the desk"


def test_a_source_failing_mid_read_ends_the_run_in_error_with_nothing_published(
        server: SluiceServer, desk: TicketDesk, profile: str) -> None:
    client, bucket = server.client(), flows.new_bucket(server)
    desk.state.fail_after_pages(2, status=400, message="The desk is closed for maintenance")
    try:
        record, rows = flows.run_to_s3(client, server, {
            "flowName": unique("desk-fail"), "triggerConfig": {"triggerType": "OnDemand"},
            "sourceFlowConfig": external.source(profile, "tickets"),
            "destinationFlowConfigList": flows.s3_parquet_destination(bucket), "tasks": external.MAP_ALL})
    finally:
        desk.state.fail_after = None
    assert record["executionStatus"] == "Error", record
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "airbyte-source-declarative-manifest" in message and "read failed" in message, message
    assert "The desk is closed for maintenance" in message, message  # the vendor's words, via the TRACE
    assert desk.state.token not in message
    assert rows == []


def test_incremental_runs_resume_from_the_sources_state(server: SluiceServer, desk: TicketDesk) -> None:
    client = server.client()
    start = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    external.ticket_edits_land_once(server, desk, _profile(client, desk, start=start), flows.incremental_schedule(
        virtual_now() + SPEEDUP, virtual_now() - 3600), "desk-inc")
    later = [e for e in desk.requests.matching("/api/v2/tickets")
             if (e["query"].get("updated_after") or [""])[0] > start]
    assert later, "later runs asked only for changes after the stored cursor"


def test_a_package_that_cannot_be_installed_is_a_clear_error(server: SluiceServer) -> None:
    client = server.client()
    label = "airbyte.source-sluice-missing@0.0.1"
    with pytest.raises(client.exceptions.ConnectorServerException) as refused:
        client.create_connector_profile(**external.profile_request(unique("missing"), label, {"x": "1"}))
    message = refused.value.response["Error"]["Message"]
    assert "pip install airbyte-source-sluice-missing==0.0.1 failed" in message, message
    venvs = Path(server.extra_env["SLUICE_EXTERNAL_VENVS_DIR"])
    assert not [p for p in venvs.iterdir() if p.name.startswith((".building-", "airbyte-source-sluice-missing"))]
