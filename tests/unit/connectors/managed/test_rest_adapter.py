"""The managed labels' adapter to the REST layer: CustomConnector properties, profile settings, token URLs."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.connectors.base import ProfileView, RunContext
from sluice.connectors.managed.rest_adapter import (
    ManagedRestConnector,
    oauth2_bearer,
    on_override,
    profile_property,
    source_properties,
    token_url,
)
from sluice.connectors.rest.api import RestApi
from sluice.connectors.rest.auth import HeaderKeys
from sluice.connectors.rest.entities import Entity, Field, Static

TOKEN = "https://auth.example.com/oauth/token"


def view(properties: dict[str, Any]) -> ProfileView:
    return ProfileView(name="p", connector_type="CustomConnector", connector_label="Example", properties=properties,
                       credentials={})


def context(**window: Any) -> RunContext:
    return RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/tmp", **window)


def test_entity_name_is_the_rest_layers_object() -> None:
    assert source_properties({"entityName": " deals ", "customProperties": {"a": "1"}}) == {
        "entityName": " deals ", "customProperties": {"a": "1"}, "object": "deals"}
    assert source_properties({"object": "kept", "entityName": "other"})["object"] == "kept"


def test_profile_settings_and_the_token_url_on_the_override(monkeypatch: pytest.MonkeyPatch) -> None:
    profile = view({"profileProperties": {"instanceUrl": " https://x.example.com "},
                    "oAuth2Properties": {"tokenUrl": TOKEN + "?tenant=a"}})
    assert profile_property(profile, "instanceUrl") == "https://x.example.com"
    assert profile_property(view({}), "instanceUrl") == ""
    assert token_url(profile, "Example") == TOKEN + "?tenant=a"
    assert token_url(view({}), "Example", TOKEN) == TOKEN and token_url(view({}), "Example") == ""
    monkeypatch.setenv("SLUICE_ENDPOINT_URL_EXAMPLE", "https://127.0.0.1:8443/")
    assert token_url(profile, "Example") == "https://127.0.0.1:8443/oauth/token?tenant=a"
    assert on_override("Other", TOKEN) == TOKEN


def test_the_oauth2_bearer_reads_the_oauth2_member() -> None:
    bearer = oauth2_bearer(TOKEN, extra={"scope": "s"})
    assert (bearer.token_key, bearer.refresh_token_key) == ("oauth2.accessToken", "oauth2.refreshToken")
    assert bearer.grant is not None and bearer.grant.token_url("", {}) == TOKEN
    assert (bearer.grant.client_id_key, bearer.grant.extra) == ("oauth2.clientId", {"scope": "s"})


def test_an_incremental_flow_without_a_field_reads_by_the_connectors_change_time() -> None:
    entity = Entity("deals", path="/deals", fields=(Field("id", primary_key=True), Field("changed", "datetime")))
    api = RestApi("Example", "Example", hosts=("example.com",), auth=HeaderKeys(), default_url="https://example.com")
    connector = ManagedRestConnector(api, Static((entity,), vendor="Example"),
                                     window_field=lambda name: "changed" if name == "deals" else None)
    incremental = context(window_start=1.0, window_end=2.0)
    assert connector.open_source(view({}), {"entityName": "deals"}, incremental).ctx.window_field == "changed"
    named = context(window_start=1.0, window_end=2.0, window_field="id")
    assert connector.open_source(view({}), {"entityName": "deals"}, named).ctx.window_field == "id"
    assert connector.open_source(view({}), {"entityName": "deals"}, context()).ctx.window_field is None
    assert connector.open_source(view({}), {"entityName": "other"}, incremental).ctx.window_field is None
