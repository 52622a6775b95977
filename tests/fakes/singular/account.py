"""The fake account's state: key, seeded daily rows (generated per day), async reports, clock and controls."""

from __future__ import annotations

import itertools
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.fakes.common.https import RequestLog
from tests.fakes.common.throttle import Throttles

APPS = ("Puzzle Quest", "Ñandú Run", "忍者 Dash")
SOURCES = ("Facebook", "AdWords", "Unity Ads", "TikTok for Business")
OS = ("iOS", "Android")
COUNTRIES = ("USA", "DEU", "BRA", "JPN", "N/A")
DIMENSIONS = ("app", "source", "os", "platform", "country_field", "site_public_id", "adn_account_id",
              "adn_account_name", "adn_campaign_id", "adn_campaign_name", "adn_sub_campaign_id",
              "adn_sub_campaign_name", "adn_creative_id", "adn_creative_name", "tracker_campaign_name", "cd_3f9a")
METRICS = ("adn_cost", "adn_original_cost", "adn_impressions", "adn_clicks", "adn_installs", "custom_impressions",
           "custom_clicks", "custom_installs", "custom_reengagements", "purchase_event")
CUSTOM_DIMENSIONS = ({"id": "cd_3f9a", "display_name": "Creative Type"},)
CONVERSION_METRICS = ({"name": "purchase_event", "display_name": "Purchase (Événement)"},)
ROW_LIMIT = 200_000
MAX_RUNNING = 100


@dataclass
class Report:
    """One async report: its request, how many status checks it has had, its rows or its failure."""

    report_id: str
    form: dict[str, str]
    checks: int = 0
    # The computed rows, published (`rows`) once the report is DONE.
    pending: list[dict[str, Any]] | None = None
    rows: list[dict[str, Any]] | None = None
    error: str | None = None
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


class Account:
    """One Singular account: `rows_per_day` seeded rows for each of the `days` days up to yesterday (on
    `clock`), plus rows added later (`add_rows`)."""

    def __init__(self, rows_per_day: int = 40, days: int = 5, seed: int = 7, clock: Callable[[], float] = time.time,
                 api_key: str = "sng-key-0001", checks_before_done: int = 1) -> None:
        self.rows_per_day = rows_per_day
        self.seed = seed
        self.clock = clock
        self.api_key = api_key
        today = datetime.fromtimestamp(clock(), UTC).date()
        self.seeded_days = [today - timedelta(days=n) for n in range(days, 0, -1)]
        self.added: dict[date, list[dict[str, Any]]] = {}
        self.reports: dict[str, Report] = {}
        self.checks_before_done = checks_before_done
        self.row_limit = ROW_LIMIT
        self.log = RequestLog()
        self.throttles = Throttles()
        self.lock = threading.Lock()
        self._ids = itertools.count(1)

    # ----- rows -----

    def row(self, day: date, index: int) -> dict[str, Any]:
        """Seeded row `index` of `day` (the same every time)."""
        rng = random.Random(self.seed * 7_919 + day.toordinal() * 100_003 + index)
        os_name = rng.choice(OS)
        clicks = rng.randrange(0, 5000)
        cost = round(rng.uniform(0, 900), 4)
        return {
            "start_date": day.isoformat(), "end_date": day.isoformat(),
            "app": rng.choice(APPS), "source": rng.choice(SOURCES), "os": os_name,
            "platform": "iOS" if os_name == "iOS" else "Android", "country_field": rng.choice(COUNTRIES),
            "site_public_id": f"com.example.{rng.choice(['puzzle', 'run'])}",
            "adn_account_id": f"act_{rng.randrange(10, 99)}",
            "adn_account_name": rng.choice(["Main", "Équipe B"]),
            "adn_campaign_id": f"cmp-{index:05d}",
            "adn_campaign_name": rng.choice(["Été 2024 🚀", "キャンペーン", "Brand"]),
            "adn_sub_campaign_id": f"sub-{rng.randrange(1000)}",
            "adn_sub_campaign_name": rng.choice(["A", "B", "N/A"]),
            "adn_creative_id": None if rng.random() < 0.2 else f"cr-{rng.randrange(1000)}",
            "adn_creative_name": rng.choice(["Video 15s", "Bannière", None]),
            "tracker_campaign_name": rng.choice(["tracker-1", "tracker-2"]), "cd_3f9a": rng.choice(["video", "static"]),
            "adn_cost": cost, "adn_original_cost": cost, "adn_impressions": clicks * rng.randrange(5, 40),
            "adn_clicks": clicks, "adn_installs": rng.randrange(0, 300), "custom_impressions": None,
            "custom_clicks": rng.randrange(0, 5000), "custom_installs": rng.randrange(0, 300),
            "custom_reengagements": rng.randrange(0, 30), "purchase_event": rng.choice([None, 0, 3, 12]),
        }

    def rows_of(self, day: date) -> list[dict[str, Any]]:
        """Every row of `day`: seeded (if a seeded day) and added."""
        seeded = [self.row(day, i) for i in range(self.rows_per_day)] if day in self.seeded_days else []
        with self.lock:
            return seeded + list(self.added.get(day, []))

    def add_rows(self, day: date, count: int = 1) -> list[dict[str, Any]]:
        """Add `count` new rows to `day` (a network reporting late data); returns them."""
        with self.lock:
            existing = len(self.added.get(day, []))
            rows = []
            for k in range(count):
                row = self.row(day, 10_000 + existing + k)
                rows.append(row)
            self.added.setdefault(day, []).extend(rows)
        return rows

    def all_rows(self) -> list[dict[str, Any]]:
        """Every row the account holds."""
        with self.lock:
            days = sorted(set(self.seeded_days) | set(self.added))
        return [r for d in days for r in self.rows_of(d)]

    # ----- reports -----

    def new_report(self, form: dict[str, str]) -> Report:
        with self.lock:
            report = Report(f"{next(self._ids):08x}-{uuid.uuid4().hex[:8]}", form)
            self.reports[report.report_id] = report
        return report

    def running(self) -> int:
        with self.lock:
            return sum(1 for r in self.reports.values() if r.rows is None and r.error is None)

    # ----- controls -----

    def throttle_next(self, count: int = 1, after: int = 0, path: str = "/api/", retry_after: int | None = 1) -> None:
        """Answer the next `count` requests under `path` with 429, after `after` pass."""
        self.throttles.add(count, after, path, retry_after)
