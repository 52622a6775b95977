"""runReport over the fake's events: validation, dimensionFilter, aggregation, metricFilter, order, paging."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.common.google import report_day

from .data import (
    DIMENSION_NAMES,
    METRIC_TYPES,
    REALTIME_DIMENSIONS,
    REALTIME_METRICS,
    Event,
    Group,
    names,
    text,
)
from .enums import AGGREGATIONS, MATCH_TYPES, OPERATIONS, ORDER_TYPES
from .enums import name as enum_name
from .errors import GoogleError

MAX_DIMENSIONS, MAX_METRICS, MAX_LIMIT, DEFAULT_LIMIT = 9, 10, 250_000, 10_000
SCHEMA = "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema"
REALTIME_SCHEMA = "https://developers.google.com/analytics/devguides/reporting/data/v1/realtime-api-schema"


def day(text_: Any, today: datetime) -> datetime:
    """A DateRange bound: YYYY-MM-DD, today, yesterday or NdaysAgo (midnight UTC)."""
    parsed = report_day(text_, today)
    if parsed is None:
        raise GoogleError(400, f"Invalid date '{text_ or ''}'. Dates must be YYYY-MM-DD, today, yesterday, or "
                               "NdaysAgo.")
    return parsed


def _int64(body: Mapping[str, Any], key: str, default: int) -> int:
    value = body.get(key)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise GoogleError(400, f"Invalid value at '{key}' (TYPE_INT64), \"{value}\"") from None


def _string_match(spec: Mapping[str, Any], value: str) -> bool:
    wanted = str(spec.get("value") or "")
    sensitive = bool(spec.get("caseSensitive"))
    have, want = (value, wanted) if sensitive else (value.lower(), wanted.lower())
    kind = enum_name(spec.get("matchType") or "EXACT", MATCH_TYPES)
    if kind == "EXACT":
        return have == want
    if kind == "BEGINS_WITH":
        return have.startswith(want)
    if kind == "ENDS_WITH":
        return have.endswith(want)
    if kind == "CONTAINS":
        return want in have
    flags = 0 if sensitive else re.IGNORECASE
    if kind == "FULL_REGEXP":
        return re.fullmatch(wanted, value, flags) is not None
    if kind == "PARTIAL_REGEXP":
        return re.search(wanted, value, flags) is not None
    raise GoogleError(400, f"Invalid matchType {kind}")


def _number(value: Mapping[str, Any] | None) -> float:
    value = value or {}
    if "int64Value" in value:
        return float(int(value["int64Value"]))
    return float(value.get("doubleValue") or 0.0)


def _numeric_match(operation: str, have: float, want: float) -> bool:
    return {"EQUAL": have == want, "LESS_THAN": have < want, "LESS_THAN_OR_EQUAL": have <= want,
            "GREATER_THAN": have > want, "GREATER_THAN_OR_EQUAL": have >= want}[operation]


def predicate(expression: Mapping[str, Any], lookup: Callable[[str], Any], allowed: set[str],
              kind: str) -> Callable[[Any], bool]:
    """A FilterExpression as a test of one event (dimensionFilter) or one row (metricFilter)."""
    if "andGroup" in expression or "orGroup" in expression:
        group = expression.get("andGroup") or expression.get("orGroup") or {}
        parts = [predicate(e, lookup, allowed, kind) for e in group.get("expressions") or []]
        combine = all if "andGroup" in expression else any
        return lambda item: combine(p(item) for p in parts)
    if "notExpression" in expression:
        inner = predicate(expression["notExpression"], lookup, allowed, kind)
        return lambda item: not inner(item)
    spec = expression.get("filter")
    if not isinstance(spec, Mapping):
        raise GoogleError(400, "A FilterExpression must set one of andGroup, orGroup, notExpression or filter.")
    name = str(spec.get("fieldName") or "")
    if name not in allowed:
        raise GoogleError(400, f"Field {name} is not a valid {kind} for this filter. For a list of valid "
                          f"dimensions and metrics, see {SCHEMA}")

    def value(item: Any) -> Any:
        return lookup(name)(item)

    if "stringFilter" in spec:
        return lambda item: _string_match(spec["stringFilter"], str(value(item)))
    if "inListFilter" in spec:
        options = spec["inListFilter"]
        sensitive = bool(options.get("caseSensitive"))
        wanted = {str(v) if sensitive else str(v).lower() for v in options.get("values") or []}
        return lambda item: (str(value(item)) if sensitive else str(value(item)).lower()) in wanted
    if "numericFilter" in spec:
        numeric = spec["numericFilter"]
        operation, want = enum_name(numeric.get("operation") or "EQUAL", OPERATIONS), _number(numeric.get("value"))
        return lambda item: _numeric_match(operation, float(value(item)), want)
    if "betweenFilter" in spec:
        low, high = _number(spec["betweenFilter"].get("fromValue")), _number(spec["betweenFilter"].get("toValue"))
        return lambda item: low <= float(value(item)) <= high
    if "emptyFilter" in spec:
        return lambda item: value(item) in ("", "(not set)")
    raise GoogleError(400, f"The filter on {name} sets no stringFilter, inListFilter, numericFilter, "
                      "betweenFilter or emptyFilter.")


def _sort_key(order: Mapping[str, Any], dimensions: list[str], metrics: list[str]) -> Callable[[Any], Any]:
    if "metric" in order:
        index = metrics.index(str(order["metric"].get("metricName")))
        return lambda row: row[1][index]
    spec = order.get("dimension") or {}
    name = str(spec.get("dimensionName") or "")
    if name not in dimensions:
        raise GoogleError(400, f"OrderBy dimension {name} must be one of the request's dimensions.")
    index = dimensions.index(name)
    kind = enum_name(spec.get("orderType") or "ALPHANUMERIC", ORDER_TYPES)
    if kind == "NUMERIC":
        def numeric(row: Any) -> Any:
            try:
                return (0, float(row[0][index]))
            except ValueError:
                return (1, 0.0)
        return numeric
    if kind == "CASE_INSENSITIVE_ALPHANUMERIC":
        return lambda row: row[0][index].lower()
    return lambda row: row[0][index]


def _validate(dimensions: list[str], metrics: list[str], known_dimensions: set[str],
              metric_types: Mapping[str, str], schema: str) -> None:
    if len(dimensions) > MAX_DIMENSIONS:
        raise GoogleError(400, f"Requested {len(dimensions)} dimensions; at most {MAX_DIMENSIONS} are allowed.")
    if len(metrics) > MAX_METRICS:
        raise GoogleError(400, f"Requested {len(metrics)} metrics; at most {MAX_METRICS} are allowed.")
    for name in dimensions:
        if name not in known_dimensions:
            raise GoogleError(400, f"Field {name} is not a valid dimension. For a list of valid dimensions and "
                              f"metrics, see {schema}")
    for name in metrics:
        if name not in metric_types:
            raise GoogleError(400, f"Field {name} is not a valid metric. For a list of valid dimensions and "
                              f"metrics, see {schema}")
    if not dimensions and not metrics:
        raise GoogleError(400, "Must request at least one dimension or metric.")


def _table(events: Iterable[tuple[Event, Mapping[str, str]]], body: Mapping[str, Any], dimensions: list[str],
           metrics: list[str], known_dimensions: set[str], metric_types: Mapping[str, str], limit: int,
           offset: int) -> dict[str, Any]:
    """Aggregate (event, dimension values) pairs into the answer: dimensionFilter before, metricFilter
    after, then order, aggregations and the page."""
    keep: Callable[[Mapping[str, str]], bool] = lambda values: True  # noqa: E731
    if body.get("dimensionFilter"):
        keep = predicate(body["dimensionFilter"], lambda n: lambda values: values[n], known_dimensions,
                         "dimension")
    groups: dict[tuple[str, ...], Group] = {}
    for e, values in events:
        if keep(values):
            key = tuple(values[d] for d in dimensions)
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group()
            group.add(e)
    rows = [(key, [g.metric(m) for m in metrics]) for key, g in groups.items()]
    if body.get("metricFilter"):
        by_name = {m: i for i, m in enumerate(metrics)}

        def metric_of(name: str) -> Callable[[Any], float]:
            return lambda row: row[1][by_name[name]] if name in by_name else 0.0
        test = predicate(body["metricFilter"], metric_of, set(metric_types), "metric")
        rows = [r for r in rows if test(r)]
    rows.sort(key=lambda row: row[0])
    for order in reversed(body.get("orderBys") or []):  # stable sorts, last key first
        rows.sort(key=_sort_key(order, dimensions, metrics), reverse=bool(order.get("desc")))

    types = [metric_types[m] for m in metrics]
    answer: dict[str, Any] = {
        "dimensionHeaders": [{"name": d} for d in dimensions],
        "metricHeaders": [{"name": m, "type": t} for m, t in zip(metrics, types, strict=True)],
    }
    page = rows[offset:offset + limit]
    if page:
        answer["rows"] = [{"dimensionValues": [{"value": v} for v in key],
                           "metricValues": [{"value": text(v, t)} for v, t in zip(values, types, strict=True)]}
                          for key, values in page]
    aggregations = {enum_name(a, AGGREGATIONS) for a in body.get("metricAggregations") or []}
    for aggregation, pick in (("TOTAL", "totals"), ("MAXIMUM", "maximums"), ("MINIMUM", "minimums")):
        if aggregation in aggregations and rows:
            combine: Callable[[list[float]], float] = {"TOTAL": sum, "MAXIMUM": max, "MINIMUM": min}[aggregation]
            answer[pick] = [{"dimensionValues": [{"value": f"RESERVED_{aggregation}"} for _ in dimensions],
                             "metricValues": [{"value": text(combine([r[1][i] for r in rows]), t)}
                                              for i, t in enumerate(types)]}]
    if rows:
        answer["rowCount"] = len(rows)
    return answer


def run_report(events: Iterable[Event], body: Mapping[str, Any], now: float) -> dict[str, Any]:
    """The RunReportResponse for `body` over `events`."""
    dimensions = names(body.get("dimensions") or [], "name")
    metrics = names(body.get("metrics") or [], "name")
    _validate(dimensions, metrics, DIMENSION_NAMES, METRIC_TYPES, SCHEMA)
    ranges = body.get("dateRanges") or []
    if len(ranges) != 1:
        raise GoogleError(400, "This fake serves exactly one dateRange per request.")
    today = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = day(ranges[0].get("startDate"), today), day(ranges[0].get("endDate"), today)
    if end < start:
        raise GoogleError(400, "The dateRange's endDate must not be before its startDate.")
    low, high = start.timestamp(), (end + timedelta(days=1)).timestamp()
    limit, offset = _int64(body, "limit", DEFAULT_LIMIT), _int64(body, "offset", 0)
    if limit < 0 or offset < 0:
        raise GoogleError(400, "limit and offset must be positive.")
    selected = ((e, e.values) for e in events if low <= e.time < high)
    answer = _table(selected, body, dimensions, metrics, DIMENSION_NAMES, METRIC_TYPES,
                    min(limit or DEFAULT_LIMIT, MAX_LIMIT), offset)
    answer["metadata"] = {"currencyCode": "EUR", "timeZone": "Etc/UTC"}
    answer["kind"] = "analyticsData#runReport"
    return answer


def run_realtime_report(events: Iterable[Event], body: Mapping[str, Any], now: float) -> dict[str, Any]:
    """The RunRealtimeReportResponse for `body`: the events of the last 30 minutes (or the one minuteRange
    asked), `minutesAgo` counted from `now`; `limit` only (no offset: realtime reports do not page)."""
    dimensions = names(body.get("dimensions") or [], "name")
    metrics = names(body.get("metrics") or [], "name")
    _validate(dimensions, metrics, REALTIME_DIMENSIONS, REALTIME_METRICS, REALTIME_SCHEMA)
    if "offset" in body:
        raise GoogleError(400, "Invalid JSON payload received. Unknown name \"offset\": Cannot find field.")
    ranges = body.get("minuteRanges") or [{"startMinutesAgo": 29, "endMinutesAgo": 0}]
    if len(ranges) != 1:
        raise GoogleError(400, "This fake serves exactly one minuteRange per request.")
    oldest = int(ranges[0].get("startMinutesAgo", 29))
    newest = int(ranges[0].get("endMinutesAgo", 0))
    if not 0 <= newest <= oldest <= 29:
        raise GoogleError(400, "minuteRanges must lie within the last 30 minutes, startMinutesAgo >= endMinutesAgo.")
    limit = _int64(body, "limit", DEFAULT_LIMIT)
    if limit < 0:
        raise GoogleError(400, "limit must be positive.")

    def recent() -> Iterator[tuple[Event, Mapping[str, str]]]:
        for e in events:
            ago = int((now - e.time) // 60)
            if e.time <= now and newest <= ago <= oldest:
                yield e, {**e.values, "minutesAgo": f"{ago:02d}"}

    answer = _table(recent(), body, dimensions, metrics, REALTIME_DIMENSIONS, REALTIME_METRICS,
                    min(limit or DEFAULT_LIMIT, MAX_LIMIT), 0)
    answer["kind"] = "analyticsData#runRealtimeReport"
    return answer
