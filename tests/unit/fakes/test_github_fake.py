"""The fake GitHub driven by PyGithub, GitHub's community Python client: Link paging, auth
failures, the since filter, a private repository's 404, secondary and primary rate limits, and
the OAuth refresh_token grant - to show the fake answers as GitHub's REST API v3 does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from github import Auth, BadCredentialsException, Github, RateLimitExceededException, UnknownObjectException

from tests.fakes.github.server import FakeGitHub
from tests.support.tls import certificates, tls_env

REPOS, ISSUES, COMMITS = 4, 45, 30


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(repos=REPOS, issues=ISSUES, commits=COMMITS) as server:
        yield server


@pytest.fixture(autouse=True)
def trust(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in tls_env().items():  # requests reads REQUESTS_CA_BUNDLE
        monkeypatch.setenv(name, value)


def client(fake: FakeGitHub, auth: Auth.Auth | None = None, per_page: int = 30, **options: Any) -> Github:
    """A PyGithub client for the fake (no pause between requests: the fake has no secondary limit of its own)."""
    return Github(base_url=fake.url, auth=auth or Auth.Token(fake.token()), per_page=per_page,
                  seconds_between_requests=None, **options)


def test_link_paging_walks_every_issue_once(fake: FakeGitHub) -> None:
    gh = client(fake, per_page=7)
    repo = gh.get_repo("octocat/project-00")
    numbers = [issue.number for issue in repo.get_issues(state="all")]
    assert sorted(numbers) == list(range(1, ISSUES + 1))
    pages = fake.state.log.matching("/repos/octocat/project-00/issues")
    assert len(pages) == -(-ISSUES // 7)
    assert {e["query"]["per_page"][0] for e in pages} == {"7"}
    pulls = list(repo.get_pulls(state="all"))
    assert {p.number for p in pulls} == set(range(5, ISSUES + 1, 5))
    assert all(p.head.ref == f"feature-{p.number}" for p in pulls)


def test_repositories_and_user_issues_follow_visibility(fake: FakeGitHub) -> None:
    gh = client(fake)
    me = gh.get_user()
    assert me.login == "octocat"
    names = {r.full_name for r in me.get_repos()}
    assert "octo-org/vault" not in names and len(names) == REPOS
    every = list(me.get_issues(filter="all", state="all"))
    assert len(every) == REPOS * ISSUES
    assert {i.repository.full_name for i in every} == names
    with pytest.raises(UnknownObjectException) as refused:
        gh.get_repo("octo-org/vault")
    assert refused.value.status == 404 and refused.value.data["message"] == "Not Found"


def test_since_filters_issues_by_update_time_and_commits_by_committer_date(fake: FakeGitHub) -> None:
    gh = client(fake)
    repo = gh.get_repo("octocat/project-00")
    every = list(repo.get_issues(state="all"))
    cut = sorted(i.updated_at for i in every)[len(every) // 2]
    recent = list(repo.get_issues(state="all", since=cut))
    assert {i.number for i in recent} == {i.number for i in every if i.updated_at >= cut}
    commits = list(repo.get_commits())
    assert len(commits) == COMMITS
    middle = sorted(c.commit.committer.date for c in commits)[COMMITS // 2]
    later = list(repo.get_commits(since=middle))
    assert {c.sha for c in later} == {c.sha for c in commits if c.commit.committer.date >= middle}
    edited = fake.state.edit_issue("octocat/project-00", 3, title="Ünïcode title — edited")
    edited_at = datetime.fromisoformat(edited["updated_at"].replace("Z", "+00:00"))
    fresh = list(repo.get_issues(state="all", since=edited_at))
    assert [i.title for i in fresh] == ["Ünïcode title — edited"]


def test_branches_filter_protected(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo("octo-org/project-01")
    assert {b.name for b in repo.get_branches()} >= {"main", "dev", "feature/ünïcode"}
    checked = requests.get(f"{fake.url}/repos/octo-org/project-01/branches", params={"protected": "true"},
                           headers={"Authorization": f"Bearer {fake.token()}"}, verify=certificates().ca_file)
    assert [b["name"] for b in checked.json()] == ["main", "dev"]


def test_bad_credentials_answer_401_with_githubs_body(fake: FakeGitHub) -> None:
    gh = client(fake, Auth.Token("gho_not-a-real-token"))
    with pytest.raises(BadCredentialsException) as refused:
        assert gh.get_user().login
    assert refused.value.status == 401
    assert refused.value.data == {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest",
                                  "status": "401"}
    pat = fake.state.personal_access_token("octocat")
    assert client(fake, Auth.Login("octocat", pat)).get_user().login == "octocat"
    with pytest.raises(BadCredentialsException):
        assert client(fake, Auth.Login("octocat", pat + "x")).get_user().login


def test_secondary_rate_limit_is_retried_by_pygithub_after_retry_after(fake: FakeGitHub) -> None:
    fake.state.throttle_next(2, "secondary", retry_after=0)
    assert client(fake).get_user().login == "octocat"  # PyGithub's GithubRetry honours retry-after
    fake.state.throttle_next(1, "secondary", retry_after=0)
    with pytest.raises(RateLimitExceededException) as limited:
        assert client(fake, retry=None).get_user().login
    assert limited.value.status == 403
    assert "secondary rate limit" in limited.value.data["message"]
    assert (limited.value.headers or {})["retry-after"] == "0"


def test_primary_rate_limit_names_its_reset(fake: FakeGitHub) -> None:
    fake.state.throttle_next(1, "primary", reset_in=30)
    with pytest.raises(RateLimitExceededException) as limited:
        assert client(fake, retry=None).get_user().login
    headers = limited.value.headers or {}
    assert headers["x-ratelimit-remaining"] == "0"
    assert int(headers["x-ratelimit-reset"]) >= int(datetime.now(UTC).timestamp())
    ok = client(fake)
    assert ok.get_user().login
    remaining, limit = ok.rate_limiting
    assert limit == 5000 and remaining < 5000


def test_expiring_user_tokens_refresh_at_the_token_endpoint(fake: FakeGitHub) -> None:
    access, refresh = fake.state.issue_token(expires_in=3600, refresh=True)
    assert client(fake, Auth.Token(access)).get_user().login == "octocat"
    fake.state.expire_tokens()
    with pytest.raises(BadCredentialsException):
        assert client(fake, Auth.Token(access)).get_user().login
    answer = requests.post(f"{fake.url}/login/oauth/access_token", headers={"Accept": "application/json"},
                           data={"client_id": "Iv1.sluice-test-app", "client_secret": "sluice-app-secret",
                                 "grant_type": "refresh_token", "refresh_token": refresh},
                           verify=certificates().ca_file).json()
    assert answer["token_type"] == "bearer" and answer["expires_in"] == 28_800
    assert client(fake, Auth.Token(answer["access_token"])).get_user().login == "octocat"
    reused = requests.post(f"{fake.url}/login/oauth/access_token", headers={"Accept": "application/json"},
                           data={"client_id": "Iv1.sluice-test-app", "client_secret": "sluice-app-secret",
                                 "grant_type": "refresh_token", "refresh_token": refresh},
                           verify=certificates().ca_file)
    assert reused.status_code == 200 and reused.json()["error"] == "bad_refresh_token"


def test_unsupported_api_version_is_refused(fake: FakeGitHub) -> None:
    answer = requests.get(f"{fake.url}/user", headers={"Authorization": f"Bearer {fake.token()}",
                                                       "X-GitHub-Api-Version": "2020-01-01"},
                          verify=certificates().ca_file)
    assert answer.status_code == 400 and "not supported" in answer.json()["message"]


def test_generated_pages_match_the_filtered_list(fake: FakeGitHub) -> None:
    """The fake pages an unfiltered list without building it; a `since` list builds it: both agree."""
    headers = {"Authorization": f"Bearer {fake.token()}"}

    def ids(**params: str) -> list[int]:
        found: list[int] = []
        url: str | None = f"{fake.url}/issues"
        query = {"filter": "all", "state": "all", "per_page": "100", **params}
        while url:
            page = requests.get(url, params=query, headers=headers, verify=certificates().ca_file)
            found += [issue["id"] for issue in page.json()]
            url, query = page.links.get("next", {}).get("url"), {}
        return found

    assert ids() == ids(since="2000-01-01T00:00:00Z")
    assert len(ids()) == REPOS * ISSUES
