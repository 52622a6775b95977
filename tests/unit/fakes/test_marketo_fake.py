"""The fake Marketo driven by Marketo's Python client (`marketorestpython`), to show it answers like the real API.

`MarketoClient(munchkin_id, ...)` builds `https://<munchkin>.mktorest.com`; its `host` attribute is the base
of every call, so the tests point it at the fake's URL, and `REQUESTS_CA_BUNDLE` makes requests trust the
fake's test CA. The client paces itself to 5 calls a second, so each test keeps its call count small.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import time
from collections.abc import Iterator

import pytest
import requests
from marketorestpython.client import MarketoClient
from marketorestpython.helper.exceptions import MarketoException

from tests.fakes.marketo.server import FakeMarketo
from tests.fakes.marketo.state import MarketoState
from tests.support.tls import tls_env

LEADS = 240


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeMarketo]:
    saved = {k: os.environ.get(k) for k in tls_env()}
    os.environ.update(tls_env())
    with FakeMarketo(leads=LEADS, activities=400, programs=45, campaigns=40) as server:
        yield server
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def client(fake: FakeMarketo) -> MarketoClient:
    mc = MarketoClient("123-ABC-456", "sluice-client", "sluice-secret", max_retry_time=20)
    mc.host = fake.url
    return mc


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def raw(fake: FakeMarketo, path: str, **params: str) -> requests.Response:
    """A plain GET with a valid token (for what the client library hides: HTTP status and headers)."""
    return requests.get(fake.url + path, params=params, headers={"Authorization": f"Bearer {fake.token()}"},
                        timeout=30)


# -- authentication
def test_identity_issues_a_bearer_token_and_refuses_a_bad_secret(fake: FakeMarketo, client: MarketoClient) -> None:
    client.authenticate()
    assert client.token_type == "bearer" and client.expires_in <= 3600 and client.scope
    bad = MarketoClient("123-ABC-456", "sluice-client", "wrong-secret")
    bad.host = fake.url
    with pytest.raises(Exception, match="Bad client credentials"):
        bad.authenticate()
    reply = requests.get(fake.url + "/identity/oauth/token", timeout=30, params={
        "grant_type": "client_credentials", "client_id": "sluice-client", "client_secret": "nope"})
    assert reply.status_code == 401 and reply.json()["error"] == "unauthorized"


def test_identity_returns_the_same_token_until_it_expires(fake: FakeMarketo) -> None:
    ask = {"grant_type": "client_credentials", "client_id": "sluice-client", "client_secret": "sluice-secret"}
    first = requests.get(fake.url + "/identity/oauth/token", params=ask, timeout=30).json()
    again = requests.get(fake.url + "/identity/oauth/token", params=ask, timeout=30).json()
    assert again["access_token"] == first["access_token"]
    fake.state.expire_tokens()
    renewed = requests.get(fake.url + "/identity/oauth/token", params=ask, timeout=30).json()
    assert renewed["access_token"] != first["access_token"] and renewed["expires_in"] == 3600


def test_expired_and_invalid_tokens_answer_602_and_601_in_an_http_200_envelope(
        fake: FakeMarketo, client: MarketoClient) -> None:
    client.authenticate()
    fake.state.expire_tokens()
    with pytest.raises(MarketoException) as expired:
        client.describe()
    assert expired.value.code == "602"
    reply = requests.get(fake.url + "/rest/v1/leads/describe.json", headers={"Authorization": "Bearer forged"},
                         timeout=30)
    assert reply.status_code == 200 and reply.json()["errors"] == [{"code": "601", "message": "Access token invalid"}]
    client.valid_until = None  # the library re-authenticates only once it believes its token is stale
    assert client.execute("describe")


# -- metadata
def test_describe_and_describe2_list_fields_with_types_and_rest_names(client: MarketoClient) -> None:
    fields = {f["rest"]["name"]: f for f in client.describe()}
    assert fields["email"]["dataType"] == "email" and fields["email"]["length"] == 255
    assert fields["updatedAt"]["rest"]["readOnly"] is True and fields["customerTier"]["rest"]["readOnly"] is False
    (lead2,) = client.describe2()
    assert ["email"] in lead2["searchableFields"]
    assert {f["name"]: f["updateable"] for f in lead2["fields"]}["createdAt"] is False


def test_activity_types_have_primary_and_secondary_attributes(client: MarketoClient) -> None:
    types = {t["id"]: t for t in client.get_activity_types()}
    assert types[2]["name"] == "Fill Out Form" and types[2]["primaryAttribute"]["name"] == "Webform ID"
    assert {"name": "Form Fields", "dataType": "text"} in types[2]["attributes"]


# -- reads and paging
def test_leads_by_filter_type_page_with_position_tokens_through_the_form_post(
        fake: FakeMarketo, client: MarketoClient) -> None:
    fake.state.log.clear()
    ids = [str(i) for i in range(1, 251)]  # 240 exist
    leads = client.get_multiple_leads_by_filter_type("id", ids, fields=["email", "firstName", "phone"],
                                                     batchSize=100)
    assert sorted(r["id"] for r in leads) == list(range(1, LEADS + 1))
    assert all(set(r) == {"id", "email", "firstName", "phone"} for r in leads)
    assert any(r["phone"] is None for r in leads)
    calls = fake.state.log.matching("/rest/v1/leads.json")
    assert len(calls) == 3 and calls[0]["query"]["filterType"] == ["id"] and calls[0]["query"]["_method"] == ["GET"]


def test_leads_by_filter_rejects_unsearchable_fields_and_unknown_fields(client: MarketoClient) -> None:
    with pytest.raises(MarketoException) as unsupported:
        client.get_multiple_leads_by_filter_type("firstName", ["Ana"])
    assert unsupported.value.code == "1011"
    with pytest.raises(MarketoException) as unknown:
        client.get_multiple_leads_by_filter_type("email", ["lead1@example1.com"], fields=["shoeSize"])
    assert unknown.value.code == "1006"


def test_activities_page_from_a_date_token_until_more_result_is_false(fake: FakeMarketo, client: MarketoClient) -> None:
    moment = fake.state.epoch + dt.timedelta(days=31)
    got = client.get_lead_activities(["1", "6"], sinceDatetime=stamp(moment), batchSize=100)
    expected = [a["id"] for a in map(fake.state.activity, range(1, fake.state.activity_count() + 1))
                if a["activityTypeId"] in (1, 6) and a["activityDate"] >= stamp(moment)]
    assert [a["id"] for a in got] == expected and len(expected) > 100
    assert all(a["marketoGUID"] == str(a["id"]) for a in got)


def test_lead_changes_keep_only_requested_fields(fake: FakeMarketo, client: MarketoClient) -> None:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    fake.state.update_lead(7, leadScore=999, title="Chief Ünicode Officer")
    changes = client.get_lead_changes(["leadScore"], sinceDatetime=start.strftime("%Y-%m-%dT%H:%M:%SZ"))
    mine = [c for c in changes if c["leadId"] == 7]
    assert mine and all(f["name"] == "leadScore" for c in mine for f in c["fields"])
    assert mine[-1]["fields"][0]["newValue"] == 999


def test_programs_browse_by_offset_and_filter_by_update_range(fake: FakeMarketo, client: MarketoClient) -> None:
    everything = client.browse_programs(maxReturn=20)
    assert [p["id"] for p in everything] == list(range(1000, 1045))
    assert everything[0]["createdAt"].endswith("Z+0000")
    low, high = stamp(fake.state.epoch + dt.timedelta(days=31)), stamp(fake.state.epoch + dt.timedelta(days=59))
    ranged = client.browse_programs(maxReturn=200, earliestUpdatedAt=low, latestUpdatedAt=high)
    assert 0 < len(ranged) < 45 and all(low <= p["updatedAt"][:20] <= high for p in ranged)
    none = raw(fake, "/rest/asset/v1/programs.json", offset="500").json()
    assert none["success"] and "result" not in none and none["warnings"]


def test_campaigns_page_with_next_page_token(client: MarketoClient) -> None:
    campaigns = client.get_multiple_campaigns(batchSize=15)
    assert [c["id"] for c in campaigns] == list(range(1, 41))
    assert {c["type"] for c in campaigns} == {"batch", "trigger"}


# -- limits
def test_a_606_in_the_envelope_is_retried_by_the_client(fake: FakeMarketo, client: MarketoClient) -> None:
    client.authenticate()
    fake.state.log.clear()
    fake.state.throttle_next(1, style="606")
    # The library backs off and retries 606 itself; its retry loses the token (it pops it from the
    # arguments), so `execute` re-sends after the 601, as it does for any token error.
    assert client.execute("describe")
    assert len(fake.state.log.matching("describe.json")) == 3


def test_a_forced_429_carries_retry_after_and_the_client_retries_it(fake: FakeMarketo, client: MarketoClient) -> None:
    fake.state.throttle_next(1, style="429", retry_after=2)
    reply = raw(fake, "/rest/v1/activities/types.json")
    assert reply.status_code == 429 and reply.headers["Retry-After"] == "2"
    assert reply.json()["errors"][0]["code"] == "606"
    fake.state.throttle_next(1, style="429")
    client.authenticate()
    assert client.execute("get_activity_types")


def test_daily_quota_and_concurrency_errors(fake: FakeMarketo, client: MarketoClient) -> None:
    client.authenticate()
    fake.state.fail_next("607")
    with pytest.raises(MarketoException) as quota:
        client.describe()
    assert quota.value.code == "607"
    fake.state.fail_next("615")  # retryable for the client
    assert client.execute("describe")


def test_the_real_rate_limit_answers_606_after_100_calls_in_20_seconds() -> None:
    state = MarketoState(leads=1, rate_limit=(3, 20.0))
    for _ in range(3):
        state.count_call()
    with pytest.raises(Exception) as limited:
        state.count_call()
    assert getattr(limited.value, "code", None) == "606"
    state.exhaust_daily_quota()
    with pytest.raises(Exception) as quota:
        state.count_call()
    assert getattr(quota.value, "code", None) == "607"


# -- writes
def test_sync_leads_reports_per_record_status_and_reasons(fake: FakeMarketo, client: MarketoClient) -> None:
    fake.state.reject(email="blocked@example.org", code="1003", message="Lead is blocked by a test")
    result = client.create_update_leads([
        {"email": "new.person@example.org", "firstName": "Zoë", "customerTier": "Gold"},
        {"email": "lead3@example3.com", "firstName": "Dup"},
        {"email": "blocked@example.org"},
        {"email": "odd@example.org", "shoeSize": 42},
        {"email": "typed@example.org", "numberOfEmployees": "many"},
    ], action="createOnly", lookupField="email")
    assert result[0]["status"] == "created" and result[0]["id"] > LEADS
    assert result[1] == {"status": "skipped", "reasons": [{"code": "1005", "message": "Lead already exists"}]}
    assert result[2]["reasons"] == [{"code": "1003", "message": "Lead is blocked by a test"}]
    assert result[3]["reasons"][0]["code"] == "1006"
    assert result[4]["reasons"][0]["code"] == "1001"
    created = fake.state.lead(result[0]["id"])
    assert created["firstName"] == "Zoë" and created["customerTier"] == "Gold" and created["phone"] is None

    updates = client.create_update_leads([{"id": 5, "title": "Tester"}, {"id": 99999, "title": "Ghost"}],
                                         action="updateOnly", lookupField="id")
    assert updates[0] == {"id": 5, "status": "updated"}
    assert updates[1]["reasons"][0]["code"] == "1004"
    upsert = client.create_update_leads([{"email": "lead9@example2.com", "city": "Kraków"},
                                         {"email": "brand.new@example.org", "city": "Oslo"}])
    assert upsert[0] == {"id": 9, "status": "updated"} and upsert[1]["status"] == "created"
    assert fake.state.lead(9)["city"] == "Kraków"


def test_sync_leads_refuses_more_than_300_records(client: MarketoClient) -> None:
    with pytest.raises(MarketoException) as too_many:
        client.create_update_leads([{"email": f"x{i}@example.org"} for i in range(301)])
    assert too_many.value.code == "1003"


def test_delete_leads_and_read_them_back_as_deleted(fake: FakeMarketo, client: MarketoClient) -> None:
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = requests.post(fake.url + "/rest/v1/leads/delete.json", json={"input": [{"id": 11}, {"id": 99999}]},
                           headers={"Authorization": f"Bearer {fake.token()}"}, timeout=30).json()
    assert answer["result"] == [{"id": 11, "status": "deleted"},
                                {"id": 99999, "status": "skipped",
                                 "reasons": [{"code": "1004", "message": "Lead not found"}]}]
    assert client.delete_lead([12]) == [{"id": 12, "status": "deleted"}]
    gone = {a["leadId"] for a in client.get_deleted_leads(sinceDatetime=since)}
    assert {11, 12} <= gone and fake.state.lead(11) is None


# -- bulk extract
def poll(client: MarketoClient, entity: str, export_id: str) -> dict:
    for _ in range(10):
        status = getattr(client, f"get_{entity}_export_job_status")(export_id)[0]
        if status["status"] == "Completed":
            return status
        time.sleep(0.05)
    raise AssertionError(f"export {export_id} did not complete")


def test_bulk_lead_extract_runs_created_queued_processing_completed(fake: FakeMarketo, client: MarketoClient) -> None:
    low, high = fake.state.epoch, fake.state.epoch + dt.timedelta(days=30)
    window = {"startAt": stamp(low), "endAt": stamp(high)}
    job = client.create_leads_export_job(fields=["id", "email", "firstName", "phone", "unsubscribed"],
                                         filters={"createdAt": window})[0]
    assert job["status"] == "Created"
    assert client.enqueue_leads_export_job(job["exportId"])[0]["status"] == "Queued"
    status = poll(client, "leads", job["exportId"])
    body = client.get_leads_export_job_file(job["exportId"])
    assert status["fileSize"] == len(body)
    assert status["fileChecksum"] == "sha256:" + hashlib.sha256(body).hexdigest()
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    expected = [r["id"] for r in fake.state.leads()
                if low <= dt.datetime.fromisoformat(r["createdAt"].replace("Z", "+00:00")) <= high]
    assert [int(r["id"]) for r in rows] == expected and status["numberOfRecords"] == len(expected)
    assert "null" in {r["phone"] for r in rows} and {r["unsubscribed"] for r in rows} <= {"true", "false"}
    partial = requests.get(fake.url + f"/bulk/v1/leads/export/{job['exportId']}/file.json", timeout=30,
                           headers={"Authorization": f"Bearer {fake.token()}", "Range": "bytes=0-9"})
    assert partial.status_code == 206 and partial.content == body[:10]


def test_bulk_extract_refuses_ranges_over_31_days_and_unsupported_filters(client: MarketoClient) -> None:
    with pytest.raises(MarketoException) as too_long:
        client.create_leads_export_job(fields=["id"], filters={"updatedAt": {
            "startAt": "2025-01-01T00:00:00Z", "endAt": "2025-03-01T00:00:00Z"}})
    assert too_long.value.code == "1003"
    with pytest.raises(MarketoException) as smart:
        client.create_leads_export_job(fields=["id"], filters={"smartListId": 4})
    assert smart.value.code == "1035"


def test_bulk_activity_extract_writes_attributes_as_json(fake: FakeMarketo, client: MarketoClient) -> None:
    window = {"startAt": stamp(fake.state.epoch), "endAt": stamp(fake.state.epoch + dt.timedelta(days=20))}
    job = client.create_activities_export_job(filters={"createdAt": window, "activityTypeIds": [2]})[0]
    client.enqueue_activities_export_job(job["exportId"])
    poll(client, "activities", job["exportId"])
    rows = list(csv.DictReader(io.StringIO(client.get_activities_export_job_file(job["exportId"]).decode())))
    assert rows and {r["activityTypeId"] for r in rows} == {"2"}
    assert rows[0]["attributes"].startswith("[{") and list(rows[0]) == [
        "marketoGUID", "leadId", "activityDate", "activityTypeId", "campaignId", "primaryAttributeValueId",
        "primaryAttributeValue", "attributes"]


def test_big_seeds_cost_nothing_until_read() -> None:
    state = MarketoState(leads=500_000)
    last = state.lead(500_000)
    assert last is not None and last["email"] == "lead500000@example4.com"
    start = state.epoch + dt.timedelta(days=60)
    window = list(state.leads_in_range("createdAt", start, start + dt.timedelta(hours=1)))
    # One hour of a 180-day spread: about 115 leads, found without generating the other 499,900.
    assert 100 < len(window) < 200
