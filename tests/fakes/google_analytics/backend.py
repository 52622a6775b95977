"""The fake back end's state: OAuth client and tokens, accounts/properties/views, columns, hourly rows, controls."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.common.google import GoogleTokens
from tests.fakes.common.https import RequestLog
from tests.fakes.common.throttle import Throttles

ACCOUNT = "12345678"
PROPERTY = "UA-12345678-1"
VIEWS = {"98765432": "All Web Site Data", "98765433": "Filtré 日本"}
ACCOUNTS = [{"id": ACCOUNT, "name": "Acme Ünïcode", "properties": [
    {"id": PROPERTY, "name": "Acme Web", "level": "STANDARD", "websiteUrl": "https://acme.example", "views": VIEWS},
    {"id": "UA-12345678-2", "name": "Acme App", "level": "PREMIUM", "websiteUrl": "https://app.acme.example",
     "views": {"98765499": "App view"}}]},
    {"id": "87654321", "name": "Other", "properties": []}]
# (id, type, dataType, status, uiName)
COLUMNS = [
    ("ga:date", "DIMENSION", "STRING", "PUBLIC", "Date"),
    ("ga:dateHour", "DIMENSION", "STRING", "PUBLIC", "Hour of Day"),
    ("ga:source", "DIMENSION", "STRING", "PUBLIC", "Source"),
    ("ga:medium", "DIMENSION", "STRING", "PUBLIC", "Medium"),
    ("ga:country", "DIMENSION", "STRING", "PUBLIC", "Country"),
    ("ga:pagePath", "DIMENSION", "STRING", "PUBLIC", "Page"),
    ("ga:deviceCategory", "DIMENSION", "STRING", "PUBLIC", "Device Category"),
    ("ga:browser", "DIMENSION", "STRING", "PUBLIC", "Browser"),
    ("ga:landingPagePath", "DIMENSION", "STRING", "PUBLIC", "Landing Page"),
    ("ga:visitorType", "DIMENSION", "STRING", "DEPRECATED", "User Type"),
    ("ga:dimensionXX", "DIMENSION", "STRING", "PUBLIC", "Custom Dimension XX"),
    ("ga:sessions", "METRIC", "INTEGER", "PUBLIC", "Sessions"),
    ("ga:users", "METRIC", "INTEGER", "PUBLIC", "Users"),
    ("ga:pageviews", "METRIC", "INTEGER", "PUBLIC", "Pageviews"),
    ("ga:bounceRate", "METRIC", "PERCENT", "PUBLIC", "Bounce Rate"),
    ("ga:avgSessionDuration", "METRIC", "TIME", "PUBLIC", "Avg. Session Duration"),
    ("ga:transactionRevenue", "METRIC", "CURRENCY", "PUBLIC", "Revenue"),
    ("ga:goalCompletionsAll", "METRIC", "INTEGER", "PUBLIC", "Goal Completions"),
    ("ga:visits", "METRIC", "INTEGER", "DEPRECATED", "Visits"),
]
CUSTOM_DIMENSIONS = [{"id": "ga:dimension1", "name": "Auteur", "index": 1, "scope": "HIT", "active": True},
                     {"id": "ga:dimension2", "name": "Old", "index": 2, "scope": "SESSION", "active": False}]
CUSTOM_METRICS = [{"id": "ga:metric1", "name": "Scroll Depth", "index": 1, "scope": "HIT", "active": True,
                   "type": "INTEGER"}]
SOURCES = (("google", "organic"), ("(direct)", "(none)"), ("newsletter", "email"), ("bing", "cpc"))
COUNTRIES = ("United States", "Deutschland", "日本", "(not set)")


class Backend(GoogleTokens):
    """Google's side for one OAuth client and one user: `rows_per_hour` rows for each of `hours` hours ending
    `end_age` seconds before the start (on `clock`), per view."""

    def __init__(self, hours: int = 48, rows_per_hour: int = 10, seed: int = 7, end_age: float = 3600.0,
                 clock: Callable[[], float] = time.time, client_id: str = "1234-abc.apps.googleusercontent.com",
                 client_secret: str = "GOCSPX-fake-secret", token_lifetime: int = 3599) -> None:
        self.rows_per_hour = rows_per_hour
        self.seed = seed
        self.clock = clock
        last = datetime.fromtimestamp(clock() - end_age, UTC).replace(minute=0, second=0, microsecond=0)
        self.first_hour = last - timedelta(hours=hours - 1)
        self.hours = hours
        self.client_id, self.client_secret = client_id, client_secret
        self.token_lifetime = token_lifetime
        self.refresh_tokens: set[str] = {"1//fake-refresh-token"}
        self.codes: set[str] = set()
        self.access_tokens: dict[str, float] = {}
        self.added: list[tuple[datetime, dict[str, Any]]] = []
        # Forced sampling for the next reports: (samples read, sampling space size).
        self.sampling: tuple[int, int] | None = None
        self.log = RequestLog()
        self.throttles = Throttles()
        self.lock = threading.Lock()

    # ----- rows -----

    def hour_of(self, index: int) -> datetime:
        return self.first_hour + timedelta(hours=index)

    def row(self, view: str, hour: datetime, index: int) -> dict[str, Any]:
        """Seeded row `index` of `hour` in `view`: dimension values by Google name, then metrics."""
        rng = random.Random(f"{self.seed}/{view}/{hour:%Y%m%d%H}/{index}")
        source, medium = rng.choice(SOURCES)
        sessions = rng.randrange(1, 400)
        return {
            "ga:date": f"{hour:%Y%m%d}", "ga:dateHour": f"{hour:%Y%m%d%H}", "ga:source": source, "ga:medium": medium,
            "ga:country": rng.choice(COUNTRIES), "ga:pagePath": f"/articles/{index:04d}-ünïcode",
            "ga:deviceCategory": rng.choice(["desktop", "mobile", "tablet"]),
            "ga:browser": rng.choice(["Chrome", "Safari", "Firefox"]),
            "ga:landingPagePath": rng.choice(["/", "/blog", "/ja/ブログ"]),
            "ga:dimension1": rng.choice(["Zoë", "(not set)", "李"]),
            "ga:sessions": sessions, "ga:users": max(1, sessions - rng.randrange(0, sessions)),
            "ga:pageviews": sessions * rng.randrange(1, 5), "ga:bounceRate": round(rng.uniform(0, 100), 4),
            "ga:avgSessionDuration": round(rng.uniform(0, 600), 3),
            "ga:transactionRevenue": round(rng.uniform(0, 1000), 2) if rng.random() < 0.3 else 0.0,
            "ga:goalCompletionsAll": rng.randrange(0, 20), "ga:metric1": rng.randrange(0, 100),
        }

    def rows_between(self, view: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every row of `view` whose hour is in [start, end)."""
        rows = []
        for index in range(self.hours):
            hour = self.hour_of(index)
            if start <= hour < end:
                rows += [self.row(view, hour, r) for r in range(self.rows_per_hour)]
        with self.lock:
            rows += [dict(r) for h, r in self.added if start <= h < end and r["view"] == view]
        return rows

    def add_rows(self, view: str, hour: datetime, count: int = 1) -> list[dict[str, Any]]:
        """Add `count` rows to `view` at `hour` (hits Google processed late); returns them."""
        added = []
        with self.lock:
            for k in range(count):
                row = self.row(view, hour, 5000 + len(self.added) + k) | {"view": view}
                self.added.append((hour, row))
                added.append(row)
        return added

    def all_rows(self, view: str) -> list[dict[str, Any]]:
        return self.rows_between(view, datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))

    # ----- controls -----

    def throttle_next(self, count: int = 1, after: int = 0, path: str = "/v4/reports:batchGet") -> None:
        """Answer the next `count` requests under `path` with 429 RESOURCE_EXHAUSTED, after `after` pass."""
        self.throttles.add(count, after, path, None)
