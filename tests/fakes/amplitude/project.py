"""The fake project's state: credentials, seeded events (generated lazily), the clock and test controls."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from tests.fakes.common.https import RequestLog
from tests.fakes.common.throttle import Throttles

EVENT_TYPES = ("Page Viewed", "Sign Up", "Purchase", "Añadir al carrito", "検索", "Level Complete 🎮")
PLATFORMS = (("iOS", "iOS", "17.4"), ("Android", "android", "14"), ("Web", "Chrome", "123"))
CITIES = (("San Francisco", "California", "United States"), ("München", "Bavaria", "Germany"),
          ("São Paulo", "São Paulo", "Brazil"), ("東京", "Tokyo", "Japan"), (None, None, None))


def amplitude_time(seconds: float) -> str:
    """An instant as Amplitude writes it: `2024-03-01 10:15:00.123000` (UTC)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class Project:
    """One Amplitude project: `events` seeded events, `spacing` seconds apart, the last one `end_age` seconds
    before the start (on `clock`), plus events added later (`add_events`)."""

    def __init__(self, events: int = 500, seed: int = 7, spacing: float = 60.0, end_age: float = 3 * 3600,
                 clock: Callable[[], float] = time.time, api_key: str = "amp-api-key-0001",
                 secret_key: str = "amp-secret-key-0001") -> None:
        self.count = events
        self.seed = seed
        self.spacing = spacing
        self.clock = clock
        self.first_upload = clock() - end_age - spacing * max(events - 1, 0)
        self.keys = {api_key: secret_key}
        self.api_key, self.secret_key = api_key, secret_key
        self.added: list[dict[str, Any]] = []
        self.log = RequestLog()
        self.throttles = Throttles()
        # Exports holding more events than this are refused as too large (Amplitude's 4 GB limit).
        self.max_export_events: int | None = None
        self.lock = threading.Lock()

    # ----- records -----

    def upload_time(self, index: int) -> float:
        """The seeded event's `server_upload_time` (epoch seconds)."""
        return self.first_upload + index * self.spacing

    def event(self, index: int) -> dict[str, Any]:
        """The seeded event `index`, the same every time (fixed seed per event)."""
        rng = random.Random(self.seed * 1_000_003 + index)
        uploaded = self.upload_time(index)
        happened = uploaded - rng.uniform(1, 120)
        platform, os_name, os_version = rng.choice(PLATFORMS)
        city, region, country = rng.choice(CITIES)
        user = rng.randrange(1, 60)
        event_type = EVENT_TYPES[index % len(EVENT_TYPES)]
        properties: dict[str, Any] = {"path": f"/p/{rng.randrange(100)}", "référence": rng.choice(["ä", "ß", None])}
        if event_type == "Purchase":
            properties["items"] = [{"sku": f"SKU-{rng.randrange(999)}", "price": round(rng.uniform(1, 99), 2),
                                    "tags": rng.sample(["sale", "新品", "gift"], 2)}
                                   for _ in range(rng.randrange(1, 4))]
            properties["revenue"] = round(sum(i["price"] for i in properties["items"]), 2)
        return {
            "$insert_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "uuid": str(uuid.UUID(int=(self.seed << 64) + index)),
            "event_id": index % 97,
            "event_type": event_type,
            "amplitude_event_type": None,
            "app": 123456,
            "amplitude_id": 9_000_000 + user,
            "user_id": f"user-{user}" if user % 7 else None,
            "device_id": f"dev-{user:04d}",
            "session_id": int(happened * 1000) - rng.randrange(600_000),
            "event_time": amplitude_time(happened),
            "client_event_time": amplitude_time(happened),
            "client_upload_time": amplitude_time(uploaded - 0.5),
            "server_received_time": amplitude_time(uploaded - 0.1),
            "server_upload_time": amplitude_time(uploaded),
            "processed_time": amplitude_time(uploaded + 1),
            "user_creation_time": amplitude_time(self.first_upload - user * 86400),
            "platform": platform, "os_name": os_name, "os_version": os_version,
            "device_brand": rng.choice(["Apple", "samsung", None]), "device_manufacturer": None,
            "device_model": rng.choice(["iPhone15,2", "SM-S918B", None]), "device_family": None,
            "device_type": None, "device_carrier": rng.choice(["Vodafone", "ドコモ", None]),
            "language": rng.choice(["English", "Deutsch", "日本語"]),
            "country": country, "region": region, "city": city, "dma": None,
            "location_lat": None, "location_lng": None,
            "ip_address": f"198.51.100.{rng.randrange(1, 255)}",
            "library": "amplitude-ts/2.5.0", "version_name": "3.1.4", "start_version": "2.0.0",
            "adid": None, "idfa": None, "paying": rng.choice([True, None]), "is_attribution_event": False,
            "sample_rate": None,
            "event_properties": properties,
            "user_properties": {"plan": rng.choice(["free", "pro"]), "cohorts": [1, 2], "nested": {"a": {"b": None}}},
            "group_properties": {},
            "groups": {"company": [f"co-{user % 5}"]} if user % 3 else {},
            "data": {"path": "/batch", "group_first_event": {}},
            "amplitude_attribution_ids": None,
        }

    def add_events(self, count: int = 1, **fields: Any) -> list[dict[str, Any]]:
        """Receive `count` new events now (on the project's clock); returns them."""
        added = []
        with self.lock:
            for k in range(count):
                index = self.count + len(self.added)
                event = self.event(index)
                uploaded = self.clock() - (count - k) * 0.001
                event["server_upload_time"] = amplitude_time(uploaded)
                event["uuid"] = str(uuid.uuid4())
                event.update(fields)
                self.added.append(event)
                added.append(event)
        return added

    def events_between(self, start: float, end: float) -> Iterator[tuple[float, dict[str, Any]]]:
        """(upload time, event) of every event uploaded in [start, end), oldest first."""
        first = max(0, int((start - self.first_upload) // self.spacing))
        for index in range(first, self.count):
            uploaded = self.upload_time(index)
            if uploaded >= end:
                break
            if uploaded >= start:
                yield uploaded, self.event(index)
        with self.lock:
            added = list(self.added)
        for event in added:
            uploaded = datetime.strptime(event["server_upload_time"], "%Y-%m-%d %H:%M:%S.%f").replace(
                tzinfo=UTC).timestamp()
            if start <= uploaded < end:
                yield uploaded, event

    def all_events(self) -> list[dict[str, Any]]:
        """Every event the project holds (seeded and added)."""
        with self.lock:
            added = list(self.added)
        return [self.event(i) for i in range(self.count)] + added

    # ----- controls -----

    def throttle_next(self, count: int = 1, after: int = 0, path: str = "/api/2/") -> None:
        """Answer the next `count` requests under `path` with 429, after `after` pass."""
        self.throttles.add(count, after, path, None)
