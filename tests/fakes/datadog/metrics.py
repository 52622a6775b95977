"""Metrics: the active-metrics list and timeseries point queries (fake side).

Follows https://docs.datadoghq.com/api/latest/metrics/#query-timeseries-points (`GET /api/v1/query` with
POSIX-second `from`/`to` and a query such as `avg:system.cpu.idle{env:prod} by {host}`; the answer is
`series`, each with a `pointlist` of `[milliseconds, value]` pairs) and
https://docs.datadoghq.com/api/latest/metrics/#get-active-metrics-list (`GET /api/v1/metrics`).
Values are a smooth daily curve plus deterministic noise, so repeated queries agree; a few points are null
(gaps), as real series have.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any

from .records import HOSTS

# name -> (base, amplitude, unit)
CATALOG: dict[str, tuple[float, float, dict[str, Any] | None]] = {
    "system.cpu.idle": (70.0, 20.0, {"family": "percentage", "name": "percent", "plural": "percent",
                                     "scale_factor": 1.0, "short_name": "%"}),
    "system.load.1": (1.5, 1.0, None),
    "system.mem.used": (6.0e9, 1.5e9, {"family": "bytes", "name": "byte", "plural": "bytes",
                                       "scale_factor": 1.0, "short_name": "B"}),
    "trace.http.request.hits": (120.0, 80.0, {"family": "general", "name": "hit", "plural": "hits",
                                              "scale_factor": 1.0, "short_name": None}),
    "checkout.orders.count": (12.0, 9.0, None),
}
AGGREGATORS = ("avg", "sum", "min", "max")
INTERVALS = (20, 60, 300, 600, 1200, 3600, 14400, 86400)
MAX_POINTS = 300
_QUERY = re.compile(r"^\s*(?:(?P<aggr>[a-z]+):)?(?P<metric>[A-Za-z][\w.]*)\{(?P<scope>[^}]*)\}"
                    r"(?:\s*by\s*\{(?P<by>[^}]*)\})?\s*$")


class MetricQueryError(ValueError):
    """A query the fake cannot parse (answered as 400 `Error parsing query`)."""


def host_tags(host: str) -> list[str]:
    """The tags every series of `host` carries."""
    env = "staging" if host.startswith("worker") else "prod"
    return [f"host:{host}", f"env:{env}"]


@dataclass(frozen=True)
class MetricQuery:
    """A parsed `aggr:metric{scope} by {tags}` query."""

    text: str
    aggr: str | None
    metric: str
    scope: list[str]
    by: list[str]


def parse_query(text: str) -> MetricQuery:
    """Parse one metric query, or raise MetricQueryError."""
    match = _QUERY.match(text)
    if not match:
        raise MetricQueryError(f"Error parsing query: unable to parse {text}: Rule 'scope_expr' didn't match")
    aggr = match["aggr"]
    if aggr is not None and aggr not in AGGREGATORS:
        raise MetricQueryError(f"Error parsing query: unknown aggregator {aggr}")
    scope = [s.strip() for s in match["scope"].split(",") if s.strip() and s.strip() != "*"]
    by = [b.strip() for b in (match["by"] or "").split(",") if b.strip()]
    return MetricQuery(text.strip(), aggr, match["metric"], scope, by)


def pick_interval(from_s: int, to_s: int) -> int:
    """The rollup interval: the smallest that keeps a series at or under MAX_POINTS points."""
    span = max(1, to_s - from_s)
    return next((i for i in INTERVALS if span / i <= MAX_POINTS), INTERVALS[-1])


def _value(metric: str, host: str, ts: int) -> float | None:
    base, amplitude, _ = CATALOG[metric]
    digest = hashlib.blake2b(f"{metric}|{host}|{ts}".encode(), digest_size=8).digest()
    noise = int.from_bytes(digest, "big") / 2**64
    if noise < 0.02:
        return None
    phase = (sum(host.encode()) % 24) * 3600
    return round(base + amplitude * math.sin(2 * math.pi * (ts + phase) / 86400) + amplitude * 0.1 * (noise - 0.5), 4)


def _combine(aggr: str | None, values: list[float]) -> float | None:
    if not values:
        return None
    if aggr == "sum":
        return sum(values)
    if aggr == "min":
        return min(values)
    if aggr == "max":
        return max(values)
    return sum(values) / len(values)


def run_query(query: MetricQuery, from_s: int, to_s: int, since_s: int, query_index: int = 0) -> list[dict[str, Any]]:
    """The `series` of a query: one per group (or one in all), empty for an unknown metric."""
    if query.metric not in CATALOG:
        return []
    hosts = [h for h in HOSTS if all(s in host_tags(h) for s in query.scope)]
    if not hosts:
        return []
    interval = pick_interval(from_s, to_s)
    first = max(from_s, since_s)
    first = -(-first // interval) * interval
    stamps = list(range(first, to_s + 1, interval))
    if not stamps:
        return []
    groups: dict[tuple[str, ...], list[str]] = {}
    for host in hosts:
        tags = host_tags(host)
        key = tuple(next((t for t in tags if t.split(":")[0] == b), f"{b}:N/A") for b in query.by)
        groups.setdefault(key, []).append(host)
    scope_text = ",".join(query.scope) or "*"
    series: list[dict[str, Any]] = []
    for key, members in sorted(groups.items()):
        points: list[list[float | None]] = []
        for ts in stamps:
            values = [v for v in (_value(query.metric, h, ts) for h in members) if v is not None]
            points.append([float(ts * 1000), _combine(query.aggr, values)])
        group_scope = ",".join([*query.scope, *key]) or "*"
        series.append({
            "aggr": query.aggr,
            "attributes": {},
            "display_name": query.metric,
            "end": stamps[-1] * 1000 + interval * 1000 - 1,
            "expression": f"{query.aggr + ':' if query.aggr else ''}{query.metric}{{{group_scope}}}",
            "interval": interval,
            "length": len(points),
            "metric": query.metric,
            "pointlist": points,
            "query_index": query_index,
            "scope": group_scope if key else scope_text,
            "start": stamps[0] * 1000,
            "tag_set": list(key),
            "unit": [CATALOG[query.metric][2], None],
        })
    return series


def active_metrics(host: str | None) -> list[str]:
    """Names of the metrics reporting (all of them report from every host)."""
    if host is not None and host not in HOSTS:
        return []
    return sorted(CATALOG)
