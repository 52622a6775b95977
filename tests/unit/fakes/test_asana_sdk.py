"""The fake Asana driven with Asana's own client, the `asana` package v5.

`asana.Configuration()` with its `host` pointed at the fake, the test CA as `ssl_ca_cert` and a
personal access token; `asana.ApiClient` and the generated APIs (`TasksApi`, `ProjectsApi`,
`WorkspacesApi`, `UsersApi`). Covers the client's own paging (its `PageIterator` follows
`next_page.offset` with `limit`), `opt_fields`, `modified_since`, the 401 error body, a 429 with
`Retry-After` that the client's retry strategy waits out, and the required-parameter refusal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import asana
import pytest
from asana.rest import ApiException

from tests.fakes.asana.server import FakeAsana
from tests.support.tls import certificates

TASKS = 450


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAsana]:
    with FakeAsana(tasks=TASKS, projects=4) as server:
        yield server


def client(fake: FakeAsana, token: str | None = None) -> asana.ApiClient:
    configuration = asana.Configuration()
    configuration.host = f"{fake.url}/api/1.0"
    configuration.ssl_ca_cert = certificates().ca_file
    configuration.access_token = token or fake.state.pat
    return asana.ApiClient(configuration)


def projects(fake: FakeAsana) -> list[dict[str, Any]]:
    api = asana.ProjectsApi(client(fake))
    return [p for ws in asana.WorkspacesApi(client(fake)).get_workspaces({})
            for p in api.get_projects({"workspace": ws["gid"]})]


def test_tasks_page_through_next_page_offsets(fake: FakeAsana) -> None:
    tasks_api = asana.TasksApi(client(fake))
    seen: dict[str, int] = {}
    fake.log.clear()
    for project in projects(fake):
        for task in tasks_api.get_tasks({"project": project["gid"], "limit": 40}):
            assert set(task) == {"gid", "name", "resource_type", "resource_subtype"}  # compact
            seen[task["gid"]] = seen.get(task["gid"], 0) + 1
    assert len(seen) == TASKS
    asked = fake.log.matching("/tasks")
    assert len(asked) > 4 and all(e["query"]["limit"] == ["40"] for e in asked)
    assert sum("offset" in e["query"] for e in asked) == len(asked) - len(projects(fake))
    assert any(count == 2 for count in seen.values())  # tasks in two projects come twice


def test_opt_fields_name_the_properties(fake: FakeAsana) -> None:
    project = projects(fake)[0]
    found = list(asana.TasksApi(client(fake)).get_tasks(
        {"project": project["gid"], "limit": 5, "opt_fields": "name,modified_at,assignee,memberships.section"},
        item_limit=5))
    assert len(found) == 5
    assert all(set(t) <= {"gid", "name", "modified_at", "assignee", "memberships"} and "modified_at" in t
               for t in found)


def test_modified_since_keeps_later_changes(fake: FakeAsana) -> None:
    project = projects(fake)[1]
    edited = fake.state.edit_task(1, name="Geändert ✓")
    found = list(asana.TasksApi(client(fake)).get_tasks(
        {"project": project["gid"], "modified_since": edited["modified_at"], "opt_fields": "name"}))
    assert [t["name"] for t in found] == ["Geändert ✓"]


def test_a_wrong_token_is_not_authorized(fake: FakeAsana) -> None:
    with pytest.raises(ApiException) as refused:
        list(asana.WorkspacesApi(client(fake, "0/not-a-token")).get_workspaces({}))
    assert refused.value.status == 401
    assert json.loads(refused.value.body)["errors"][0]["message"] == "Not Authorized"


def test_a_429_is_retried_after_retry_after(fake: FakeAsana) -> None:
    fake.log.clear()
    fake.state.throttle_next(1, path="/api/1.0/workspaces", retry_after=1)
    workspaces = list(asana.WorkspacesApi(client(fake)).get_workspaces({}))
    assert len(workspaces) == 2
    assert len(fake.log.matching("/workspaces")) == 2


def test_tasks_need_a_scope(fake: FakeAsana) -> None:
    with pytest.raises(ApiException) as refused:
        list(asana.TasksApi(client(fake)).get_tasks({}))
    assert refused.value.status == 400
    assert "Must specify exactly one of project" in json.loads(refused.value.body)["errors"][0]["message"]
