"""The fake Pardot business unit answers as the Account Engagement API v5 docs say, driven with `requests`.

Salesforce publishes no Python client for v5; its docs show plain HTTP calls (Python `requests` in the
Spring '22 blog post). These tests follow them: a refresh-token grant at the Salesforce token endpoint,
object queries with `fields`, `nextPageUrl` paging, filters, the business unit header, the error body,
an expired token and a 429.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fakes.pardot.server import FakePardot
from tests.support.tls import tls_env


@pytest.fixture(scope="module")
def fake() -> Iterator[FakePardot]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in tls_env().items():
            mp.setenv(key, value)
        with FakePardot(prospects=450) as server:
            yield server


def token(fake: FakePardot) -> str:
    answer = requests.post(f"{fake.url}/services/oauth2/token", timeout=30,
                           data={"grant_type": "refresh_token", "refresh_token": fake.state.refresh_token,
                                 "client_id": "app", "client_secret": "secret"})
    assert answer.status_code == 200 and answer.json()["token_type"] == "Bearer"
    return str(answer.json()["access_token"])


def get(fake: FakePardot, url: str, access: str, **params: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {access}", "Pardot-Business-Unit-Id": fake.state.business_unit_id}
    return requests.get(url if url.startswith("https") else f"{fake.url}{url}", params=params, headers=headers,
                        timeout=30)


def test_prospects_page_through_next_page_url_with_only_the_fields_asked(fake: FakePardot) -> None:
    access = token(fake)
    answer = get(fake, "/api/v5/objects/prospects", access, fields="id,email,campaign.name,Interests__c",
                 limit=200, orderBy="id asc").json()
    seen = list(answer["values"])
    assert set(seen[0]) == {"id", "email", "campaign", "Interests__c"}
    assert all(r["campaign"] is None or set(r["campaign"]) == {"name"} for r in seen)
    while answer["nextPageUrl"]:
        assert answer["nextPageToken"] in answer["nextPageUrl"]
        answer = get(fake, answer["nextPageUrl"], access).json()  # the URL carries the query on
        seen += answer["values"]
    expected = [r["id"] for r in fake.state.records("prospects") if not r["isDeleted"]]
    assert [r["id"] for r in seen] == expected and len(expected) > 400
    assert any(r["campaign"] is None for r in seen) and any(r["Interests__c"] for r in seen)


def test_filters_narrow_the_query(fake: FakePardot) -> None:
    access = token(fake)
    one = get(fake, "/api/v5/objects/prospects", access, fields="id,firstName",
              idGreaterThanOrEqualTo=1005, idLessThanOrEqualTo=1005, deleted="all").json()["values"]
    assert [r["id"] for r in one] == [1005]
    cut = fake.state.record("prospects", 1010)["updatedAt"]
    later = get(fake, "/api/v5/objects/prospects", access, fields="id,updatedAt", updatedAtAfter=cut,
                limit=1000).json()["values"]
    assert later and all(r["updatedAt"] > cut for r in later)
    deleted = get(fake, "/api/v5/objects/prospects", access, fields="id,isDeleted", deleted="true",
                  limit=1000).json()["values"]
    assert deleted and all(r["isDeleted"] for r in deleted)


def test_errors_use_the_code_and_message_body(fake: FakePardot) -> None:
    access = token(fake)
    bad_field = get(fake, "/api/v5/objects/prospects", access, fields="id,nope")
    assert bad_field.status_code == 400 and bad_field.json()["code"] == 55
    no_fields = get(fake, "/api/v5/objects/campaigns", access)
    assert no_fields.status_code == 400 and "fields" in no_fields.json()["message"]
    no_unit = requests.get(f"{fake.url}/api/v5/objects/users", params={"fields": "id"}, timeout=30,
                           headers={"Authorization": f"Bearer {access}"})
    assert no_unit.status_code == 400 and no_unit.json()["code"] == 181
    refused = requests.post(f"{fake.url}/services/oauth2/token", timeout=30,
                            data={"grant_type": "refresh_token", "refresh_token": "stale"})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_an_expired_token_is_refused_until_refreshed(fake: FakePardot) -> None:
    access = token(fake)
    fake.state.expire_tokens()
    expired = get(fake, "/api/v5/objects/users", access, fields="id")
    assert expired.status_code == 401 and expired.json() == {
        "code": 184, "message": "access_token is invalid, unknown, or malformed: Inactive token"}
    assert get(fake, "/api/v5/objects/users", token(fake), fields="id,email").status_code == 200


def test_a_forced_429_answers_code_66_then_passes(fake: FakePardot) -> None:
    access = token(fake)
    fake.state.throttle_next(1, path="/api/v5/objects/tags")
    first = get(fake, "/api/v5/objects/tags", access, fields="id,name")
    assert first.status_code == 429 and first.json()["code"] == 66
    again = get(fake, "/api/v5/objects/tags", access, fields="id,name")
    assert again.status_code == 200 and len(again.json()["values"]) == 12
