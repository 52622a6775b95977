"""RestClient and RestSource against a small https vendor API: paging, 429s, token renewal,
vendor error bodies, the outbound rules, projection and the incremental window."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.connectors.base import ConnectorError, RunContext
from sluice.connectors.rest.api import RestApi, VendorError
from sluice.connectors.rest.auth import Bearer, refresh_grant
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.connector import RestConnector
from sluice.connectors.rest.entities import Entity, Field, Static
from sluice.connectors.rest.paging import Cursor
from tests.unit.connectors.rest.conftest import profile

GRANT = refresh_grant(lambda base, creds: f"{base}/oauth/token")
API = RestApi("Zendesk", "TestVendor", hosts=("example.com",), auth=Bearer(grant=GRANT))
FIELDS = (
    Field("id", "integer", primary_key=True),
    Field("name"),
    Field("updated_at", "datetime", timestamp=True),
    Field("tags", "array", item=Field("tag")),
    Field("owner", "struct", members=(Field("login"),)),
    Field("owner_extra", "json", path="owner.extra"),
)
ITEMS = Entity("items", path="/items", records="items", fields=FIELDS,
               paginator=Cursor("meta.after", param="after", has_more_path="meta.more", size_param="size", size=10))
CONNECTOR = RestConnector(API, Static((ITEMS,), vendor="TestVendor"), frozenset({"EQUAL_TO", "GREATER_THAN"}),
                          check=Request("GET", "/items"))


def _run(tasks: tuple[Any, ...] = (), **window: Any) -> RunContext:
    return RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/tmp",
                      batch_size=7, tasks=tasks, **window)


def test_pages_are_read_once_each_through_a_429_and_a_503(vendor: Any) -> None:
    state, url = vendor
    state.throttle, state.unavailable = 1, 1
    view, _ = profile(url)
    source = CONNECTOR.open_source(view, {"object": "items"}, _run())
    batches = list(source.read())
    ids = [i for b in batches for i in b.column("id").to_pylist()]
    assert ids == list(range(25))
    assert max(b.num_rows for b in batches) == 7  # re-cut to batch_size
    assert source.stats.pages_read == 3 and source.stats.records_read == 25
    first = batches[0].to_pylist()[1]
    assert first["owner"] == {"login": "u1"} and first["tags"] == ["a", "1"] and first["owner_extra"] == '{"deep":1}'


def test_an_expired_token_is_renewed_once_and_saved(vendor: Any) -> None:
    state, url = vendor
    view, saved = profile(url, accessToken="stale", refreshToken="revoked")
    with RestClient(API, view) as client, pytest.raises(ConnectorError) as refused:
        client.get("/items")
    assert refused.value.code == "InvalidCredentials" and "bad refresh token" in refused.value.message
    assert not saved
    view, saved = profile(url, accessToken="stale")
    with RestClient(API, view) as client:
        body = client.get("/items", size=2)
    assert [r["id"] for r in body["items"]] == [0, 1]
    assert saved and saved[-1]["accessToken"] == state.token != "stale"
    assert saved[-1]["refreshToken"] == "refresh-1"


def test_throttling_that_never_ends_is_a_throttling_error(vendor: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    state, url = vendor
    monkeypatch.setenv("SLUICE_REST_MAX_ATTEMPTS", "3")
    state.throttle = 10
    view, _ = profile(url)
    with RestClient(API, view) as client, pytest.raises(ConnectorError) as failed:
        client.get("/items")
    assert failed.value.code == "ThrottlingError" and "rate_limited: slow down" in failed.value.message
    assert state.throttle == 7


def test_an_error_in_a_200_envelope_carries_the_vendor_message(vendor: Any) -> None:
    _, url = vendor

    def slack_style(response: Any, body: Any) -> VendorError | None:
        if isinstance(body, dict) and body.get("ok") is False:
            return VendorError(str(body.get("error")), str(body.get("error")), 404)
        return None

    api = RestApi("Slack", "Slack", hosts=("slack.com",), auth=Bearer(), envelope=slack_style)
    view, _ = profile(url)
    with RestClient(api, view) as client, pytest.raises(ConnectorError) as failed:
        client.get("/envelope")
    assert failed.value.code == "ResourceNotFound" and "channel_not_found" in failed.value.message


def test_a_loopback_instance_is_refused_unless_private_endpoints_are_allowed(
        vendor: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _, url = vendor
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "false")
    view, _ = profile(url)
    with pytest.raises(ConnectorError) as refused:
        RestClient(API, view)
    assert refused.value.code == "InvalidArgument" and "loopback" in refused.value.message
    view, _ = profile(url.replace("https://", "http://"))
    monkeypatch.setenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", "true")
    view, _ = profile("https://evil.example.org")
    with pytest.raises(ConnectorError) as foreign:
        RestClient(API, view)
    assert "not one of the vendor's hosts" in foreign.value.message


def test_projection_and_window_choose_columns_and_rows(vendor: Any) -> None:
    _, url = vendor
    view, _ = profile(url)
    tasks = ({"taskType": "Filter", "sourceFields": ["id", "name"], "connectorOperator": {"Zendesk": "PROJECTION"},
              "taskProperties": {}},)
    # (00:00:05, 00:00:09]: ids 6..9
    ctx = _run(tasks, window_start=1704067205.0, window_end=1704067209.0, window_field="updated_at")
    batches = list(CONNECTOR.open_source(view, {"object": "items"}, ctx).read())
    assert batches[0].schema.names == ["id", "name", "updated_at"]
    assert [i for b in batches for i in b.column("id").to_pylist()] == [6, 7, 8, 9]


def test_a_projected_field_the_entity_lacks_fails_the_run_naming_it(vendor: Any) -> None:
    _, url = vendor
    view, _ = profile(url)
    tasks = ({"taskType": "Filter", "sourceFields": ["nope"], "connectorOperator": {"Zendesk": "PROJECTION"},
              "taskProperties": {}},)
    with pytest.raises(ConnectorError, match="no field 'nope'"):
        list(CONNECTOR.open_source(view, {"object": "items"}, _run(tasks)).read())


def test_profile_check_and_metadata(vendor: Any) -> None:
    state, url = vendor
    view, _ = profile(url)
    assert CONNECTOR.check_profile(view)["accessToken"] == "tok-1"
    state.token = "other"
    view, _ = profile(url, refreshToken="")
    with pytest.raises(ConnectorError) as refused:
        CONNECTOR.check_profile(view)
    assert refused.value.code == "InvalidCredentials"
    state.token = "tok-1"
    fields = CONNECTOR.metadata().describe_entity(view, "items")
    by_id = {f["identifier"]: f for f in fields}
    assert by_id["id"]["isPrimaryKey"] and by_id["id"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == [
        "EQUAL_TO", "GREATER_THAN"]
    assert by_id["updated_at"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"]
    page = CONNECTOR.metadata().list_entities(view, None, 1, None)
    assert page.entities == [{"name": "items", "label": "items", "hasNestedEntities": False}]
    with pytest.raises(ConnectorError) as missing:
        CONNECTOR.metadata().describe_entity(view, "nothing")
    assert missing.value.code == "ResourceNotFound"
