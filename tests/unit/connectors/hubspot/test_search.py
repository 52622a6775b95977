"""HubSpot reads: filters and windows pushed into searches, and the 10,000-result cap re-windowed."""

from __future__ import annotations

import pytest

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.hubspot import search
from sluice.connectors.hubspot.catalog import object_fields
from sluice.connectors.hubspot.connector import CONNECTOR
from sluice.connectors.rest.client import Request
from sluice.connectors.rest.entities import Condition, Query
from tests.fakes.hubspot.server import FakeHubSpot
from tests.fakes.hubspot.state import BASE_MS


def test_pushdown_turns_window_and_filters_into_search_filters(profile: ProfileView) -> None:
    with CONNECTOR.client(profile) as client:
        fields = object_fields(client, "deals")
    query = Query("deal", conditions=(
        Condition("amount", "BETWEEN", ("10", "20")), Condition("dealstage", "EQUAL_TO", ("closedwon",)),
        Condition("dealname", "CONTAINS", ("renewal",)),  # token matching is not substring matching: not pushed
        Condition("dealname", "NOT_EQUAL_TO", ("x",)),  # HubSpot compares text case-insensitively: not pushed
        Condition("createdate", "GREATER_THAN", ("1704067200000",)), Condition("id", "EQUAL_TO", ("9001",)),
    ), window_field="hs_lastmodifieddate", window_start=1_704_067_200.5, window_end=1_704_153_600.25)
    assert search.pushdown(query, fields) == [
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "1704067200500"},
        {"propertyName": "hs_lastmodifieddate", "operator": "LTE", "value": "1704153600250"},
        {"propertyName": "createdate", "operator": "GTE", "value": "1704067200000"},
        {"propertyName": "amount", "operator": "BETWEEN", "value": "10", "highValue": "20"},
        {"propertyName": "dealstage", "operator": "EQ", "value": "closedwon"},
    ]  # six filters a group: one is kept for keyset paging, so `id` is left to the engine
    by_record_time = Query("deal", window_field="updatedAt", window_start=1.0, window_end=2.0)
    assert search.pushdown(by_record_time, fields, "hs_lastmodifieddate") == [
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "1000"},
        {"propertyName": "hs_lastmodifieddate", "operator": "LTE", "value": "2000"}]


def test_searches_page_by_keyset_from_the_last_modified_time(
        fake: FakeHubSpot, profile: ProfileView, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "RESULT_CAP", 50)
    monkeypatch.setattr(search, "SEARCH_PAGE", 20)
    # Four records share one modified time across the first page's edge: the next search (GTE) reads
    # the two already read again, and they are skipped.
    same = "2024-01-01T18:00:00.000Z"
    for object_id in ("1019", "1020", "1021", "1022"):
        record = fake.state.get("contacts", object_id)
        assert record is not None
        record["properties"]["lastmodifieddate"] = same
        fake.state.changed["contacts"][object_id] = record
    window = [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(BASE_MS)},
              {"propertyName": "lastmodifieddate", "operator": "LTE", "value": str(BASE_MS + 60 * 3_600_000)}]
    ids: list[str] = []
    with CONNECTOR.client(profile) as client:
        for number, page in enumerate(search.search(client, "contacts", window, ["lastmodifieddate"],
                                                    "lastmodifieddate")):
            ids += [str(r["id"]) for r in page.records]
            if number == 0:  # a record already read changes meanwhile and leaves the window
                fake.state.edit("contacts", ids[3], firstname="moved")
    assert sorted(ids) == sorted(str(1001 + i) for i in range(60)) and len(ids) == len(set(ids))
    bodies = [b for p, b in fake.state.bodies if p.endswith("/search")]
    assert len(bodies) >= 3 and all(len(b["filterGroups"][0]["filters"]) == 3 for b in bodies[1:])
    assert all("after" not in b for b in bodies)  # no offsets: nothing to shift, no cap to reach


def test_more_records_at_one_instant_than_a_search_can_page_is_an_error(
        fake: FakeHubSpot, profile: ProfileView, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "RESULT_CAP", 50)
    monkeypatch.setattr(search, "SEARCH_PAGE", 20)
    for index in range(60):
        object_id = str(1001 + index)
        record = fake.state.get("contacts", object_id)
        assert record is not None
        record["properties"]["lastmodifieddate"] = "2024-02-01T00:00:00.000Z"
        fake.state.changed["contacts"][object_id] = record
    with CONNECTOR.client(profile) as client, pytest.raises(ConnectorError, match="share the modified time"):
        list(search.search(client, "contacts", [], ["lastmodifieddate"], "lastmodifieddate"))


def test_a_refused_token_is_renewed_and_hubspot_errors_keep_their_message(fake: FakeHubSpot,
                                                                          profile: ProfileView) -> None:
    fake.state.expire_tokens()
    with CONNECTOR.client(profile) as client:
        assert client.get("/crm/v3/objects/contacts", limit=1)["results"]
        assert client.credentials["oauth2"]["accessToken"] != profile.credentials["oauth2"]["accessToken"]
        with pytest.raises(ConnectorError) as refused:
            client.call(Request("POST", "/crm/v3/objects/contacts/search", json={"limit": 500}))
    assert refused.value.code == "InvalidArgument" and "limit must be at most 200" in refused.value.message
    assert "VALIDATION_ERROR" in refused.value.message


