"""The fake HubSpot driven by HubSpot's own Python client (hubspot-api-client): paging, search, batch
writes with a 207 partial failure, 401s, 429s and the OAuth refresh grant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.contacts import PublicObjectSearchRequest
from hubspot.crm.objects import ApiException as ObjectsApiException
from hubspot.crm.objects import BatchInputSimplePublicObjectBatchInputUpsert, SimplePublicObjectBatchInputUpsert
from urllib3.util.retry import Retry

from tests.fakes.hubspot.server import FakeHubSpot
from tests.fakes.hubspot.state import SEARCH_CAP
from tests.support.tls import certificates

RECORDS = 260


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeHubSpot]:
    with FakeHubSpot(records=RECORDS) as server:
        yield server


def client(fake: FakeHubSpot, token: str | None = None, **options: object) -> HubSpot:
    """The SDK pointed at the fake (its documented `host` configuration) and trusting the test CA."""
    return HubSpot(access_token=token or fake.token(), host=fake.url, ssl_ca_cert=certificates().ca_file, **options)


def test_list_pages_with_after_and_returns_every_contact_once(fake: FakeHubSpot) -> None:
    api = client(fake)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = api.crm.contacts.basic_api.get_page(limit=100, after=after, properties=["email", "firstname", "city"])
        pages += 1
        seen += [r.id for r in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after
    assert pages == 3 and len(seen) == RECORDS == len(set(seen))
    first = api.crm.contacts.basic_api.get_page(limit=5, properties=["email", "firstname", "city"]).results[0]
    assert set(first.properties) == {"email", "firstname", "city"}
    assert all(isinstance(v, str | None) for v in first.properties.values())  # HubSpot answers text


def test_get_all_and_unicode_values(fake: FakeHubSpot) -> None:
    companies = client(fake).crm.companies.get_all(properties=["name", "country"])
    assert len(companies) == RECORDS
    assert any("—" in (c.properties["name"] or "") for c in companies)


def test_properties_api_describes_types(fake: FakeHubSpot) -> None:
    props = {p.name: p for p in client(fake).crm.properties.core_api.get_all(object_type="contacts").results}
    assert props["lastmodifieddate"].type == "datetime"
    assert props["lifecyclestage"].type == "enumeration" and props["lifecyclestage"].options
    assert props["hs_email_optout"].type == "bool"
    assert props["email"].has_unique_value is True
    assert props["createdate"].modification_metadata.read_only_value is True


def test_search_filters_sorts_and_pages(fake: FakeHubSpot) -> None:
    api = client(fake)
    request = PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": "1704200000000"},
                                    {"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]}],
        sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
        properties=["lastmodifieddate", "lifecyclestage"], limit=50)
    found = api.crm.contacts.search_api.do_search(public_object_search_request=request)
    assert found.total > 50 and len(found.results) == 50 and found.paging.next.after == "50"
    times = [r.properties["lastmodifieddate"] for r in found.results]
    assert times == sorted(times)
    assert {r.properties["lifecyclestage"] for r in found.results} == {"customer"}
    request.after = found.paging.next.after
    second = api.crm.contacts.search_api.do_search(public_object_search_request=request)
    assert not {r.id for r in second.results} & {r.id for r in found.results}


def test_search_refuses_paging_past_the_cap(fake: FakeHubSpot) -> None:
    request = PublicObjectSearchRequest(limit=100, after=str(SEARCH_CAP - 50))
    with pytest.raises(Exception) as refused:
        client(fake).crm.contacts.search_api.do_search(public_object_search_request=request)
    assert refused.value.status == 400 and "10000" in refused.value.body


def test_batch_create_reports_a_partial_failure_as_207(fake: FakeHubSpot) -> None:
    fake.state.reject("companies", "domain", "bad.example.com", "Property values were not valid: domain is blocked")
    inputs = {"inputs": [{"properties": {"name": "Ünïcode Ltd", "domain": "ok.example.com"}, "objectWriteTraceId": "0"},
                         {"properties": {"name": "Blocked", "domain": "bad.example.com"}, "objectWriteTraceId": "1"},
                         {"properties": {"name": "Fine", "domain": "fine.example.com"}, "objectWriteTraceId": "2"}]}
    answer = client(fake).crm.objects.batch_api.create("companies", inputs)
    assert answer.num_errors == 1
    assert answer.errors[0].category == "VALIDATION_ERROR"
    assert answer.errors[0].context == {"objectWriteTraceId": ["1"]}
    assert sorted(r.properties["name"] for r in answer.results) == ["Fine", "Ünïcode Ltd"]
    created = fake.state.get("companies", answer.results[0].id)
    assert created is not None and created["properties"]["domain"].endswith("example.com")


def test_batch_create_without_trace_ids_fails_whole(fake: FakeHubSpot) -> None:
    inputs = {"inputs": [{"properties": {"name": "A"}}, {"properties": {"nonexistent_prop": "x"}}]}
    with pytest.raises(ObjectsApiException) as refused:
        client(fake).crm.objects.batch_api.create("companies", inputs)
    assert refused.value.status == 400 and "does not exist" in refused.value.body


def test_batch_upsert_by_email_updates_and_creates(fake: FakeHubSpot) -> None:
    existing = fake.state.get("contacts", "1002")
    assert existing is not None
    email = existing["properties"]["email"]
    batch = BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        SimplePublicObjectBatchInputUpsert(id_property="email", id=email.upper(), properties={"city": "Reykjavík"},
                                           object_write_trace_id="0"),
        SimplePublicObjectBatchInputUpsert(id_property="email", id="new.person@example.com",
                                           properties={"firstname": "Nova"}, object_write_trace_id="1"),
    ])
    answer = client(fake).crm.objects.batch_api.upsert("contacts", batch)
    by_new = {r.new: r for r in answer.results}
    assert by_new[False].id == "1002" and by_new[False].properties["city"] == "Reykjavík"
    assert by_new[True].properties["email"] == "new.person@example.com"


def test_unknown_and_expired_tokens_answer_401(fake: FakeHubSpot) -> None:
    with pytest.raises(Exception) as unknown:
        client(fake, token="not-a-token").crm.contacts.basic_api.get_page(limit=1)
    assert unknown.value.status == 401 and '"category":"INVALID_AUTHENTICATION"' in unknown.value.body.replace(" ", "")
    token = fake.token()
    fake.state.expire_tokens()
    with pytest.raises(Exception) as expired:
        client(fake, token=token).crm.contacts.basic_api.get_page(limit=1)
    assert expired.value.status == 401 and "EXPIRED_AUTHENTICATION" in expired.value.body


def test_refresh_grant_issues_a_working_token(fake: FakeHubSpot) -> None:
    oauth = client(fake).oauth.tokens_api
    answer = oauth.create(grant_type="refresh_token", refresh_token="hubspot-refresh-0000", client_id="hubspot-client",
                          client_secret="hubspot-secret")
    assert answer.token_type == "bearer" and answer.expires_in == 1800
    assert client(fake, token=answer.access_token).crm.contacts.basic_api.get_page(limit=1).results
    with pytest.raises(Exception) as refused:
        oauth.create(grant_type="refresh_token", refresh_token="wrong", client_id="hubspot-client",
                     client_secret="hubspot-secret")
    assert refused.value.status == 400 and "BAD_REFRESH_TOKEN" in refused.value.body


def test_rate_limit_answers_429_and_the_sdk_retry_recovers(fake: FakeHubSpot) -> None:
    fake.state.throttle_next(1, path="/crm/v3/objects/deals", retry_after=0)
    limited = requests.get(f"{fake.url}/crm/v3/objects/deals", params={"limit": 1}, verify=certificates().ca_file,
                           headers={"Authorization": f"Bearer {fake.token()}"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "0"
    assert limited.json()["errorType"] == "RATE_LIMIT" and limited.json()["policyName"] == "TEN_SECONDLY_ROLLING"
    assert limited.json()["message"] == "You have reached your ten_secondly_rolling limit."
    assert limited.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    fake.state.log.clear()
    fake.state.throttle_next(2, path="/crm/v3/objects/deals", retry_after=0)
    retrying = client(fake, retry=Retry(total=3, status_forcelist=(429,), allowed_methods=None, backoff_factor=0))
    assert len(retrying.crm.deals.basic_api.get_page(limit=3).results) == 3
    assert len(fake.state.log.matching("/crm/v3/objects/deals")) == 3  # two refusals, then the page


def test_v4_association_labels(fake: FakeHubSpot) -> None:
    answer = client(fake).crm.associations.v4.schema.definitions_api.get_all("tickets", "contacts")
    assert {r.type_id for r in answer.results} == {16, 37}
