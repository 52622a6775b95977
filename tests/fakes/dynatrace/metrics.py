"""Metrics: `GET /api/v2/metrics` (descriptors, paged) and `GET /api/v2/metrics/query` (data points).

A metric selector is a comma-separated list of metric keys (`builtin:host.cpu.usage`), with `(a,b)` to pick
siblings, a trailing `*` to select a subtree (list endpoint only), and `:transformation` suffixes. The query
endpoint takes up to 10 metrics, a `resolution` (a count of points, default 120, a timespan like `5m`, or
`Inf`), `from` / `to` (default `now-2h` .. now), `entitySelector` and `mzSelector`, and answers one series per
dimension tuple, timestamps marking the end of each slot; it has no paging (`nextPageKey` is always null).
"""

from __future__ import annotations

import re
from typing import Any

from . import matching, paging, selectors
from .environment import Environment
from .errors import DynatraceError, bad_parameter
from .listing import timeframe
from .records import ENTITY_TYPE_INFO, MINUTE, Metric, metric_value
from .timeframe import parse_duration_ms, parse_time

Record = dict[str, Any]
DEFAULT_FIELDS = ("displayName", "description", "unit")
AGGREGATIONS = {"auto": 1.0, "avg": 1.0, "value": 1.0, "median": 1.0, "max": 1.15, "min": 0.85}
LADDER = [MINUTE * m for m in (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 10080)]
MAX_POINTS_PER_SERIES = 10_080
MAX_SERIES = 1_000
MAX_POINTS = 100_000
MAX_METRICS_PER_QUERY = 10


def split_items(text: str) -> list[str]:
    """The top-level comma-separated items of a metric selector."""
    return [item.strip() for item in selectors.split_top_level(text, ",") if item.strip()]


def key_and_transformations(item: str) -> tuple[str, list[str]]:
    """`builtin:host.cpu.usage:max:names` -> ("builtin:host.cpu.usage", ["max", "names"])."""
    parts = selectors.split_top_level(item, ":")
    if len(parts) >= 2 and re.fullmatch(r"[a-z]+", parts[0]):
        return f"{parts[0]}:{parts[1]}", parts[2:]
    return parts[0], parts[1:]


def expand(key: str) -> list[str]:
    """`builtin:host.cpu.(idle,user)` -> both keys."""
    m = re.fullmatch(r"(.*)\(([^()]*)\)", key)
    if not m:
        return [key]
    return [m.group(1) + leaf.strip() for leaf in m.group(2).split(",") if leaf.strip()]


# ----- descriptors -----

def list_metrics(env: Environment, query: dict[str, str]) -> Record:
    """`GET /api/v2/metrics`."""
    if "nextPageKey" in query:
        paging.only_cursor(query)
        state = paging.decode(query["nextPageKey"], "metrics")
    else:
        if query.get("writtenSince"):
            try:
                parse_time(query["writtenSince"], env.now_ms())
            except ValueError as exc:
                raise bad_parameter("writtenSince", str(exc)) from None
        state = {"endpoint": "metrics", "selector": query.get("metricSelector"), "text": query.get("text"),
                 "metadata": query.get("metadataSelector"), "fields": _fields(query.get("fields")),
                 "size": paging.page_size(query, 100, 500, clamp=True), "offset": 0}
    found = [m for m in env.metrics if _selected(m, state)]
    offset, size = state["offset"], state["size"]
    page = found[offset:offset + size]
    next_key = paging.encode({**state, "offset": offset + size}) if offset + size < len(found) else None
    return {"totalCount": len(found), "nextPageKey": next_key,
            "metrics": [_project(m.descriptor(), state["fields"]) for m in page]}


def _fields(text: str | None) -> list[str]:
    if not text:
        return list(DEFAULT_FIELDS)
    items = [i.strip() for i in text.split(",") if i.strip()]
    known = set(Metric("k", "", "", "", "HOST", (), "avg", 1).descriptor())
    for item in items:
        if item.lstrip("+") not in known:
            raise bad_parameter("fields", f"Unknown field '{item.lstrip('+')}'")
    # Items with a leading + add to the defaults; a list without them replaces the defaults.
    if all(i.startswith("+") for i in items):
        return list(DEFAULT_FIELDS) + [i[1:] for i in items]
    return [i.lstrip("+") for i in items]


