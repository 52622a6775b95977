"""The fake's catalog (dimensions and metrics as the metadata method lists them) and its seeded events."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# (apiName, uiName, category, custom)
DIMENSIONS: list[tuple[str, str, str, bool]] = [
    ("date", "Date", "Time", False),
    ("dateHour", "Date + hour (YYYYMMDDHH)", "Time", False),
    ("eventName", "Event name", "Event", False),
    ("country", "Country", "Geography", False),
    ("city", "City", "Geography", False),
    ("deviceCategory", "Device category", "Platform / Device", False),
    ("platform", "Platform", "Platform / Device", False),
    ("browser", "Browser", "Platform / Device", False),
    ("sessionSource", "Session source", "Traffic Source", False),
    ("sessionMedium", "Session medium", "Traffic Source", False),
    ("pagePath", "Page path", "Page / Screen", False),
    ("pageTitle", "Page title", "Page / Screen", False),
    ("achievementId", "Achievement ID", "Gaming", False),
    ("adFormat", "Ad format", "Publisher", False),
    ("adSourceName", "Ad source", "Publisher", False),
    ("customEvent:article_author", "Article author", "Custom", True),
]
# (apiName, uiName, type, category, custom)
METRICS: list[tuple[str, str, str, str, bool]] = [
    ("eventCount", "Event count", "TYPE_INTEGER", "Event", False),
    ("activeUsers", "Active users", "TYPE_INTEGER", "User", False),
    ("totalUsers", "Total users", "TYPE_INTEGER", "User", False),
    ("sessions", "Sessions", "TYPE_INTEGER", "Session", False),
    ("engagedSessions", "Engaged sessions", "TYPE_INTEGER", "Session", False),
    ("engagementRate", "Engagement rate", "TYPE_FLOAT", "Session", False),
    ("screenPageViews", "Views", "TYPE_INTEGER", "Page / Screen", False),
    ("userEngagementDuration", "User engagement", "TYPE_SECONDS", "User", False),
    ("averageSessionDuration", "Average session duration", "TYPE_SECONDS", "Session", False),
    ("purchaseRevenue", "Purchase revenue", "TYPE_CURRENCY", "Revenue", False),
    ("customEvent:scroll_depth", "Scroll depth", "TYPE_STANDARD", "Custom", True),
]
DIMENSION_NAMES = {d[0] for d in DIMENSIONS}
METRIC_TYPES = {m[0]: m[2] for m in METRICS}
# The Realtime API's own schema (https://developers.google.com/analytics/devguides/reporting/data/v1/
# realtime-api-schema): a different set from the core reports'; no metadata method lists it.
REALTIME_DIMENSIONS = {"appVersion", "audienceId", "audienceName", "city", "cityId", "country", "countryId",
                       "deviceCategory", "eventName", "minutesAgo", "platform", "streamId", "streamName",
                       "unifiedScreenName"}
REALTIME_METRICS = {"activeUsers": "TYPE_INTEGER", "eventCount": "TYPE_INTEGER", "keyEvents": "TYPE_INTEGER",
                    "screenPageViews": "TYPE_INTEGER"}

COUNTRIES = (("United States", ("New York", "San Francisco")), ("Germany", ("München", "Köln")),
             ("Japan", ("東京", "大阪")), ("Brazil", ("São Paulo",)), ("(not set)", ("(not set)",)))
COUNTRY_IDS = {"United States": "US", "Germany": "DE", "Japan": "JP", "Brazil": "BR", "(not set)": "(not set)"}
STREAMS = (("web", "4455667788", "Acme web"), ("iOS", "4455667789", "Acme iOS"),
           ("Android", "4455667790", "Acme Android"))
AUDIENCES = (("1234567", "All Users"), ("7654321", "Käufer (purchasers)"))
SOURCES = (("google", "organic"), ("(direct)", "(none)"), ("newsletter", "email"), ("bing", "cpc"))
PAGES = (("/", "Acme » Home"), ("/pricing", "Preise & Tarife"), ("/blog/ünïcode", "Ünïcode in URLs"),
         ("/ja/ブログ", "ブログ"), ("/docs/api", "API reference"), ("/checkout", "Checkout"))
EVENTS = ("page_view", "page_view", "page_view", "scroll", "session_start", "user_engagement", "purchase",
          "unlock_achievement", "ad_impression")


@dataclass(frozen=True, slots=True)
class Event:
    """One collected event: its dimension values (text, as GA4 answers them) and what metrics count."""

    time: float
    values: dict[str, str]
    user: int
    session: int
    engaged: bool
    engagement: float  # seconds
    revenue: float
    scroll: int


def event(seed: int, index: int, time: float) -> Event:
    """Seeded event `index` at `time` (epoch seconds)."""
    from datetime import UTC, datetime

    rng = random.Random(seed * 1_000_003 + index)
    name = rng.choice(EVENTS)
    country, cities = rng.choice(COUNTRIES)
    source, medium = rng.choice(SOURCES)
    path, title = rng.choice(PAGES)
    user = rng.randrange(0, 400)
    moment = datetime.fromtimestamp(time, UTC)
    values = {
        "date": f"{moment:%Y%m%d}", "dateHour": f"{moment:%Y%m%d%H}", "eventName": name, "country": country,
        "city": rng.choice(cities), "deviceCategory": rng.choice(("desktop", "mobile", "tablet")),
        "browser": rng.choice(("Chrome", "Safari", "Firefox")), "sessionSource": source, "sessionMedium": medium,
        "pagePath": path, "pageTitle": title,
        "achievementId": f"ach_{rng.randrange(1, 6)}" if name == "unlock_achievement" else "(not set)",
        "adFormat": rng.choice(("Banner", "Interstitial", "Rewarded")) if name == "ad_impression" else "(not set)",
        "adSourceName": rng.choice(("AdMob Network", "Meta Audience")) if name == "ad_impression" else "(not set)",
        "customEvent:article_author": rng.choice(("Zoë Müller", "李雷", "(not set)")),
    }
    # The data stream (platform), audiences and the Realtime API's extra dimensions.
    platform, stream, stream_name = rng.choice(STREAMS)
    audience, audience_name = rng.choice(AUDIENCES)
    values.update({
        "platform": platform, "streamId": stream, "streamName": stream_name,
        "appVersion": "(not set)" if platform == "web" else rng.choice(("2.3.1", "2.4.0")),
        "audienceId": audience, "audienceName": audience_name, "countryId": COUNTRY_IDS[country],
        "cityId": str(1_000_000 + sum(map(ord, values["city"])) % 99_999), "unifiedScreenName": title,
    })
    return Event(time, values, user, user * 100 + int(time // 3600) % 100, rng.random() < 0.6,
                 round(rng.uniform(0, 120), 3), round(rng.uniform(5, 500), 2) if name == "purchase" else 0.0,
                 rng.randrange(0, 100) if name == "scroll" else 0)


class Group:
    """The events of one report row, accumulated for the metrics."""

    __slots__ = ("engaged", "engagement", "events", "keys", "revenue", "scroll", "sessions", "users", "views")

    def __init__(self) -> None:
        self.events = 0
        self.views = 0
        self.keys = 0
        self.users: set[int] = set()
        self.sessions: set[int] = set()
        self.engaged: set[int] = set()
        self.engagement = 0.0
        self.revenue = 0.0
        self.scroll = 0

    def add(self, e: Event) -> None:
        self.events += 1
        self.views += e.values["eventName"] == "page_view"
        self.keys += e.values["eventName"] == "purchase"  # the property's key event
        self.users.add(e.user)
        self.sessions.add(e.session)
        if e.engaged:
            self.engaged.add(e.session)
        self.engagement += e.engagement
        self.revenue += e.revenue
        self.scroll += e.scroll

    def metric(self, name: str) -> float:
        sessions = len(self.sessions)
        values: dict[str, Callable[[], float]] = {
            "eventCount": lambda: self.events, "activeUsers": lambda: len(self.users),
            "totalUsers": lambda: len(self.users), "sessions": lambda: sessions,
            "engagedSessions": lambda: len(self.engaged),
            "engagementRate": lambda: len(self.engaged) / sessions if sessions else 0.0,
            "screenPageViews": lambda: self.views, "userEngagementDuration": lambda: self.engagement,
            "averageSessionDuration": lambda: self.engagement / sessions if sessions else 0.0,
            "purchaseRevenue": lambda: self.revenue, "customEvent:scroll_depth": lambda: self.scroll,
            "keyEvents": lambda: self.keys,
        }
        return float(values[name]())


def text(value: float, metric_type: str) -> str:
    """A metric value as GA4 writes it: integers whole, the rest as decimals."""
    if metric_type == "TYPE_INTEGER":
        return str(round(value))
    return repr(round(value, 6)) if value != int(value) else str(int(value))


def metadata(property_id: str, include_custom: bool) -> dict[str, Any]:
    """The metadata method's answer for a property."""
    dimensions = [{"apiName": a, "uiName": u, "description": f"{u} of the event.", "category": c,
                   **({"customDefinition": True} if custom else {})}
                  for a, u, c, custom in DIMENSIONS if include_custom or not custom]
    metrics = [{"apiName": a, "uiName": u, "description": f"{u}.", "type": t, "category": c,
                **({"customDefinition": True} if custom else {})}
               for a, u, t, c, custom in METRICS if include_custom or not custom]
    return {"name": f"properties/{property_id}/metadata", "dimensions": dimensions, "metrics": metrics}


def names(items: Iterable[Any], key: str) -> list[str]:
    return [str((i or {}).get(key) or "") for i in items]
