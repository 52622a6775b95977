"""The fake Jira Cloud site driven with the `jira` library (pycontribs/jira) on its default, REST API v2.

v2 is what AppFlow's Jira Cloud connector uses (and so what Sluice calls).
`JIRA(server=..., basic_auth=(email, API token), options={"verify": CA})` reaches the site's own
`/rest/api/2`; `token_auth` with an OAuth access token reaches the gateway path `/ex/jira/{cloudId}`.
Covers rich text (description, environment, textarea custom fields, comment bodies) as wiki-markup
strings in v2 and as Atlassian Document Format in v3 for the same issue, `issue()` and its 404,
`enhanced_search_issues` paged by `nextPageToken` to the end,
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
    return JIRA(server=server, options={"verify": certificates().ca_file},
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
    assert pages[0]["path"] == "/rest/api/2/search/jql"  # the library's default version
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
    base = f"{fake.url}/rest/api/2"
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


RICH = ["description", "environment", "customfield_10300", "comment"]


def rich_issue(fake: FakeJira) -> dict[str, Any]:
    """An issue whose every rich-text field and comment list is filled."""
    return next(i for i in every_issue(fake)
                if all(i["fields"][f] for f in RICH[:3]) and i["fields"]["comment"]["total"])


def test_rich_text_is_wiki_markup_in_v2(fake: FakeJira) -> None:
    expected = rich_issue(fake)
    issue = jira(fake).issue(expected["key"], fields=",".join(RICH))
    assert isinstance(issue.fields.description, str) and issue.fields.description == expected["fields"]["description"]
    assert "\n* " in issue.fields.description and "{{" in issue.fields.description  # wiki list and monospace
    assert issue.fields.environment == expected["fields"]["environment"]
    assert issue.raw["fields"]["customfield_10300"] == expected["fields"]["customfield_10300"]
    bodies = [c.body for c in issue.fields.comment.comments]
    assert bodies == [c["body"] for c in expected["fields"]["comment"]["comments"]] and all(isinstance(b, str)
                                                                                           for b in bodies)
    assert issue.raw["self"].startswith(f"{fake.state.site_url}/rest/api/2/issue/")
    [found] = jira(fake).enhanced_search_issues(f'key = "{expected["key"]}"', maxResults=0, fields=["description"])
    assert found.fields.description == expected["fields"]["description"]
    with pytest.raises(JIRAError) as missing:
        jira(fake).issue("SLU-99999")
    assert missing.value.status_code == 404 and "does not exist" in missing.value.text


def test_rich_text_is_adf_in_v3(fake: FakeJira) -> None:
    expected = rich_issue(fake)
    session = jira(fake)._session
    v3 = session.get(f"{fake.url}/rest/api/3/issue/{expected['key']}", params={"fields": ",".join(RICH)}).json()
    description = v3["fields"]["description"]
    assert description["type"] == "doc" and description["version"] == 1
    kinds = [node["type"] for node in description["content"]]
    assert kinds[0] == "heading" and "bulletList" in kinds and "paragraph" in kinds
    marks = {m["type"] for node in description["content"] for n in node.get("content", [])
             for m in n.get("marks", [])}
    assert "strong" in marks
    assert v3["fields"]["environment"]["type"] == "doc" and v3["fields"]["customfield_10300"]["type"] == "doc"
    assert all(c["body"]["type"] == "doc" for c in v3["fields"]["comment"]["comments"])
    assert v3["self"].startswith(f"{fake.state.site_url}/rest/api/3/issue/")
    searched = session.post(f"{fake.url}/rest/api/3/search/jql", json={
        "jql": f'key = "{expected["key"]}"', "fields": ["description", "summary"]}).json()
    assert searched["issues"][0]["fields"]["description"] == description
    assert searched["issues"][0]["fields"]["summary"] == expected["fields"]["summary"]  # plain text: same in both
