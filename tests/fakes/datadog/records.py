"""Seeded log and event records (fake side), made one at a time from (seed, index) so big seeds are cheap.

Shapes follow the Logs API `Log` object (id, type "log", attributes {timestamp, status, service, message,
host, tags, attributes{...}}) at https://docs.datadoghq.com/api/latest/logs/#search-logs and the v1/v2
Event objects at https://docs.datadoghq.com/api/latest/events/. Records carry nested objects, arrays,
nulls and non-ASCII text, as real logs do.
"""

from __future__ import annotations

import base64
import random
from typing import Any

SERVICES = ("web-store", "checkout", "payments", "auth", "inventory", "notifications")
HOSTS = ("i-0a1b2c3d4e5f60718", "web-01.eu-west-1", "web-02.eu-west-1", "worker-7.us-east-1", "db-proxy-3")
ENVS = ("prod", "staging")
LOG_STATUSES = ("info",) * 6 + ("warn",) * 2 + ("error", "debug")
INDEXES = ("main", "main", "main", "retention-7")
MESSAGES = (
    "GET /api/cart 200 in {ms} ms",
    "Paiement accepté pour la commande n°{n} ✓",
    "Zahlung für Kunde Müller abgelehnt (Karte gesperrt)",
    "注文 {n} の支払いが完了しました",
    "User {n} logged in from 🇳🇴 Oslo",
    "Retrying upstream call to inventory (attempt {a})",
    "Timeout talking to \"payments-db\" after {ms} ms",
)
METHODS = ("GET", "GET", "GET", "POST", "PUT", "DELETE")
EVENT_SOURCES = ("my_apps", "kubernetes", "docker", "github", "monitor_alert")
EVENT_ALERT_TYPES = ("info", "info", "warning", "error", "success")
EVENT_TITLES = (
    "Deployed {svc} version 1.{n}.0",
    "Pod {svc}-{n} restarted — OOMKilled",
    "[Triggered] Latency > 2 s on {svc}",
    "Réplica {n} de {svc} redémarrée",
    "{svc} のスケールアウト完了",
)


def record_rng(seed: int, kind: int, index: int) -> random.Random:
    """A generator private to one record, so any record can be made without making the ones before it."""
    return random.Random((seed * 1_000_003 + kind) * 10_000_019 + index)


def log_id(timestamp_ms: int, seq: int) -> str:
    """An opaque, unique log id in the style Datadog uses (base64 of time and sequence)."""
    raw = b"\x01\x00\x00\x01" + timestamp_ms.to_bytes(8, "big") + seq.to_bytes(8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def make_log(seed: int, index: int, timestamp_ms: int, seq: int) -> dict[str, Any]:
    """One log as stored by the fake: the v2 `Log` shape plus the index it lives in."""
    rng = record_rng(seed, 1, index)
    service = rng.choice(SERVICES)
    status = rng.choice(LOG_STATUSES)
    host = rng.choice(HOSTS)
    env = rng.choice(ENVS)
    duration_ms = rng.randint(1, 4000)
    code = 500 if status == "error" else rng.choice((200, 200, 201, 204, 302, 404))
    message = rng.choice(MESSAGES).format(ms=duration_ms, n=rng.randint(1000, 99999), a=rng.randint(1, 5))
    user: dict[str, Any] | None = None
    if rng.random() < 0.7:
        user = {"id": f"u-{rng.randint(1, 5000)}",
                "email": rng.choice((None, f"user{rng.randint(1, 900)}@example.com")),
                "name": rng.choice(("Ana Müller", "Jürgen Øster", "Zoë Ng", "山田 太郎", None))}
    attributes: dict[str, Any] = {
        "http": {"method": rng.choice(METHODS), "status_code": code, "url": f"/api/{service}/{rng.randint(1, 400)}",
                 "useragent_details": {"browser": {"family": rng.choice(("Firefox", "Chrome", "Safari"))}}},
        "duration": duration_ms * 1_000_000,
        "usr": user,
        "network": {"client": {"ip": f"203.0.113.{rng.randint(1, 254)}"}},
        "dd": {"trace_id": str(rng.getrandbits(63)), "span_id": str(rng.getrandbits(63))},
        "items": [{"sku": f"SKU-{rng.randint(1, 999):03d}", "qty": rng.randint(1, 3)}
                  for _ in range(rng.randint(0, 3))],
        "retry": rng.choice((None, 0, 1, 2)),
    }
    if status == "error":
        attributes["error"] = {"kind": rng.choice(("TimeoutError", "ValueError", "ConnectionResetError")),
                               "message": "upstream closed the connection",
                               "stack": "Traceback (most recent call last):\n  …"}
    tags = [f"env:{env}", f"service:{service}", f"version:1.{rng.randint(0, 9)}.{rng.randint(0, 20)}",
            f"team:{rng.choice(('shop', 'platform', 'sre'))}", "source:python"]
    return {
        "id": log_id(timestamp_ms, seq),
        "type": "log",
        "index": rng.choice(INDEXES),
        "attributes": {"timestamp": timestamp_ms, "status": status, "service": service, "message": message,
                       "host": host, "tags": tags, "attributes": attributes},
    }


def make_event(seed: int, index: int, timestamp_ms: int, seq: int) -> dict[str, Any]:
    """One event as stored by the fake (both the v1 and v2 answers are made from it)."""
    rng = record_rng(seed, 2, index)
    service = rng.choice(SERVICES)
    source = rng.choice(EVENT_SOURCES)
    alert_type = rng.choice(EVENT_ALERT_TYPES)
    event_id = 7_000_000_000_000_000_000 + seq
    title = rng.choice(EVENT_TITLES).format(svc=service, n=rng.randint(1, 60))
    return {
        "id": event_id,
        "timestamp_ms": timestamp_ms,
        "title": title,
        "text": rng.choice(("%%% \nDeployment finished by **ci-bot** ✅\n %%%", "Ånd the pod came back.", "",
                            f"Threshold crossed on {service}: 2.31 > 2")),
        "host": rng.choice((*HOSTS, None)),
        "device_name": None,
        "priority": rng.choice(("normal", "normal", "low")),
        "alert_type": alert_type,
        "source_type_name": source,
        "aggregation_key": rng.choice((None, f"agg-{service}")),
        "service": service,
        "tags": [f"env:{rng.choice(ENVS)}", f"service:{service}", f"source:{source}"],
        "payload": None if rng.random() < 0.6 else '{"commit": "a1b2c3d", "author": "Zoë"}',
    }
