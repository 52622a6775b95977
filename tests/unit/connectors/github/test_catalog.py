"""GitHub's objects by REST path, and what each pushes down."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.github.catalog import (
    CATALOG,
    UpdatedSince,
    iso,
    plan_branches,
    plan_commits,
    plan_issues,
    plan_pulls,
    plan_repositories,
)
from sluice.connectors.rest.client import Answer, Request
from sluice.connectors.rest.entities import Condition, Query

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC).timestamp()


def params(plan: Any, query: Query) -> dict[str, Any]:
    return dict(plan(query, Request("GET", "/x", {"per_page": 100})).params)


def test_issues_ask_for_every_state_unless_filtered_and_since_the_window() -> None:
    assert params(plan_issues, Query("issues")) == {"per_page": 100, "state": "all"}
    windowed = Query("issues", window_field="updated_at", window_start=T0 + 0.7, window_end=T0 + 60)
    assert params(plan_issues, windowed)["since"] == "2026-03-01T12:00:00Z"  # inclusive, rounded down
    closed = Query("issues", conditions=(Condition("state", "EQUAL_TO", ("closed",)),))
    assert params(plan_issues, closed)["state"] == "closed"
    not_open = Query("issues", conditions=(Condition("state", "NOT_EQUAL_TO", ("open",)),))
    assert params(plan_issues, not_open)["state"] == "closed"
    odd = Query("issues", conditions=(Condition("state", "CONTAINS", ("clo",)),))
    assert params(plan_issues, odd)["state"] == "all"  # left to the engine


def test_commits_send_since_and_until_on_the_committer_date() -> None:
    query = Query("c", window_field="commit.committer.date", window_start=T0, window_end=T0 + 0.2)
    sent = params(plan_commits, query)
    assert (sent["since"], sent["until"]) == ("2026-03-01T12:00:00Z", "2026-03-01T12:00:01Z")
    by_filter = Query("c", conditions=(Condition("commit.committer.date", "GREATER_THAN", (str(int(T0 * 1000)),)),))
    assert params(plan_commits, by_filter) == {"per_page": 100, "since": "2026-03-01T12:00:00Z"}


def test_pulls_read_newest_updated_first_and_stop_before_the_window() -> None:
    assert params(plan_pulls, Query("p")) == {"per_page": 100, "state": "all", "sort": "updated", "direction": "desc"}
    link = '<https://api.github.com/repos/o/r/pulls?page=2>; rel="next"'
    request = Request("GET", "/repos/o/r/pulls", {"per_page": 100})

    def page(last_updated: str) -> Answer:
        return Answer(httpx.Response(200, headers={"Link": link}), [{"updated_at": iso(T0 + 100)},
                                                                    {"updated_at": last_updated}])

    assert UpdatedSince(T0).next(request, page(iso(T0 + 50)), 2) is not None
    assert UpdatedSince(T0).next(request, page(iso(T0)), 2) is None
    assert UpdatedSince(None).next(request, page(iso(T0 - 50)), 2) is not None


def test_repositories_and_branches_push_their_filters() -> None:
    repos = Query("user/repos", conditions=(Condition("visibility", "EQUAL_TO", ("Private",)),),
                  window_field="updated_at", window_start=T0, window_end=T0 + 10)
    assert params(plan_repositories, repos) == {"per_page": 100, "since": "2026-03-01T12:00:00Z",
                                                "before": "2026-03-01T12:00:10Z", "visibility": "private"}
    protected = Query("b", conditions=(Condition("protected", "EQUAL_TO", ("true",)),))
    assert params(plan_branches, protected) == {"per_page": 100, "protected": "true"}


def test_entities_are_named_by_rest_path() -> None:
    client: Any = None  # naming an entity asks GitHub nothing
    assert CATALOG.entity(client, "issues").path == "/issues"
    assert CATALOG.entity(client, "user/repos").path == "/user/repos"
    commits = CATALOG.entity(client, "repos/octo-org/hello.world/commits")
    assert commits.path == "/repos/octo-org/hello.world/commits" and commits.readable
    folder = CATALOG.entity(client, "repos/octo-org/hello.world")
    assert folder.has_children and not folder.readable
    assert [e.name.rsplit("/", 1)[1] for e in CATALOG.entities(client, "repos/o/r")] == [
        "issues", "pulls", "commits", "branches"]
    for wrong in ("repos/o/r/wiki", "pulls", "repos/o"):
        with pytest.raises(ConnectorError) as refused:
            CATALOG.entity(client, wrong)
        assert refused.value.code == "ResourceNotFound"
