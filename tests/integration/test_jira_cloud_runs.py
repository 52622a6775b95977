"""Jira Cloud (managed label `JiraCloud`) -> S3 through boto3 against the fake Jira Cloud site.

Profiles are CustomConnector profiles with the managed label, OAUTH2 credentials (the app's client
id and secret and an authorization code, exchanged at CreateConnectorProfile) and the site's
`instanceUrl`; `SLUICE_ENDPOINT_URL_JIRACLOUD` points Atlassian's platform hosts (auth.atlassian.com,
api.atlassian.com) at the fake, which also serves the gateway paths `/ex/jira/{cloudId}/...`. One
Sluice server and one fake serve the module; the scheduler runs 60x faster than real time and the
fake's clock runs on the same accelerated time. The fake serves REST API v2 and v3; every test
checks Sluice called v2 (what AppFlow's connector uses) - the paths in the fake's request log, and
rich text landing as v2's wiki-markup strings where v3 would have sent Atlassian Document Format.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.fakes.jira.server import FakeJira
from tests.fakes.jira.site import Site
from tests.integration.builders import raises, unique
from tests.support import flows, managed
from tests.support.managed import source, task
from tests.support.server import SluiceServer
from tests.support.tls import tls_env

SPEEDUP = 60.0
EPOCH = time.time()
ISSUES = 300
REDIRECT = "https://us-east-1.console.aws.amazon.com/appflow/oauth"


virtual_now = managed.virtual_clock(SPEEDUP, EPOCH)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeJira]:
    with FakeJira(site=Site(ISSUES, now=virtual_now)) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(tmp_path_factory: pytest.TempPathFactory, fake: FakeJira) -> Iterator[SluiceServer]:
    env = {**tls_env(), "SLUICE_ENDPOINT_URL_JIRACLOUD": fake.url, **flows.scheduler_env(SPEEDUP, EPOCH)}
    with flows.saas_server(Path(tmp_path_factory.mktemp("jira")) / "data", secrets=[fake.state.client_secret],
                           **env) as server:
        yield server


def profile_request(name: str, fake: FakeJira, code: str) -> dict[str, Any]:
    return {
        "connectorProfileName": name, "connectorType": "CustomConnector", "connectorLabel": "JiraCloud",
        "connectionMode": "Public",
        "connectorProfileConfig": {
            "connectorProfileProperties": {"CustomConnector": {
                "profileProperties": {"instanceUrl": fake.state.site_url},
                "oAuth2Properties": {"tokenUrl": "https://auth.atlassian.com/oauth/token",
                                     "oAuth2GrantType": "AUTHORIZATION_CODE"}}},
            "connectorProfileCredentials": {"CustomConnector": {"authenticationType": "OAUTH2", "oauth2": {
                "clientId": fake.state.client_id, "clientSecret": fake.state.client_secret,
                "oAuthRequest": {"authCode": code, "redirectUri": REDIRECT}}}}},
    }


MAP_ALL = [task("Map_all", [], "NO_OP")]


def new_profile(sluice: SluiceServer, fake: FakeJira) -> str:
    name = unique("jira")
    sluice.client().create_connector_profile(**profile_request(name, fake, fake.state.authorize(REDIRECT)))
    return name


@pytest.fixture(scope="module")
def profile(sluice: SluiceServer, fake: FakeJira) -> str:
    fake.state.log.clear()
    name = new_profile(sluice, fake)
    assert grants(fake) == ["authorization_code"]  # the code was exchanged once, at CreateConnectorProfile
    return name


def grants(fake: FakeJira) -> list[str]:
    return [e["query"]["grant_type"][0] for e in fake.state.log.entries if e["path"] == "/oauth/token"]


def searches(fake: FakeJira) -> list[dict[str, Any]]:
    return [{"jql": e["query"]["jql"][0], "fields": json.loads(e["query"]["fields"][0])}
            for e in fake.state.log.matching("/search/jql")]


def rest_paths(fake: FakeJira) -> list[str]:
    """The REST API calls in the fake's log; each must be v2, through the site's gateway."""
    paths = [e["path"] for e in fake.state.log.entries if "/rest/api/" in e["path"]]
    gateway = f"/ex/jira/{fake.state.cloud_id}/rest/api/2/"
    assert paths and all(p.startswith(gateway) for p in paths), paths
    return [p[len(gateway) - 1:] for p in paths]


def instant(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def test_metadata_lists_objects_and_the_sites_fields(sluice: SluiceServer, profile: str) -> None:
    client = sluice.client()
    entities = client.list_connector_entities(connectorProfileName=profile, connectorType="CustomConnector")
    names = {e["name"] for group in entities["connectorEntityMap"].values() for e in group}
    assert names == {"issues", "projects", "users"}
    fields = client.describe_connector_entity(connectorProfileName=profile, connectorType="CustomConnector",
                                              connectorEntityName="issues")["connectorEntityFields"]
    by_name = {f["identifier"]: f for f in fields}
    assert by_name["customfield_10016"]["label"] == "Story point estimate"
    assert by_name["updated"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"]
    assert "thumbnail" not in by_name  # not navigable


def test_full_run_reads_every_issue_through_the_gateway(sluice: SluiceServer, fake: FakeJira, profile: str) -> None:
    client, bucket = sluice.client(), flows.new_bucket(sluice)
    fake.state.log.clear()
    record, rows = flows.run_to_s3(client, sluice, {
        "flowName": unique("jira-full"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": source(profile, "issues"),
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
        "tasks": MAP_ALL})
    assert record["executionStatus"] == "Successful", record
    assert len(rows) == ISSUES and len({r["key"] for r in rows}) == ISSUES
    first = next(r for r in rows if r["key"] == fake.state.issue(0)["key"])
    issue = fake.state.issue(0)["fields"]
    assert first["status"] == issue["status"]["name"] and first["project"] == issue["project"]["key"]
    assert first["updated"].timestamp() == pytest.approx(instant(issue["updated"]), abs=0.001)
    # Rich text lands as REST API v2's wiki-markup strings (v3 would have sent ADF documents).
    issues = {i["key"]: i["fields"] for i in (fake.state.issue(n) for n in range(ISSUES))}
    for rich in ("description", "environment", "customfield_10300"):
        assert {r["key"]: r[rich] for r in rows} == {key: f[rich] for key, f in issues.items()}, rich
        assert any(isinstance(r[rich], str) and not r[rich].startswith("{") for r in rows), rich
    assert set(rest_paths(fake)) == {"/field", "/myself", "/search/jql"}
    # One `/field` read for CreateFlow's field check, one for the run (its columns and its JQL).
    assert rest_paths(fake).count("/field") == 2
    assert [s["jql"] for s in searches(fake)] == ['created >= "1970/01/01 00:00"'] * 3


def test_filters_and_projection_become_jql_and_fields(sluice: SluiceServer, fake: FakeJira, profile: str) -> None:
    client, bucket = sluice.client(), flows.new_bucket(sluice)
    issues = [fake.state.issue(i) for i in range(ISSUES)]
    since = instant(issues[100]["fields"]["updated"])
    expected = {i["key"] for i in issues if i["fields"]["project"]["key"] == "SLU"
                and i["fields"]["status"]["name"] != "Done" and instant(i["fields"]["updated"]) > since}
    fake.state.log.clear()
    columns = ["key", "summary", "status", "updated"]
    record, rows = flows.run_to_s3(client, sluice, {
        "flowName": unique("jira-filter"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": source(profile, "issues"),
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket),
        "tasks": [task("Filter", [*columns, "project"], "PROJECTION"),
                  task("Filter", ["project"], "EQUAL_TO", VALUE="SLU", DATA_TYPE="string"),
                  task("Filter", ["status"], "NOT_EQUAL_TO", VALUE="Done", DATA_TYPE="string"),
                  task("Filter", ["updated"], "GREATER_THAN", VALUE=int(since * 1000), DATA_TYPE="datetime"),
                  *[task("Map", [c], "NO_OP") for c in columns]]})
    assert record["executionStatus"] == "Successful", record
    assert expected and {r["key"] for r in rows} == expected
    [search] = searches(fake)
    assert "/search/jql" in rest_paths(fake)
    assert search["jql"].startswith('project = "SLU" AND status != "Done" AND updated >= "')
    assert set(search["fields"]) == {"summary", "status", "updated", "project"}


def test_projects_with_key_push_down_and_users(sluice: SluiceServer, fake: FakeJira, profile: str) -> None:
    client = sluice.client()
    fake.state.log.clear()
    record, rows = flows.run_to_s3(client, sluice, {
        "flowName": unique("jira-projects"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": source(profile, "projects"),
        "destinationFlowConfigList": flows.s3_parquet_destination(flows.new_bucket(sluice)),
        "tasks": [task("Filter", ["key"], "EQUAL_TO", VALUE="MOB", DATA_TYPE="string"), *MAP_ALL]})
    assert record["executionStatus"] == "Successful", record
    assert [r["name"] for r in rows] == ["東京 Mobile"]
    assert fake.state.log.matching("/project/search")[0]["query"]["keys"] == ["MOB"]
    assert rows[0]["self"].startswith(f"{fake.state.site_url}/rest/api/2/project/")
    record, rows = flows.run_to_s3(client, sluice, {
        "flowName": unique("jira-users"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": source(profile, "users"),
        "destinationFlowConfigList": flows.s3_parquet_destination(flows.new_bucket(sluice)), "tasks": MAP_ALL})
    assert record["executionStatus"] == "Successful", record
    assert {r["accountId"] for r in rows} == {u["accountId"] for u in fake.state.users}
    assert set(rest_paths(fake)) == {"/project/search", "/users/search"}


def test_throttling_is_retried_and_an_expired_token_refreshed(sluice: SluiceServer, fake: FakeJira,
                                                              profile: str) -> None:
    client = sluice.client()
    fake.state.log.clear()
    fake.state.expire_tokens()
    fake.state.throttle_next(2, retry_after=0)
    record, rows = flows.run_to_s3(client, sluice, {
        "flowName": unique("jira-429"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": source(profile, "projects"),
        "destinationFlowConfigList": flows.s3_parquet_destination(flows.new_bucket(sluice)), "tasks": MAP_ALL})
    assert record["executionStatus"] == "Successful", record
    assert len(rows) == 5
    assert grants(fake) == ["refresh_token"]


def test_refused_credentials_end_the_run_in_error(sluice: SluiceServer, fake: FakeJira) -> None:
    client = sluice.client()
    name, bucket = new_profile(sluice, fake), flows.new_bucket(sluice)
    fake.state.expire_tokens()
    fake.state.refresh.clear()  # the app's access was revoked
    record, rows = flows.run_to_s3(client, sluice, {
        "flowName": unique("jira-401"), "triggerConfig": {"triggerType": "OnDemand"},
        "sourceFlowConfig": source(name, "issues"),
        "destinationFlowConfigList": flows.s3_parquet_destination(bucket), "tasks": MAP_ALL})
    assert record["executionStatus"] == "Error", record
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "refresh_token is invalid" in message and fake.state.client_secret not in message
    assert rows == []


def with_tokens(request: dict[str, Any], access: str, refresh: str) -> dict[str, Any]:
    """`request` carrying tokens as they are (no authorization code), as a stack or the CLI sends them."""
    oauth2 = request["connectorProfileConfig"]["connectorProfileCredentials"]["CustomConnector"]["oauth2"]
    oauth2.pop("oAuthRequest")
    oauth2.update(accessToken=access, refreshToken=refresh)
    return request


def test_create_connector_profile_renews_a_refused_access_token_once(sluice: SluiceServer, fake: FakeJira) -> None:
    tokens = fake.state.issue_tokens(expires_in=-1)  # already expired: the site refuses it
    name = unique("jira-stale")
    fake.state.log.clear()
    sluice.client().create_connector_profile(**with_tokens(profile_request(name, fake, ""), tokens["access_token"],
                                                           tokens["refresh_token"]))
    assert grants(fake) == ["refresh_token"]  # renewed at the check, and the rotated tokens stored
    listed = sluice.client().list_connector_entities(connectorProfileName=name, connectorType="CustomConnector")
    assert "issues" in {e["name"] for group in listed["connectorEntityMap"].values() for e in group}
    assert grants(fake) == ["refresh_token"]


def test_a_refused_refresh_token_is_refused_at_create_connector_profile(sluice: SluiceServer, fake: FakeJira) -> None:
    request = with_tokens(profile_request(unique("jira-bad"), fake, ""), "eyJnot-a-token", "revoked-refresh-0000")
    client = sluice.client()
    with raises(client, "ConnectorAuthenticationException", 401, "refresh_token is invalid") as refused:
        client.create_connector_profile(**request)
    assert "revoked-refresh-0000" not in str(refused.value) and fake.state.client_secret not in str(refused.value)


def test_scheduled_incremental_runs_take_each_edit_once(sluice: SluiceServer, fake: FakeJira) -> None:
    client, bucket, name = sluice.client(), flows.new_bucket(sluice), unique("jira-inc")
    profile = new_profile(sluice, fake)
    editable = [5, 6, 7, 8]

    def edit(index: int, summary: str) -> None:
        fake.state.edit(editable[index], summary=summary)

    client.create_flow(
        flowName=name, triggerConfig=flows.incremental_schedule(virtual_now() + SPEEDUP, virtual_now()),
        sourceFlowConfig=source(profile, "issues", incrementalPullConfig={"datetimeTypeFieldName": "updated"}),
        destinationFlowConfigList=flows.s3_parquet_destination(bucket), tasks=MAP_ALL)
    for index in range(3):
        edit(index, f"first-{index}")
    fake.state.log.clear()
    flows.edits_land_once(client, sluice, name, bucket, "summary", edit)
    # Every scheduled search asked only for its window, as minutes in the user's time zone.
    jqls = [s["jql"] for s in searches(fake)]
    assert len(jqls) >= 3 and all(j.startswith('updated >= "') and ' AND updated < "' in j for j in jqls), jqls


def test_a_token_for_another_site_is_refused_naming_the_sites_it_reaches(sluice: SluiceServer, fake: FakeJira) -> None:
    request = profile_request(unique("jira-other"), fake, fake.state.authorize(REDIRECT))
    properties = request["connectorProfileConfig"]["connectorProfileProperties"]["CustomConnector"]
    properties["profileProperties"]["instanceUrl"] = "https://someone-else.atlassian.net"
    with pytest.raises(ClientError) as refused:
        sluice.client().create_connector_profile(**request)
    message = str(refused.value)
    assert "someone-else.atlassian.net" in message and fake.state.site_url in message