def test_an_incremental_flow_without_a_datetime_field_reads_by_the_change_time(profile: ProfileView) -> None:
    from sluice.connectors.base import RunContext

    ctx = RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/tmp",
                     window_start=1.0, window_end=2.0)
    source = CONNECTOR.open_source(profile, {"entityName": "contact"}, ctx)
    assert source.ctx.window_field == "lastmodifieddate"
    assert CONNECTOR.open_source(profile, {"entityName": "deal"}, ctx).ctx.window_field == "hs_lastmodifieddate"


def test_profile_check_exchanges_an_authorization_code_once(fake: FakeHubSpot, profile: ProfileView) -> None:
    from dataclasses import replace

    fake.state.auth.codes.add("code-123")
    oauth = {"clientId": "hubspot-client", "clientSecret": "hubspot-secret",
             "oAuthRequest": {"authCode": "code-123", "redirectUri": "https://us-east-1.console.aws.amazon.com/appflow/oauth"}}
    stored = CONNECTOR.check_profile(replace(profile, credentials={"authenticationType": "OAUTH2", "oauth2": oauth}))
    assert stored["oauth2"]["accessToken"] and stored["oauth2"]["refreshToken"].startswith("r-")
    assert "oAuthRequest" not in stored["oauth2"] and "code-123" not in str(stored)
    with pytest.raises(ConnectorError, match="unknown auth code"):  # a code is good once
        CONNECTOR.check_profile(replace(profile, credentials={"authenticationType": "OAUTH2", "oauth2": oauth}))


def test_profile_check_reads_an_owner_renewing_a_refused_token_once(fake: FakeHubSpot, profile: ProfileView) -> None:
    from dataclasses import replace

    placeholder = {**profile.credentials["oauth2"], "accessToken": "dummyAccessToken"}
    stored = CONNECTOR.check_profile(replace(profile, credentials={"authenticationType": "OAUTH2",
                                                                    "oauth2": placeholder}))
    assert stored["oauth2"]["accessToken"] != "dummyAccessToken" and fake.state.auth.refreshes == 1
    assert [e["path"] for e in fake.state.log.entries] == ["/crm/v3/owners", "/oauth/v1/token", "/crm/v3/owners"]
    revoked = {**placeholder, "refreshToken": "revoked-0000"}
    with pytest.raises(ConnectorError) as refused:
        CONNECTOR.check_profile(replace(profile, credentials={"authenticationType": "OAUTH2", "oauth2": revoked}))
    assert refused.value.code == "InvalidCredentials" and "missing or unknown refresh token" in refused.value.message
    assert "revoked-0000" not in refused.value.message


def test_rolling_limits_are_retried_and_the_daily_one_is_not() -> None:
    from sluice.connectors.hubspot.api import classify, throttled
    from sluice.connectors.rest.api import VendorError

    assert throttled(VendorError("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.", 429))
    assert not throttled(VendorError("DAILY", "You have reached your daily limit.", 429))
    assert classify(VendorError("EXPIRED_AUTHENTICATION", "expired", 401)) == "InvalidCredentials"
    assert classify(VendorError("MISSING_SCOPES", "needs crm.objects.deals.read", 403)) == "AccessDenied"


def _read(profile: ProfileView, entity: str, fields: list[str]) -> list[dict[str, object]]:
    from sluice.connectors.base import RunContext

    task = {"taskType": "Filter", "sourceFields": fields, "connectorOperator": {"CustomConnector": "PROJECTION"},
            "taskProperties": {}}
    ctx = RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/tmp",
                     tasks=(task,))
    return [row for batch in CONNECTOR.open_source(profile, {"entityName": entity}, ctx).read()
            for row in batch.to_pylist()]


def test_owners_keep_their_nested_teams_and_labels_their_types(profile: ProfileView) -> None:
    owners = _read(profile, "owner", ["id", "firstName", "userId", "teams", "createdAt"])
    zoe = next(o for o in owners if o["firstName"] == "Zoë")
    assert zoe["teams"] == [{"id": "368389", "name": "Sales — EMEA", "primary": True}]
    assert zoe["createdAt"].year == 2023 and any(o["userId"] is None for o in owners)  # type: ignore[union-attr]
    labels = _read(profile, "association_label/contact/company", ["typeId", "label", "category"])
    assert {(r["typeId"], r["label"]) for r in labels} == {(279, None), (1, "Primary")}


def test_crm_values_are_typed_by_their_property(profile: ProfileView) -> None:
    rows = _read(profile, "company", ["id", "numberofemployees", "is_public", "createdate", "industry"])
    assert len(rows) == 60
    first = rows[0]
    assert isinstance(first["numberofemployees"], float) and isinstance(first["is_public"], bool)
    assert first["createdate"].isoformat() == "2024-01-01T00:00:00+00:00"  # type: ignore[union-attr]
