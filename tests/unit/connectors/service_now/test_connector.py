"""The ServiceNow connector against the fake instance: catalog, fields, reads, push-down, auth."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.connectors.base import ConnectorError, RunContext
from sluice.connectors.service_now.connector import CONNECTOR
from tests.fakes.servicenow.server import FakeServiceNow
from tests.unit.connectors.service_now.conftest import basic, oauth


def run(tasks: tuple[Any, ...] = (), **window: Any) -> RunContext:
    return RunContext(flow_name="f", execution_id="e", schema_version=1, started_at=0.0, data_dir="/tmp",
                      batch_size=1000, tasks=tasks, **window)


def read(profile: Any, table: str, ctx: RunContext) -> list[dict]:
    source = CONNECTOR.open_source(profile, {"object": table}, ctx)
    return [row for batch in source.read() for row in batch.to_pylist()]


def filter_task(field: str, operator: str, **props: str) -> dict:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"ServiceNow": operator},
            "taskProperties": props}


def test_entities_are_the_instance_tables(fake: FakeServiceNow) -> None:
    page = CONNECTOR.metadata().list_entities(basic(fake), None, None, None)
    names = {e["name"]: e for e in page.entities}
    assert {"incident", "task", "sys_user", "cmdb_ci_server", "sys_dictionary"} <= set(names)
    assert names["incident"]["label"] == "Incident" and names["incident"]["hasNestedEntities"] is False


def test_fields_include_inherited_ones_with_types_keys_and_operators(fake: FakeServiceNow) -> None:
    fields = {f["identifier"]: f for f in CONNECTOR.metadata().describe_entity(basic(fake), "incident")}
    assert {"sys_id", "number", "short_description", "caller_id", "category", "sys_updated_on"} <= set(fields)
    assert "" not in fields  # the table's own dictionary row is not a field
    assert fields["sys_id"]["isPrimaryKey"] is True and fields["number"]["isPrimaryKey"] is False
    updated = fields["sys_updated_on"]
    assert updated["supportedFieldTypeDetails"]["v1"]["fieldType"] == "glide_date_time"
    assert updated["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert "BETWEEN" in updated["supportedFieldTypeDetails"]["v1"]["filterOperators"]
    assert fields["short_description"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == [
        "EQUAL_TO", "NOT_EQUAL_TO", "CONTAINS"]
    assert fields["caller_id"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "reference"
    assert "destinationProperties" not in fields["number"]


def test_unknown_table_is_resource_not_found(fake: FakeServiceNow) -> None:
    for name in ("u_missing", "incident^ORname=task"):
        with pytest.raises(ConnectorError) as info:
            CONNECTOR.metadata().describe_entity(basic(fake), name)
        assert info.value.code == "ResourceNotFound"


def test_read_pages_every_record_once_through_a_429(fake: FakeServiceNow) -> None:
    fake.state.log.clear()
    fake.state.throttle_next(1, retry_after=0, path_part="/table/incident", after=1)
    rows = read(basic(fake), "incident", run())
    assert len(rows) == 120 and len({r["sys_id"] for r in rows}) == 120
    pages = fake.state.log.matching("/api/now/table/incident")
    assert len(pages) == 4  # three pages of 50, the second one refused once
    first = pages[0]["query"]
    assert first["sysparm_limit"] == ["50"] and first["sysparm_exclude_reference_link"] == ["true"]
    sample = next(r for r in rows if r["caller_id"])
    assert len(sample["caller_id"]) == 32 and isinstance(sample["priority"], int)
    assert sample["sys_updated_on"].tzinfo is not None


def test_filters_and_projection_are_pushed_down(fake: FakeServiceNow) -> None:
    fake.state.log.clear()
    tasks = ({"taskType": "Filter", "sourceFields": ["number", "priority"], "connectorOperator":
              {"ServiceNow": "PROJECTION"}, "taskProperties": {}},
             filter_task("priority", "LESS_THAN_OR_EQUAL_TO", VALUE="2"),
             filter_task("short_description", "CONTAINS", VALUE="vpn"))
    rows = read(basic(fake), "incident", run(tasks))
    (request,) = fake.state.log.matching("/api/now/table/incident")
    assert request["query"]["sysparm_query"] == [
        "priority<=2^short_descriptionLIKEvpn^ORDERBYsys_created_on^ORDERBYsys_id"]
    assert request["query"]["sysparm_fields"] == ["number,priority,short_description"]
    expected = fake.state.count("incident", "priority<=2^short_descriptionLIKEvpn")
    assert len(rows) == expected > 0 and all(r["priority"] <= 2 for r in rows)


def test_incremental_window_reads_only_changed_records(fake: FakeServiceNow) -> None:
    import time

    start = time.time() - 1
    changed = fake.state.touch("problem", 3)
    rows = read(basic(fake), "problem", run(window_start=start, window_end=time.time() + 2,
                                            window_field="sys_updated_on"))
    assert sorted(r["sys_id"] for r in rows) == sorted(changed)


def test_bad_password_is_refused_with_servicenow_message(fake: FakeServiceNow) -> None:
    with pytest.raises(ConnectorError) as info:
        CONNECTOR.check_profile(basic(fake, password="wrong"))
    assert info.value.code == "InvalidCredentials" and "User Not Authenticated" in info.value.message
    assert "wrong" not in info.value.message
    assert CONNECTOR.check_profile(basic(fake))["username"] == fake.USER


def test_expired_oauth_token_is_refreshed_and_resealed(fake: FakeServiceNow) -> None:
    import requests

    token = requests.post(f"{fake.url}/oauth_token.do", data={
        "grant_type": "password", "client_id": fake.CLIENT_ID, "client_secret": fake.CLIENT_SECRET,
        "username": fake.USER, "password": fake.PASSWORD}).json()
    fake.state.auth.expire_tokens()
    profile, saved = oauth(fake, accessToken=token["access_token"], refreshToken=token["refresh_token"])
    rows = read(profile, "change_request", run())
    assert len(rows) == 15
    assert saved and saved[-1]["oAuth2Credentials"]["accessToken"] != token["access_token"]
    assert saved[-1]["oAuth2Credentials"]["refreshToken"] == token["refresh_token"]


def test_authorization_code_is_exchanged_when_the_profile_is_created(fake: FakeServiceNow) -> None:
    fake.state.auth.add_auth_code("code-7", "https://console.example/cb")
    profile, _ = oauth(fake, oAuthRequest={"authCode": "code-7", "redirectUri": "https://console.example/cb"})
    stored = CONNECTOR.check_profile(profile)["oAuth2Credentials"]
    assert stored["accessToken"] and stored["refreshToken"] and "oAuthRequest" not in stored
    assert fake.state.auth.authenticate(f"Bearer {stored['accessToken']}") == fake.USER


def test_a_user_who_cannot_read_the_table_catalog_is_refused(fake: FakeServiceNow) -> None:
    from dataclasses import replace

    itil = replace(basic(fake), credentials={"username": "itil.user", "password": "Itil-user-pw1"})
    with pytest.raises(ConnectorError) as info:
        CONNECTOR.check_profile(itil)
    assert info.value.code == "InvalidCredentials" and "User Not Authorized" in info.value.message


def test_window_bounds_settle_to_whole_past_seconds() -> None:
    from sluice.connectors.service_now.connector import settled

    assert settled(None) is None
    assert settled(100.5) == 99.0 and settled(100.0) == 99.0
    # Consecutive windows stay back to back: (settled(a), settled(b)] then (settled(b), settled(c)].
    assert settled(160.5) == 159.0


def test_profiles_without_credentials_are_refused(fake: FakeServiceNow) -> None:
    from dataclasses import replace

    with pytest.raises(ConnectorError) as info:
        CONNECTOR.check_profile(replace(basic(fake), credentials={}))
    assert info.value.code == "InvalidCredentials"
