"""Incremental export reads: start_time push-down and clamping, the settle wait, time-based de-duplication."""

from __future__ import annotations

from datetime import datetime

import pytest

from sluice.connectors.base import ProfileView
from sluice.connectors.rest.client import Request
from sluice.connectors.rest.entities import Condition, Query
from sluice.connectors.zendesk import export
from sluice.connectors.zendesk.connector import CONNECTOR
from tests.fakes.zendesk.server import FakeZendesk


def test_start_time_is_the_lower_bound_kept_a_minute_old() -> None:
    now = 1_800_000_000.0
    assert export.start_time(Query("tickets"), now) == 0
    window = Query("tickets", window_field="updated_at", window_start=1_700_000_000.7, window_end=now)
    assert export.start_time(window, now) == 1_700_000_000  # inclusive, whole seconds: never later
    filtered = Query("tickets", conditions=(Condition("updated_at", "GREATER_THAN", ("2024-03-01T00:00:00Z",)),))
    assert export.start_time(filtered, now) == 1_709_251_200
    recent = Query("tickets", window_field="updated_at", window_start=now - 5, window_end=now)
    assert export.start_time(recent, now) == int(now - export.SETTLE)  # Zendesk refuses younger start times


def test_a_window_ending_now_waits_for_zendesks_last_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(export, "scheduler_clock", lambda: (lambda: 1000.0, 1.0))
    export.settle(Query("tickets", window_end=990.0), sleep=slept.append)
    export.settle(Query("tickets", window_end=900.0), sleep=slept.append)  # already a minute old
    export.settle(Query("tickets"), sleep=slept.append)  # not incremental
    assert slept == [51.0]
    monkeypatch.setattr(export, "scheduler_clock", lambda: (lambda: 1000.0, 60.0))  # schedules sped up 60x
    export.settle(Query("tickets", window_end=999.0), sleep=slept.append)
    assert slept[-1] == pytest.approx(1.0)


def test_scheduler_clock_follows_the_speedup_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_SCHEDULER_SPEEDUP", "60")
    monkeypatch.setenv("SLUICE_SCHEDULER_EPOCH", "1000")
    clock, speed = export.scheduler_clock()
    assert speed == 60.0 and clock() > 1_000_000_000 * 10  # far ahead of real time
    monkeypatch.delenv("SLUICE_SCHEDULER_EPOCH")
    assert export.scheduler_clock()[1] == 1.0


def test_time_based_export_drops_the_documented_duplicates(fake: FakeZendesk, profile: ProfileView) -> None:
    read = export.time_export("organizations")
    with CONNECTOR.client(profile) as client:
        pages = list(read(client, Query("organizations"), Request("GET", "/api/v2/incremental/organizations.json")))
    ids = [r["id"] for page in pages for r in page.records]
    assert len(pages) == 3 and len(ids) == len(set(ids)) == 2500
    # The second page restarts at the first page's last change time (so that record came twice).
    asked = fake.state.log.matching("/incremental/organizations")
    last = datetime.fromisoformat(pages[0].records[-1]["updated_at"].replace("Z", "+00:00"))
    assert asked[1]["query"]["start_time"] == [str(int(last.timestamp()))]