def _project(descriptor: Record, fields: list[str]) -> Record:
    return {"metricId": descriptor["metricId"], **{f: descriptor[f] for f in fields if f != "metricId"}}


def _selected(metric: Metric, state: Record) -> bool:
    if state["selector"]:
        keys = [k for item in split_items(state["selector"]) for k in expand(key_and_transformations(item)[0])]
        if not any(metric.metric_id == k or (k.endswith("*") and metric.metric_id.startswith(k[:-1])) for k in keys):
            return False
    if state["text"]:
        needle = state["text"].lower()
        if not any(needle in s.lower() for s in (metric.metric_id, metric.display_name, metric.description)):
            return False
    if state["metadata"]:
        descriptor = metric.descriptor()
        for c in selectors.parse(state["metadata"]):
            values = set(c.values)
            if c.name == "unit" and metric.unit not in values:
                return False
            if c.name == "tags" and not values & set(descriptor["tags"]):
                return False
            if c.name == "dimensionKey" and not values & {d["key"] for d in descriptor["dimensionDefinitions"]}:
                return False
            if c.name not in ("unit", "tags", "dimensionKey"):
                raise bad_parameter("metadataSelector", f"Unknown criterion '{c.name}'")
    return True


def get_metric(env: Environment, metric_key: str) -> Record:
    """`GET /api/v2/metrics/{metricKey}`: every descriptor property; a 404 for an unknown key."""
    for metric in env.metrics:
        if metric.metric_id == metric_key:
            return metric.descriptor()
    raise DynatraceError(404, f"The metric {metric_key} was not found.")


# ----- data points -----

def query_metrics(env: Environment, query: dict[str, str]) -> Record:
    """`GET /api/v2/metrics/query`."""
    text = query.get("metricSelector")
    if not text:
        raise bad_parameter("metricSelector", "must not be empty")
    items = split_items(text)
    resolved: list[tuple[str, Metric, list[str]]] = []
    by_id = {m.metric_id: m for m in env.metrics}
    for item in items:
        key, transformations = key_and_transformations(item)
        for metric_id in expand(key):
            if "*" in metric_id:
                raise bad_parameter("metricSelector", "Wildcards are not allowed when querying data points.")
            if metric_id not in by_id:
                raise DynatraceError(404, f"The metric {metric_id} was not found.")
            resolved.append((item if metric_id == key else metric_id, by_id[metric_id], transformations))
    if len(resolved) > MAX_METRICS_PER_QUERY:
        raise bad_parameter("metricSelector", f"At most {MAX_METRICS_PER_QUERY} metrics can be queried at once.")
    start, end = timeframe(env, query, "now-2h")
    label, slot = _resolution(query.get("resolution"), start, end)
    ends = _slot_ends(start, end, slot)
    if len(ends) > MAX_POINTS_PER_SERIES:
        raise bad_parameter("resolution", f"The resolution {label} gives {len(ends)} data points per series; "
                                          f"at most {MAX_POINTS_PER_SERIES} are allowed.")
    entity_test = None
    if query.get("entitySelector"):
        entity_test = matching.entity_predicate(query["entitySelector"], env.now_ms(), env.entity_index)
    zones = _zones(query.get("mzSelector"))
    results, series_total, points_total = [], 0, 0
    for metric_id, metric, transformations in resolved:
        entities = [e for e in env.entities if e["type"] == metric.entity_type
                    and (entity_test is None or entity_test(e)) and (zones is None or zones(e))]
        data = _series(env, metric, transformations, entities, ends, slot)
        series_total += len(data)
        points_total += len(data) * len(ends)
        results.append({"metricId": metric_id, "dataPointCountRatio": round(len(data) * len(ends) / 10_000_000, 7),
                        "dimensionCountRatio": round(len(data) / 100_000, 5), "data": data})
    if series_total > MAX_SERIES or points_total > MAX_POINTS:
        raise bad_parameter("metricSelector", "The query exceeds the limits of 1,000 series or 100,000 data points.")
    primary = {d["dimensionMap"].get(ENTITY_TYPE_INFO[m.entity_type][1])
               for (_, m, _), r in zip(resolved, results, strict=True) for d in r["data"]}
    return {"totalCount": len(primary - {None}), "nextPageKey": None, "resolution": label, "result": results}


