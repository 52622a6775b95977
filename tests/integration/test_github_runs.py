"""The GitHub data path end to end over signed boto3: cdk-appflow's GitHub stack (its OAuth and
personal-access-token profiles and its `issues` flow) against the fake GitHub, entity metadata,
push-down, a Scheduled incremental flow, rate limits retried, token refresh and failures that end
a run `Error` with GitHub's own message.

One Sluice server and one fake serve the module. The scheduler runs 60x faster than real time
from a shared epoch and the fake's clock runs on the same accelerated time, so the issues edited
between scheduled runs fall inside the windows the runs ask for.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.fakes.github.server import FakeGitHub
from tests.fakes.github.state import GitHubState
from tests.integration.builders import raises, unique
from tests.integration.cdk_appflow_stacks import CUSTOM, Stack, stacks
from tests.support import flows, managed
from tests.support.server import SluiceServer

SPEEDUP = 60.0
REPOS, ISSUES, COMMITS = 4, 60, 40
STACK_TOKEN, STACK_PAT = "gho_example0000", "ghp_example0000"
MAP_ALL = [{"taskType": "Map_all", "sourceFields": [], "connectorOperator": {CUSTOM: "NO_OP"}, "taskProperties": {}}]


@dataclass
class World:
    fake: FakeGitHub
    server: SluiceServer
    stack: Stack
    epoch: float

    def now(self) -> float:
        """The accelerated clock the scheduler and the fake share."""
        return self.epoch + (time.time() - self.epoch) * SPEEDUP


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    epoch = time.time()
    state = GitHubState(repos=REPOS, issues=ISSUES, commits=COMMITS)
    state.now = lambda: epoch + (time.time() - epoch) * SPEEDUP
    state.issue_token(token=STACK_TOKEN)
    state.personal_access_token("octocat", STACK_PAT)
    with FakeGitHub(state=state) as fake:
        env = {"SLUICE_ENDPOINT_URL_GITHUB": fake.url, **flows.scheduler_env(SPEEDUP, epoch)}
        with flows.saas_server(tmp_path_factory.mktemp("github"), secrets=(STACK_TOKEN, STACK_PAT),
                               **env) as server:  # type: ignore[arg-type]
            [stack] = [s for s in stacks(unique("gh")) if s.name == "github"]
            client = server.client()
            for profile in stack.profiles:
                client.create_connector_profile(**profile)
            yield World(fake, server, stack, epoch)


def oauth_profile(world: World) -> str:
    return str(world.stack.flow["sourceFlowConfig"]["connectorProfileName"])


def pat_profile(world: World) -> str:
    return str(world.stack.profiles[0]["connectorProfileName"])


def flow_request(profile: str, entity: str, bucket: str, tasks: list[dict[str, Any]] | None = None,
                 **source: Any) -> dict[str, Any]:
    return {
        "flowName": unique("gh-flow"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": {"connectorType": CUSTOM, "apiVersion": "v3", "connectorProfileName": profile,
                             "sourceConnectorProperties": {CUSTOM: {"entityName": entity}}, **source},
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket),
        "tasks": tasks or MAP_ALL,
    }


def visible_issue_count() -> int:
    return REPOS * ISSUES  # octocat sees every seeded repository but octo-org/vault


def test_cdk_stack_flow_moves_every_issue_the_user_can_see(world: World) -> None:
    client, flow = world.server.client(), world.stack.flow
    world.fake.state.log.clear()
    world.fake.state.media.clear()
    bucket = world.stack.buckets[0]
    record, _ = flows.run_to_s3(client, world.server, flow)
    assert record["executionStatus"] == "Successful", record["executionResult"]
    rows = flows.json_lines(world.server.data_dir / "s3" / bucket)  # the stack writes S3's default, JSON
    assert len(rows) == visible_issue_count()
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["repository"]["full_name"] for r in rows} == {
        f"{'octocat' if i % 2 == 0 else 'octo-org'}/project-{i:02d}" for i in range(REPOS)}
    assert any(r["pull_request"] is not None for r in rows) and any(r["milestone"] is None for r in rows)
    assert any("→" in (r["body"] or "") for r in rows)
    assert record["executionResult"]["recordsProcessed"] == len(rows)
    assert set(world.fake.state.media) == {("application/vnd.github+json", "2022-11-28")}
    pages = world.fake.state.log.matching("/issues")
    assert len(pages) == 3  # 240 issues, per_page=100, Link rel="next" twice
    first = pages[0]["query"]
    assert (first["filter"], first["state"], first["per_page"]) == (["all"], ["all"], ["100"])


def test_entities_are_listed_by_rest_path_and_described(world: World) -> None:
    client = world.server.client()
    top = client.list_connector_entities(connectorProfileName=oauth_profile(world), connectorType=CUSTOM)
    entities = {e["name"]: e for group in top["connectorEntityMap"].values() for e in group}
    assert {"issues", "user/repos", "repos/octocat/project-00", "repos/octo-org/project-01"} <= set(entities)
    assert "repos/octo-org/vault" not in entities
    assert entities["repos/octocat/project-00"]["hasNestedEntities"] is True
    assert entities["issues"]["hasNestedEntities"] is False
    nested = client.list_connector_entities(connectorProfileName=pat_profile(world), connectorType=CUSTOM,
                                            entitiesPath="repos/octocat/project-00")
    names = sorted(e["name"] for group in nested["connectorEntityMap"].values() for e in group)
    assert names == [f"repos/octocat/project-00/{kind}" for kind in ("branches", "commits", "issues", "pulls")]
    fields = client.describe_connector_entity(connectorProfileName=oauth_profile(world), connectorType=CUSTOM,
                                              connectorEntityName="repos/octocat/project-00/commits")
    by_id = {f["identifier"]: f for f in fields["connectorEntityFields"]}
    assert by_id["sha"]["isPrimaryKey"] is True
    assert by_id["commit.committer.date"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    issue_fields = client.describe_connector_entity(connectorProfileName=oauth_profile(world), connectorType=CUSTOM,
                                                    connectorEntityName="issues")["connectorEntityFields"]
    assert {"id", "title", "state", "updated_at", "repository", "labels"} <= {f["identifier"] for f in issue_fields}


def test_pat_profile_reads_commits_with_projection_and_since_pushed_down(world: World) -> None:
    client = world.server.client()
    bucket = flows.new_bucket(world.server)
    commits = world.fake.state.repo_commits(world.fake.state.by_name["octo-org/project-01"])
    dates = sorted(c["commit"]["committer"]["date"] for c in commits)
    cut = dates[COMMITS // 2]
    cut_ms = str(int(time.mktime(time.strptime(cut, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone) * 1000)
    tasks = [
        {"taskType": "Filter", "sourceFields": ["sha", "commit.committer.date", "author"],
         "connectorOperator": {CUSTOM: "PROJECTION"}, "taskProperties": {}},
        {"taskType": "Filter", "sourceFields": ["commit.committer.date"], "connectorOperator": {CUSTOM: "GREATER_THAN"},
         "taskProperties": {"DATA_TYPE": "datetime", "VALUE": cut_ms}},
        *flows.copy_columns(["sha", "commit.committer.date", "author"], CUSTOM),
    ]
    world.fake.state.log.clear()
    request = flow_request(pat_profile(world), "repos/octo-org/project-01/commits", bucket, tasks)
    record, rows = flows.run_to_s3(client, world.server, request)
    assert record["executionStatus"] == "Successful", record["executionResult"]
    assert sorted(r["sha"] for r in rows) == sorted(c["sha"] for c in commits if c["commit"]["committer"]["date"] > cut)
    assert set(rows[0]) == {"sha", "commit.committer.date", "author"}
    [request] = world.fake.state.log.matching("/repos/octo-org/project-01/commits")
    assert request["query"]["since"] == [cut]


def test_scheduled_incremental_issues_land_each_edit_once(world: World) -> None:
    client, fake = world.server.client(), world.fake
    repo = "octocat/project-00"
    bucket = flows.new_bucket(world.server)
    numbers = [1, 2, 3, 4]

    def edit(index: int, title: str) -> None:
        fake.state.edit_issue(repo, numbers[index], title=title)

    for index in range(3):
        edit(index, f"first-{index}")
    name = unique("gh-inc")
    request = flow_request(oauth_profile(world), f"repos/{repo}/issues", bucket,
                           incrementalPullConfig={"datetimeTypeFieldName": "updated_at"})
    request.update(flowName=name, triggerConfig=flows.incremental_schedule(world.now() + SPEEDUP,
                                                                           world.now() - 3600))
    fake.state.log.clear()
    client.create_flow(**request)
    flows.edits_land_once(client, world.server, name, bucket, "title", edit)
    sent = [e["query"] for e in fake.state.log.matching(f"/repos/{repo}/issues")]
    assert sent and all("since" in q for q in sent)
    assert all(q["state"] == ["all"] for q in sent)


def test_rate_limits_are_waited_out_and_retried(world: World) -> None:
    client = world.server.client()
    bucket = flows.new_bucket(world.server)
    world.fake.state.log.clear()
    world.fake.state.throttle_next(2, "secondary", retry_after=0)
    world.fake.state.throttle_next(1, "primary", reset_in=0)
    record, rows = flows.run_to_s3(client, world.server, flow_request(oauth_profile(world),
                                                                       "repos/octo-org/project-01/branches", bucket))
    assert record["executionStatus"] == "Successful", record["executionResult"]
    assert {r["name"] for r in rows} == {"main", "dev", "feature/ünïcode", "release/1.x", "fix/timeout"}
    assert len(world.fake.state.log.matching("/repos/octo-org/project-01/branches")) == 4  # 3 refused, 1 answered


def test_expired_github_app_token_is_refreshed_at_the_token_url(world: World) -> None:
    client, state = world.server.client(), world.fake.state
    access, refresh = state.issue_token(expires_in=3600, refresh=True)
    profile = unique("gh-app")
    client.create_connector_profile(**managed.oauth_profile(
        profile, "GitHub", "https://github.com/login/oauth/access_token",
        {"accessToken": access, "refreshToken": refresh, "clientId": "Iv1.sluice-test-app",
         "clientSecret": "sluice-app-secret"}))
    state.expire_tokens()
    before = state.grants.count("refresh_token")
    bucket = flows.new_bucket(world.server)
    request = flow_request(profile, "user/repos", bucket)
    record, rows = flows.run_to_s3(client, world.server, request)
    assert record["executionStatus"] == "Successful", record["executionResult"]
    assert len(rows) == REPOS
    assert state.grants.count("refresh_token") == before + 1
    # The renewed tokens were sealed into the profile: the next run uses them (GitHub rotates the
    # refresh token, so reusing the old one would fail).
    again = flows.start_and_wait(client, request["flowName"])
    assert again["executionStatus"] == "Successful", again["executionResult"]
    assert state.grants.count("refresh_token") == before + 1
    assert refresh is not None
    assert access not in world.server.log() and refresh not in world.server.log()


def test_bad_credentials_end_the_run_in_error_with_githubs_message(world: World) -> None:
    client, state = world.server.client(), world.fake.state
    with raises(client, "ConnectorAuthenticationException", 401, "Bad credentials"):
        client.create_connector_profile(
            connectorProfileName=unique("gh-bad"), connectorType=CUSTOM, connectorLabel="GitHub",
            connectionMode="Public", connectorProfileConfig={
                "connectorProfileProperties": {CUSTOM: {}},
                "connectorProfileCredentials": {CUSTOM: {"authenticationType": "CUSTOM", "custom": {
                    "customAuthenticationType": "BasicAuthPersonalAccessToken",
                    "credentialsMap": {"username": "octocat", "personalAccessToken": "ghp_wrong0000"}}}}})
    pat = state.personal_access_token("octocat")
    profile = unique("gh-revoked")
    client.create_connector_profile(
        connectorProfileName=profile, connectorType=CUSTOM, connectorLabel="GitHub", connectionMode="Public",
        connectorProfileConfig={
            "connectorProfileProperties": {CUSTOM: {}},
            "connectorProfileCredentials": {CUSTOM: {"authenticationType": "CUSTOM", "custom": {
                "customAuthenticationType": "BasicAuthPersonalAccessToken",
                "credentialsMap": {"username": "octocat", "personalAccessToken": pat}}}}})
    state.revoke(pat)
    bucket = flows.new_bucket(world.server)
    record, rows = flows.run_to_s3(client, world.server, flow_request(profile, "issues", bucket))
    assert record["executionStatus"] == "Error"
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "Bad credentials" in message and pat not in message
    assert rows == [] and [p for p in (world.server.data_dir / "s3" / bucket).rglob("*") if p.is_file()] == []


def test_a_repository_the_token_cannot_see_is_githubs_404(world: World) -> None:
    client = world.server.client()
    bucket = flows.new_bucket(world.server)
    record, rows = flows.run_to_s3(client, world.server, flow_request(oauth_profile(world),
                                                                       "repos/octo-org/vault/issues", bucket))
    assert record["executionStatus"] == "Error"
    assert "Not Found" in record["executionResult"]["errorInfo"]["executionMessage"]
    assert rows == []
