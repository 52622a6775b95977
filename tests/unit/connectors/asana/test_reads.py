"""Asana reads: what is pushed down, and per-parent reads (organizations only, multi-homed tasks once)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sluice.connectors.asana import reads
from sluice.connectors.asana.catalog import AUDIT_LOG_EVENTS, BY_PROJECT, GOALS, PORTFOLIOS, PROJECTS, TASKS, TEAMS
from sluice.connectors.asana.connector import CONNECTOR
from sluice.connectors.base import ProfileView
from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Condition, Entity, Query
from tests.fakes.asana.server import FakeAsana
from tests.unit.connectors.asana.conftest import pat_profile

START, END = 1_717_200_000.1234, 1_717_286_400.5  # 2024-06-01T00:00:00.123Z .. 2024-06-02T00:00:00.500Z


def planned(entity: Entity, query: Query) -> dict[str, object]:
    assert entity.plan is not None
    return entity.plan(query, Request("GET", entity.path, dict(entity.params))).params


def test_times_are_asanas_millisecond_text() -> None:
    assert reads.iso(START) == "2024-06-01T00:00:00.123Z"


def test_columns_become_opt_fields_and_the_window_modified_since() -> None:
    params = planned(TASKS, Query("tasks", columns=("gid", "name"), window_field="modified_at",
                                  window_start=START, window_end=END))
    assert params == {"project": "{1}", "opt_fields": "gid,name", "modified_since": "2024-06-01T00:00:00.123Z"}
    filtered = planned(TASKS, Query("tasks", conditions=(
        Condition("modified_at", "GREATER_THAN_OR_EQUAL_TO", ("2024-05-01T00:00:00Z",)),)))
    assert filtered["modified_since"] == "2024-05-01T00:00:00.000Z"


def test_compact_record_columns_ask_for_their_names() -> None:
    params = planned(TASKS, Query("tasks", columns=("gid", "assignee", "projects", "notes")))
    assert params["opt_fields"] == "gid,assignee,projects,notes,assignee.name,projects.name"


def test_flags_and_text_filters_become_parameters() -> None:
    assert planned(PROJECTS, Query("projects", conditions=(Condition("archived", "EQUAL_TO", ("TRUE",)),)))[
        "archived"] == "true"
    audit = planned(AUDIT_LOG_EVENTS, Query("audit_log_events", columns=("gid", "actor_type"),
                                            window_field="created_at", window_start=START, window_end=END,
                                            conditions=(Condition("actor_type", "EQUAL_TO", ("user",)),)))
    assert audit == {"start_at": "2024-06-01T00:00:00.123Z", "end_at": "2024-06-02T00:00:00.501Z",
                     "actor_type": "user"}  # whole records: no opt_fields


def read(entity: Entity, profile: ProfileView, columns: tuple[str, ...] = ("gid",),
         events: list[tuple[str, str, str]] | None = None) -> list[dict[str, object]]:
    assert entity.read is not None and entity.plan is not None
    query = Query(entity.name, columns=columns)
    request = entity.plan(query, reads.PAGES.first(Request("GET", entity.path, dict(entity.params))))
    told = events.append if events is not None else None
    with RestClient(CONNECTOR.api, profile, on_event=lambda *event: told(event) if told else None) as client:
        return [dict(r) for page in entity.read(client, query, request) for r in page.records]


def test_tasks_in_two_projects_are_read_once(fake: FakeAsana, profile: ProfileView) -> None:
    gids = [r["gid"] for r in read(TASKS, profile)]
    assert len(gids) == len(set(gids)) == 250
    asked = fake.log.matching("/api/1.0/tasks")
    assert sum(int(e["query"]["limit"][0]) == 100 for e in asked) == len(asked)
    assert fake.log.matching("/api/1.0/projects")[0]["query"]["opt_fields"] == ["gid"]


def test_teams_and_the_audit_log_come_from_organizations_only(fake: FakeAsana, profile: ProfileView) -> None:
    assert sorted(r["gid"] for r in read(TEAMS, profile)) == sorted(t["gid"] for t in fake.state.teams)
    events = read(AUDIT_LOG_EVENTS, profile)
    assert len(events) == len(fake.state.audit_events) and "actor" in events[0]
    organization = fake.state.workspaces[0]["gid"]
    assert {e["path"] for e in fake.log.matching("/teams")} == {f"/api/1.0/workspaces/{organization}/teams"}


def test_goals_and_the_users_own_portfolios_skip_workspaces_without_premium(fake: FakeAsana,
                                                                          profile: ProfileView) -> None:
    events: list[tuple[str, str, str]] = []
    assert sorted(r["gid"] for r in read(GOALS, profile, events=events)) == sorted(g["gid"] for g in fake.state.goals)
    assert sorted(r["gid"] for r in read(PORTFOLIOS, profile)) == sorted(p["gid"] for p in fake.state.portfolios)
    asked = fake.log.matching("/portfolios")
    assert len(asked) == 2 and all(e["query"]["owner"] == ["me"] for e in asked)  # both workspaces asked
    personal = fake.state.workspaces[1]["gid"]
    [(kind, message, level)] = events
    assert (kind, level) == ("warning", "warning") and "402 Payment Required" in message and personal in message


def test_a_premium_read_pages_on_after_its_first_answer(monkeypatch: pytest.MonkeyPatch, fake: FakeAsana) -> None:
    with FakeAsana(tasks=450, projects=2) as big:
        monkeypatch.setenv("SLUICE_ENDPOINT_URL_ASANA", big.url)
        entity = replace(TASKS, read=reads.Fanout(BY_PROJECT, unique=True, premium=True))
        gids = [r["gid"] for r in read(entity, pat_profile(big.state.pat))]
        assert len(gids) == len(set(gids)) == 450
        assert len(big.log.matching("/api/1.0/tasks")) == 6  # 225 tasks in each project: three pages each