def _resolution(text: str | None, start: int, end: int) -> tuple[str, int]:
    """(label, slot length in ms); `Inf` is one slot over the whole timeframe."""
    if text == "Inf":
        return "Inf", max(1, end - start)
    if text and not text.isdigit():
        slot = parse_duration_ms(text)
        if slot is None or slot < MINUTE:
            raise bad_parameter("resolution", f"'{text}' is not a valid resolution")
        return text, slot
    wanted = int(text) if text else 120
    span = max(1, end - start)
    slot = next((s for s in LADDER if span / s <= wanted), LADDER[-1])
    return _label(slot), slot


def _label(slot: int) -> str:
    for unit, size in (("w", 10080 * MINUTE), ("d", 1440 * MINUTE), ("h", 60 * MINUTE)):
        if slot % size == 0:
            return f"{slot // size}{unit}"
    return f"{slot // MINUTE}m"


def _slot_ends(start: int, end: int, slot: int) -> list[int]:
    if end - start == slot:  # Inf
        return [end]
    first = (start // slot) * slot + slot
    last = -(-end // slot) * slot
    return list(range(first, last + 1, slot))


def _zones(text: str | None) -> Any:
    if not text:
        return None
    tests = []
    for c in selectors.parse(text):
        values = set(c.values)
        if c.name == "mzId":
            tests.append(lambda e, v=values: any(mz["id"] in v for mz in e["managementZones"]))
        elif c.name == "mzName":
            tests.append(lambda e, v=values: any(mz["name"] in v for mz in e["managementZones"]))
        else:
            raise bad_parameter("mzSelector", f"Unknown criterion '{c.name}'")
    return lambda e: all(t(e) for t in tests)


def _series(env: Environment, metric: Metric, transformations: list[str], entities: list[Record], ends: list[int],
            slot: int) -> list[Record]:
    factor, names, split, limit = 1.0, False, None, None
    for t in transformations:
        name, _, arg = t.partition("(")
        arg = arg.rstrip(")")
        if name in AGGREGATIONS:
            factor = AGGREGATIONS[name]
        elif name == "sum":
            factor = slot / MINUTE
        elif name == "count":
            factor = -1.0
        elif name == "percentile":
            factor = 0.5 + float(arg or 50) / 200
        elif name == "names":
            names = True
        elif name == "splitBy":
            split = [a.strip().strip('"') for a in arg.split(",") if a.strip()]
        elif name == "limit":
            limit = int(arg)
        else:
            raise bad_parameter("metricSelector", f"The transformation '{name}' is not supported here.")
    entity_key = ENTITY_TYPE_INFO[metric.entity_type][1]
    now = env.now_ms()
    extras: list[str | None] = list(metric.extra_dimension[1]) if metric.extra_dimension else [None]
    tuples = [(e, extra) for e in entities for extra in extras]
    series = []
    for entity, extra in tuples:
        values = []
        for t in ends:
            raw = None if t > now + slot else metric_value(env.seed, metric.metric_id, f"{entity['entityId']}|{extra}",
                                                           t, metric.scale)
            if raw is not None:
                raw = round(slot / MINUTE, 4) if factor < 0 else round(raw * factor, 4)
                if metric.unit == "Percent":
                    raw = min(raw, 100.0)
            values.append(raw)
        dims = {entity_key: entity["entityId"]}
        if names:
            dims = {f"{entity_key}.name": entity["displayName"], **dims}
        if extra is not None:
            dims[metric.extra_dimension[0]] = extra  # type: ignore[index]
        series.append((dims, values))
    if split is not None:
        series = _merge(series, split, len(ends))
    if limit is not None:
        series = series[:limit]
    return [{"dimensions": list(d.values()), "dimensionMap": d, "timestamps": ends, "values": v} for d, v in series]


def _merge(series: list[tuple[dict[str, str], list[float | None]]], keep: list[str],
           width: int) -> list[tuple[dict[str, str], list[float | None]]]:
    """`splitBy(...)`: keep only the named dimensions, averaging the series that then coincide."""
    groups: dict[tuple[tuple[str, str], ...], list[list[float | None]]] = {}
    for dims, values in series:
        key = tuple((k, v) for k, v in dims.items() if k in keep or k.removesuffix(".name") in keep)
        groups.setdefault(key, []).append(values)
    merged = []
    for key, members in groups.items():
        out: list[float | None] = []
        for k in range(width):
            present = [m[k] for m in members if m[k] is not None]
            out.append(round(sum(present) / len(present), 4) if present else None)  # type: ignore[arg-type]
        merged.append((dict(key), out))
    return merged
