"""The fake Dynamics 365 environment driven with `requests` as Microsoft's Web API docs show the calls.

There is no Microsoft Dataverse client among the test dependencies (PyPI's
`powerplatform-dataverse-client` is the candidate; see the Dynamics 365 docs page), so the calls
are the documented HTTP ones: a refresh_token grant at the identity platform, then GETs with
`OData-MaxVersion`/`OData-Version` headers, `Prefer: odata.maxpagesize`, `$select` and `$filter`,
following `@odata.nextLink` with the same headers until it is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fakes.dynamics365.server import FakeDynamics365
from tests.support.tls import certificates, tls_env

ACCOUNTS = 230
HEADERS = {"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0"}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDynamics365]:
    with FakeDynamics365(accounts=ACCOUNTS, contacts=40) as server:
        yield server


@pytest.fixture(autouse=True)
def trust_the_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in tls_env().items():  # requests lets these override a session's `verify`
        monkeypatch.setenv(name, value)


@pytest.fixture()
def web(fake: FakeDynamics365) -> requests.Session:
    session = requests.Session()
    session.verify = certificates().ca_file
    session.headers.update({**HEADERS, "Authorization": f"Bearer {fake.state.access_token}"})
    return session


def token(fake: FakeDynamics365, **form: str) -> requests.Response:
    body = {"grant_type": "refresh_token", "client_id": fake.state.client_id,
            "client_secret": fake.state.client_secret, "refresh_token": fake.state.refresh_token,
            "scope": "https://contoso.crm.dynamics.com/.default offline_access", **form}
    return requests.post(f"{fake.url}/common/oauth2/v2.0/token", data=body, verify=certificates().ca_file,
                         timeout=10)


def all_pages(web: requests.Session, url: str, page: int, **params: str) -> tuple[list[dict[str, Any]], int]:
    """Every row of a query, following @odata.nextLink with the same Prefer header; (rows, pages)."""
    headers = {"Prefer": f"odata.maxpagesize={page}"}
    answer = web.get(url, params=params, headers=headers, timeout=10)
    rows, pages = [], 0
    while True:
        assert answer.status_code == 200, answer.text
        assert answer.headers["Preference-Applied"] == f"odata.maxpagesize={page}"
        body = answer.json()
        rows += body["value"]
        pages += 1
        if "@odata.nextLink" not in body:
            return rows, pages
        answer = web.get(body["@odata.nextLink"], headers=headers, timeout=10)


def test_refresh_grant_and_bad_client(fake: FakeDynamics365) -> None:
    answer = token(fake)
    assert answer.status_code == 200
    assert {"token_type", "access_token", "refresh_token", "expires_in"} <= answer.json().keys()
    refused = token(fake, refresh_token="stale")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert refused.json()["error_description"].startswith("AADSTS70000")
    wrong = token(fake, client_secret="nope")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_next_link_paging_returns_every_row_once(fake: FakeDynamics365, web: requests.Session) -> None:
    rows, pages = all_pages(web, f"{fake.url}/api/data/v9.2/accounts", 50, **{"$select": "name,modifiedon"})
    assert pages == 5 and len(rows) == ACCOUNTS
    assert len({r["accountid"] for r in rows}) == ACCOUNTS  # the primary key comes whatever $select says
    assert set(rows[0]) == {"@odata.etag", "name", "modifiedon", "accountid"}
    assert any(not r["name"].isascii() for r in rows)


def test_filter_and_select_push_down(fake: FakeDynamics365, web: requests.Session) -> None:
    url = f"{fake.url}/api/data/v9.2/accounts"
    everything, _ = all_pages(web, url, 5000, **{"$select": "name,revenue,telephone1,modifiedon,creditonhold"})
    expected = [r for r in everything if r["revenue"] is not None and r["revenue"] > 1e7
                and r["modifiedon"] > "2024-01-03T00:00:00Z" and not r["creditonhold"]]
    rows, _ = all_pages(web, url, 20, **{
        "$select": "name,revenue", "$filter": "revenue gt 10000000 and modifiedon gt 2024-01-03T00:00:00Z and "
                                              "creditonhold eq false"})
    assert [r["accountid"] for r in rows] == [r["accountid"] for r in expected] and expected
    assert any(r["telephone1"] is None for r in everything)  # nulls are written, not left out
    quoted, _ = all_pages(web, url, 100, **{"$filter": "(contains(name,'o''reilly') or name eq 'Contoso 0')",
                                            "$select": "name"})
    assert quoted and all("o'reilly" in r["name"].lower() or r["name"] == "Contoso 0" for r in quoted)
    bad = web.get(url, params={"$filter": "nosuch eq 1"}, timeout=10)
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == ("Could not find a property named 'nosuch' on type "
                                              "'Microsoft.Dynamics.CRM.account'.")


def test_table_definitions(fake: FakeDynamics365, web: requests.Session) -> None:
    tables = web.get(f"{fake.url}/api/data/v9.2/EntityDefinitions", timeout=10, params={
        "$select": "LogicalName,EntitySetName,DisplayName", "$filter": "EntitySetName eq 'contacts'"}).json()
    assert [t["LogicalName"] for t in tables["value"]] == ["contact"]
    assert tables["value"][0]["DisplayName"]["UserLocalizedLabel"]["Label"] == "Contact"
    columns = web.get(f"{fake.url}/api/data/v9.2/EntityDefinitions(LogicalName='account')/Attributes",
                      params={"$select": "LogicalName,AttributeType"}, timeout=10).json()["value"]
    kinds = {c["LogicalName"]: c["AttributeType"] for c in columns}
    assert kinds["revenue"] == "Money" and kinds["parentaccountid"] == "Lookup" and kinds["modifiedon"] == "DateTime"


def test_expired_token_answers_401_with_a_challenge(fake: FakeDynamics365, web: requests.Session) -> None:
    fake.state.expire_tokens()
    try:
        answer = web.get(f"{fake.url}/api/data/v9.2/WhoAmI", timeout=10)
        assert answer.status_code == 401 and answer.content == b""
        assert answer.headers["WWW-Authenticate"].startswith("Bearer authorization_uri=https://login.microsoftonline")
        renewed = token(fake).json()["access_token"]
        who = web.get(f"{fake.url}/api/data/v9.2/WhoAmI", headers={"Authorization": f"Bearer {renewed}"},
                      timeout=10)
        assert who.status_code == 200 and "UserId" in who.json()
    finally:
        fake.state.access_token = fake.state.issue()


def test_service_protection_limit_is_429_with_retry_after(fake: FakeDynamics365, web: requests.Session) -> None:
    fake.state.throttle_next(1, retry_after=3)
    answer = web.get(f"{fake.url}/api/data/v9.2/contacts", params={"$select": "fullname"}, timeout=10)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "3"
    assert answer.json()["error"]["code"] == "0x80072322"
    again = web.get(f"{fake.url}/api/data/v9.2/contacts", params={"$select": "fullname"}, timeout=10)
    assert again.status_code == 200 and len(again.json()["value"]) == 40


def test_top_count_and_orderby(fake: FakeDynamics365, web: requests.Session) -> None:
    body = web.get(f"{fake.url}/api/data/v9.2/contacts", timeout=10,
                   params={"$select": "fullname,birthdate", "$top": "3", "$count": "true"}).json()
    assert len(body["value"]) == 3 and body["@odata.count"] == 40 and "@odata.nextLink" not in body
    latest = web.get(f"{fake.url}/api/data/v9.2/accounts", timeout=10, params={
        "$select": "createdon", "$orderby": "createdon desc", "$top": "1"}).json()["value"]
    everything, _ = all_pages(web, f"{fake.url}/api/data/v9.2/accounts", 5000, **{"$select": "createdon"})
    assert latest[0]["createdon"] == max(r["createdon"] for r in everything)
