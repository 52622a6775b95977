"""The Marketo connector against the fake subscription: profile check, metadata, bulk lead extract, activity
paging tokens, programs and campaigns, throttling and token errors, and lead writes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.marketo.connector import CONNECTOR
from sluice.connectors.rest.client import RestClient
from sluice.connectors.rest.destination import WritePlan
from tests.fakes.marketo.server import FakeMarketo
from tests.unit.connectors.marketo.conftest import between, greater, profile, run


def read(fake: FakeMarketo, entity: str, **options: Any) -> list[dict[str, Any]]:
    view, _ = profile(fake)
    source = CONNECTOR.open_source(view, {"object": entity}, run(**options))
    return [row for batch in source.read() for row in batch.to_pylist()]


MAP_ALL = {"taskType": "Map_all", "sourceFields": [], "connectorOperator": {"Marketo": "NO_OP"}, "taskProperties": {}}


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- profile and metadata
def test_profile_check_gets_a_token_and_refuses_a_bad_secret(fake: FakeMarketo) -> None:
    view, _ = profile(fake)
    stored = CONNECTOR.check_profile(view)
    assert stored["accessToken"] and stored["clientSecret"] == "sluice-secret"
    bad, _ = profile(fake, clientSecret="wrong")
    with pytest.raises(ConnectorError) as refused:
        CONNECTOR.check_profile(bad)
    assert refused.value.code == "InvalidCredentials" and "Bad client credentials" in refused.value.message
    assert "wrong" not in refused.value.message


def test_entities_and_lead_fields_come_from_describe(fake: FakeMarketo) -> None:
    view, _ = profile(fake)
    metadata = CONNECTOR.metadata()
    assert [e["name"] for e in metadata.list_entities(view, None, None, None).entities] == [
        "leads", "activities", "programs", "campaigns"]
    fields = {f["identifier"]: f for f in metadata.describe_entity(view, "leads")}
    assert fields["id"]["isPrimaryKey"] and not fields["email"]["isPrimaryKey"]
    assert fields["customerTier"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "string"
    assert fields["annualRevenue"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "currency"
    assert fields["updatedAt"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"]
    assert fields["updatedAt"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == [
        "LESS_THAN", "GREATER_THAN", "BETWEEN"]
    assert fields["email"]["destinationProperties"]["supportedWriteOperations"] == ["INSERT"]
    assert fields["createdAt"]["destinationProperties"]["isCreatable"] is False


# -- leads through bulk extract
def test_full_lead_pull_exports_every_lead_once_in_31_day_spans(fake: FakeMarketo) -> None:
    rows = read(fake, "leads")
    assert sorted(r["id"] for r in rows) == list(range(1, 301))
    jobs = list(fake.state.exports.values())
    assert len(jobs) >= 7 and all(next(iter(j.filter)) == "createdAt" for j in jobs)
    one = next(r for r in rows if r["id"] == 3)
    expected = fake.state.lead(3)
    assert one["firstName"] == expected["firstName"] and one["phone"] == expected["phone"]
    assert isinstance(one["leadScore"], int) and isinstance(one["unsubscribed"], bool)
    assert one["createdAt"].tzinfo is not None


def test_incremental_lead_pull_uses_the_updated_at_filter(fake: FakeMarketo) -> None:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
    fake.state.update_lead(42, title="Changed")
    created = fake.state.add_leads([{"email": "fresh@example.org", "firstName": "Fresh"}])[0]
    end = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    rows = read(fake, "leads", window_field="updatedAt", window_start=start.timestamp(),
                window_end=end.timestamp())
    assert sorted(r["id"] for r in rows) == [42, created["id"]]
    (job,) = fake.state.exports.values()
    assert list(job.filter) == ["updatedAt"]


def test_a_created_at_filter_is_pushed_into_the_export(fake: FakeMarketo) -> None:
    low = fake.state.epoch + dt.timedelta(days=10)
    high = fake.state.epoch + dt.timedelta(days=20)
    rows = read(fake, "leads", tasks=(between("createdAt", iso(low), iso(high)),))
    (job,) = fake.state.exports.values()
    assert job.filter == {"createdAt": {"startAt": iso(low), "endAt": iso(high)}}
    assert rows and all(low <= r["createdAt"] <= high for r in rows)


# -- activities through paging tokens, or bulk extract for the whole history
def test_a_full_activity_pull_uses_bulk_extract_and_matches_the_rest_shape(fake: FakeMarketo) -> None:
    rows = read(fake, "activities")
    assert [r["id"] for r in rows] == list(range(1, fake.state.activity_count() + 1))
    jobs = [j for j in fake.state.exports.values() if j.entity == "activities"]
    assert len(jobs) >= 6 and not fake.state.log.matching("/rest/v1/activities.json")
    for row in rows[:20]:
        expected = fake.state.activity(row["id"])
        assert row["marketoGUID"] == expected["marketoGUID"] and row["leadId"] == expected["leadId"]
        assert row["attributes"] == [{"name": a["name"], "value": json.dumps(a["value"], ensure_ascii=False)}
                                     for a in expected["attributes"]]


def test_activities_page_from_a_date_token_through_a_429(fake: FakeMarketo) -> None:
    # The second page is refused once with HTTP 429 (Retry-After: 0) and asked again.
    fake.state.throttle_next(1, style="429", retry_after=0, path="/rest/v1/activities.json", after=1)
    since = fake.state.epoch - dt.timedelta(days=1)
    rows = read(fake, "activities", tasks=(greater("activityDate", iso(since)), MAP_ALL))
    assert [r["id"] for r in rows] == list(range(1, fake.state.activity_count() + 1))
    pages = fake.state.log.matching("/rest/v1/activities.json")
    assert len(pages) == 4 and pages[1]["query"] == pages[2]["query"] and pages[0]["query"]["batchSize"] == ["300"]
    first = rows[0]
    assert first["marketoGUID"] == "1" and isinstance(first["attributes"], list)
    assert first["attributes"][0]["name"] and first["attributes"][0]["value"] is not None


def test_an_activity_window_starts_the_token_at_its_start(fake: FakeMarketo) -> None:
    since = fake.state.epoch + dt.timedelta(days=150)
    rows = read(fake, "activities", window_field="activityDate", window_start=since.timestamp(),
                window_end=(fake.state.epoch + dt.timedelta(days=160)).timestamp())
    (token,) = fake.state.log.matching("pagingtoken.json")
    assert token["query"]["sinceDatetime"] == [iso(since)]
    assert rows and all(since < r["activityDate"] for r in rows)
    # The read stops after the page that passes the window's end.
    assert len(fake.state.log.matching("/rest/v1/activities.json")) == 1


# -- programs and campaigns
def test_programs_push_updated_at_bounds_and_parse_asset_datetimes(fake: FakeMarketo) -> None:
    everything = read(fake, "programs")
    assert [r["id"] for r in everything] == list(range(1000, 1045))
    assert everything[0]["folder"]["folderName"].startswith("Folder") and everything[0]["createdAt"].tzinfo
    low = fake.state.epoch + dt.timedelta(days=30)
    high = fake.state.epoch + dt.timedelta(days=90)
    rows = read(fake, "programs", tasks=(between("updatedAt", iso(low), iso(high)),))
    calls = fake.state.log.matching("programs.json")
    assert calls[-1]["query"]["earliestUpdatedAt"] == [iso(low)] and calls[-1]["query"]["maxReturn"] == ["200"]
    assert 0 < len(rows) < 45 and all(low <= r["updatedAt"] <= high for r in rows)


def test_campaigns_page_with_next_page_token(fake: FakeMarketo) -> None:
    rows = read(fake, "campaigns")
    assert [r["id"] for r in rows] == list(range(1, 41))
    assert {r["type"] for r in rows} == {"batch", "trigger"}


# -- errors
def test_an_expired_token_is_renewed_and_saved(fake: FakeMarketo) -> None:
    view, saved = profile(fake, accessToken=fake.token())
    fake.state.expire_tokens()
    with RestClient(CONNECTOR.api, view) as client:
        assert client.get("/rest/v1/leads/describe.json")["success"]
    assert saved and saved[-1]["accessToken"] != view.credentials["accessToken"]


def test_606_is_retried_and_607_fails_with_the_quota_message(fake: FakeMarketo) -> None:
    view, _ = profile(fake)
    fake.state.throttle_next(2, style="606")
    with RestClient(CONNECTOR.api, view) as client:
        assert client.get("/rest/v1/activities/types.json")["result"]
        assert client.retries == 2
        fake.state.fail_next("607")
        with pytest.raises(ConnectorError) as quota:
            client.get("/rest/v1/activities/types.json")
    assert quota.value.code == "ThrottlingError" and "daily API quota" in quota.value.message


def test_a_bad_request_carries_marketos_message(fake: FakeMarketo) -> None:
    view, _ = profile(fake)
    with RestClient(CONNECTOR.api, view) as client, pytest.raises(ConnectorError) as bad:
        client.get("/rest/v1/leads.json", filterType="firstName", filterValues="Ana")
    assert bad.value.code == "InvalidArgument" and "1011" in bad.value.message


# -- writes
def test_the_writer_maps_operations_to_sync_actions_and_reports_each_record(fake: FakeMarketo) -> None:
    view, _ = profile(fake)
    writer = CONNECTOR.writer
    assert writer is not None
    fake.state.reject(email="no@example.org", code="1003", message="Blocked by a test")
    with RestClient(CONNECTOR.api, view) as client:
        leads = CONNECTOR.catalog.entity(client, "leads")
        inserted = writer.send(client, WritePlan(leads, "INSERT"), [
            {"email": "a1@example.org", "firstName": "Ünïcode"}, {"email": "no@example.org"},
            {"email": "lead5@example5.com"}])
        assert inserted[0].ok and inserted[0].id
        assert (inserted[1].ok, inserted[1].code, inserted[1].message) == (False, "1003", "Blocked by a test")
        assert (inserted[2].ok, inserted[2].code) == (False, "1005")
        updated = writer.send(client, WritePlan(leads, "UPDATE", ("id",)), [{"id": 6, "city": "Oslo"},
                                                                            {"id": 99999, "city": "X"}])
        assert updated[0].ok and (updated[1].ok, updated[1].code) == (False, "1004")
        upserted = writer.send(client, WritePlan(leads, "UPSERT", ("email",)), [
            {"email": "lead8@example1.com", "city": "Lagos"}, {"email": "new8@example.org"}])
        assert all(r.ok for r in upserted) and upserted[0].id == "8"
        deleted = writer.send(client, WritePlan(leads, "DELETE", ("id",)), [{"id": 9}, {"name": "no id"}])
        assert deleted[0].ok and (deleted[1].ok, deleted[1].code) == (False, "1003")
    sync = [e for e in fake.state.log.matching("/rest/v1/leads.json") if e["method"] == "POST"]
    assert len(sync) == 3
    assert fake.state.lead(6)["city"] == "Oslo" and fake.state.lead(8)["city"] == "Lagos"
    assert fake.state.lead(9) is None


def test_the_writer_refuses_what_marketo_cannot_do(fake: FakeMarketo) -> None:
    view, _ = profile(fake)
    writer = CONNECTOR.writer
    assert writer is not None
    with RestClient(CONNECTOR.api, view) as client:
        programs = CONNECTOR.catalog.entity(client, "programs")
        leads = CONNECTOR.catalog.entity(client, "leads")
    with pytest.raises(ConnectorError, match="only Marketo leads"):
        writer.check(WritePlan(programs, "INSERT"))
    with pytest.raises(ConnectorError, match="by id"):
        writer.check(WritePlan(leads, "DELETE", ("email",)))
