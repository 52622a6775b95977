"""The fake Jira Cloud site driven with the `jira` library (pycontribs/jira), REST API v3.

`JIRA(server=..., basic_auth=(email, API token), options={"rest_api_version": "3", "verify": CA})`
reaches the site's own `/rest/api/3`; `token_auth` with an OAuth access token reaches the gateway
path `/ex/jira/{cloudId}`. Covers `enhanced_search_issues` paged by `nextPageToken` to the end,
JQL evaluated as Jira does (dates in the user's time zone at minute resolution, project/status
clauses, unbounded JQL refused, unknown fields refused), `fields()`, `projects()` and the paged
`project/search` / `users/search`, a bad API token (401), an expired OAuth token on the gateway
and its refresh-token grant (rotating), and 429 with `Retry-After` (refused with no retries,
retried by the library's own session otherwise).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from jira import JIRA, JIRAError

from tests.fakes.jira.server import FakeJira
from tests.fakes.jira.site import jira_time
from tests.support.tls import certificates

ISSUES = 230


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeJira]:
    with FakeJira(issues=ISSUES) as server:
        yield server


def jira(fake: FakeJira, max_retries: int = 0, **auth: Any) -> JIRA:
    if not auth:
        auth = {"basic_auth": (fake.state.email, fake.state.api_token)}
    server = fake.url if "basic_auth" in auth else f"{fake.url}/ex/jira/{fake.state.cloud_id}"
    return JIRA(server=server, options={"rest_api_version": "3", "verify": certificates().ca_file},
                max_retries=max_retries, **auth)


def every_issue(fake: FakeJira) -> list[dict[str, Any]]:
    return [fake.state.issue(i) for i in range(fake.state.count())]


def test_enhanced_search_pages_to_the_end(fake: FakeJira) -> None:
    fake.state.log.clear()
    found = jira(fake).enhanced_search_issues('project = "SLU" AND created >= "1970/01/01 00:00"', maxResults=0,
                                              fields=["summary", "status", "updated"])
    expected = [i for i in every_issue(fake) if i["fields"]["project"]["key"] == "SLU"]
    assert len(found) == len(expected) > 0
    assert {i.key for i in found} == {i["key"] for i in expected}
    assert found[0].fields.status.name in {"To Do", "In Progress", "Done", "Blokkert"}
    pages = fake.state.log.matching("/search/jql")
    assert len(pages) == 1 and "nextPageToken" not in pages[0]["query"]  # 46 issues: one page of 100
    everything = jira(fake).enhanced_search_issues('created >= "1970/01/01 00:00"', maxResults=0, fields=["id"])
    assert len(everything) == ISSUES
    assert len(fake.state.log.matching("/search/jql")) == 1 + 3  # 100 + 100 + 30


def test_dates_are_read_in_the_users_time_zone_at_minute_resolution(fake: FakeJira) -> None:
    issues = every_issue(fake)
    pivot = datetime.strptime(issues[120]["fields"]["updated"], "%Y-%m-%dT%H:%M:%S.%f%z")
    zone = ZoneInfo(fake.state.api_user["timeZone"])
    minute = pivot.astimezone(zone).strftime("%Y/%m/%d %H:%M")
    floor = datetime.strptime(minute, "%Y/%m/%d %H:%M").replace(tzinfo=zone).timestamp()
    found = jira(fake).enhanced_search_issues(f'updated >= "{minute}"', maxResults=0, fields=["updated"])
    expected = {i["key"] for i in issues
                if datetime.strptime(i["fields"]["updated"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() >= floor}
    assert {i.key for i in found} == expected and issues[120]["key"] in expected


def test_jql_errors_are_jira_error_bodies(fake: FakeJira) -> None:
    with pytest.raises(JIRAError) as unbounded:
        jira(fake).enhanced_search_issues("ORDER BY created DESC", maxResults=10)
    assert unbounded.value.status_code == 400 and "Unbounded JQL" in unbounded.value.text
    with pytest.raises(JIRAError) as unknown:
        jira(fake).enhanced_search_issues('nosuchfield = "x"', maxResults=10)
    assert "does not exist" in unknown.value.text


def test_fields_projects_and_users(fake: FakeJira) -> None:
    client = jira(fake)
    fields = {f["id"]: f for f in client.fields()}
    assert fields["customfield_10016"]["schema"]["type"] == "number" and fields["customfield_10016"]["custom"]
    assert fields["updated"]["clauseNames"][0] == "updated"
    assert [p.key for p in client.projects()] == ["SLU", "DATA", "OPS", "MOB", "BIZ"]
    session = client._session
    base = f"{fake.url}/rest/api/3"
    page = session.get(f"{base}/project/search", params={"startAt": 0, "maxResults": 2, "expand": "lead"}).json()
    assert page["isLast"] is False and len(page["values"]) == 2 and page["values"][0]["lead"]["accountId"]
    last = session.get(f"{base}/project/search", params={"startAt": 4, "maxResults": 2}).json()
    assert last["isLast"] is True and [p["key"] for p in last["values"]] == ["BIZ"]
    keyed = session.get(f"{base}/project/search", params={"keys": "OPS"}).json()
    assert [p["key"] for p in keyed["values"]] == ["OPS"]
    users = session.get(f"{base}/users/search", params={"startAt": 0, "maxResults": 1000}).json()
    assert len(users) == len(fake.state.users) and all("accountId" in u for u in users)
    assert session.get(f"{base}/users/search", params={"startAt": 1000}).json() == []


def test_bad_api_token_is_401(fake: FakeJira) -> None:
    with pytest.raises(JIRAError) as refused:
        jira(fake, basic_auth=(fake.state.email, "not-the-token"))
    assert refused.value.status_code == 401
    assert "Client must be authenticated" in refused.value.text


def test_oauth_gateway_and_rotating_refresh(fake: FakeJira) -> None:
    tokens = fake.state.issue_tokens()
    client = jira(fake, token_auth=tokens["access_token"])
    assert client.myself()["accountId"] == fake.state.api_user["accountId"]
    fake.state.expire_tokens()
    with pytest.raises(JIRAError) as expired:
        client.myself()
    assert expired.value.status_code == 401
    grant = {"grant_type": "refresh_token", "client_id": fake.state.client_id,
             "client_secret": fake.state.client_secret, "refresh_token": tokens["refresh_token"]}
    with httpx.Client(verify=ssl.create_default_context(cafile=certificates().ca_file)) as http:
        renewed = http.post(f"{fake.url}/oauth/token", json=grant)
        assert renewed.status_code == 200 and renewed.json()["refresh_token"] != tokens["refresh_token"]
        assert http.post(f"{fake.url}/oauth/token", json=grant).status_code == 403  # rotated: spent
        resources = http.get(f"{fake.url}/oauth/token/accessible-resources",
                             headers={"Authorization": f"Bearer {renewed.json()['access_token']}"}).json()
    assert resources[0]["id"] == fake.state.cloud_id and resources[0]["url"] == fake.state.site_url
    assert jira(fake, token_auth=renewed.json()["access_token"]).myself()["timeZone"] == "America/Los_Angeles"


def test_rate_limit_has_retry_after_and_the_library_retries(fake: FakeJira) -> None:
    fake.state.throttle_next(1, retry_after=0)
    with pytest.raises(JIRAError) as limited:
        jira(fake)  # serverInfo is the first call
    assert limited.value.status_code == 429 and limited.value.response.headers["Retry-After"] == "0"
    client = jira(fake, max_retries=2)
    fake.state.throttle_next(1, retry_after=0)
    assert client.myself()["accountId"] == fake.state.api_user["accountId"]


def test_issue_times_are_jira_formatted(fake: FakeJira) -> None:
    assert jira_time(0, "Europe/Oslo") == "1970-01-01T01:00:00.000+0100"
    assert datetime.strptime(fake.state.issue(0)["fields"]["created"], "%Y-%m-%dT%H:%M:%S.%f%z").tzinfo is not None
