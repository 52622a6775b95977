"""A flow's time range and Filter comparisons as Dynatrace query parameters (connectors layer).

* Time: `from` / `to` (epoch ms) from the incremental window and BETWEEN filters on the entity's time
  fields. Dynatrace lists a problem or event when its start *or* end lies in the timeframe, so the window of
  either time field is a safe superset; the source keeps only records inside the window itself.
* AppFlow requires a Dynatrace flow's date range to span at most 30 days: a BETWEEN wider than that is refused;
  an incremental window longer than that (a first run, a long pause) reads its last 30 days; a flow with no
  range reads the 30 days up to now.
* EQUAL_TO comparisons become selector criteria (`problemSelector`, `eventSelector`, `entitySelector`), values
  quoted with Dynatrace's tilde escapes. The engine re-applies every Filter, so a selector may be wider than the
  comparison (Dynatrace compares entity names case-insensitively) but never narrower.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import replace

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.entities import Query

DAY_MS = 86_400_000
MAX_RANGE_MS = 30 * DAY_MS


def quote(value: str) -> str:
    """A selector value in double quotes, `"` and `~` escaped with a tilde."""
    return '"' + value.replace("~", "~~").replace('"', '~"') + '"'


def metric_selector(metric_id: str) -> str:
    """A metric key for `metricSelector`, quoted when it holds characters outside the plain key syntax."""
    return metric_id if re.fullmatch(r"[A-Za-z0-9_:.\-]+", metric_id) else quote(metric_id)


def timeframe(query: Query, fields: tuple[str, ...], now_ms: int | None = None) -> tuple[int, int]:
    """(from, to) in epoch ms for a time-series entity whose time fields are `fields` (see the docstring)."""
    now = int(time.time() * 1000) if now_ms is None else now_ms
    lower, upper = _bounds(query, fields)
    filtered_lower, filtered_upper = _bounds(replace(query, window_field=None), fields)
    if filtered_lower is not None and filtered_upper is not None and filtered_upper - filtered_lower > MAX_RANGE_MS:
        raise ConnectorError("InvalidArgument", "a Dynatrace flow's date range may span at most 30 days (AppFlow's "
                             f"rule); the flow's filter spans {(filtered_upper - filtered_lower) / DAY_MS:.1f} days")
    # An upper bound is kept even past this host's clock: a schedule's window end is the scheduler's time.
    end = upper if upper is not None else now
    start = lower if lower is not None else end - MAX_RANGE_MS
    return max(start, end - MAX_RANGE_MS), end


def _bounds(query: Query, fields: tuple[str, ...]) -> tuple[int | None, int | None]:
    lowers, uppers = [], []
    for name in fields:
        lower, upper = query.time_range(name)
        if lower is not None:
            lowers.append(math.floor(lower * 1000))
        if upper is not None:
            uppers.append(math.ceil(upper * 1000))
    # Several time fields narrow the records, but Dynatrace's timeframe matches either: take the widest.
    return (min(lowers) if lowers else None), (max(uppers) if uppers else None)


def selector(query: Query, criteria: dict[str, str], single: frozenset[str] = frozenset(),
             lower: frozenset[str] = frozenset()) -> list[str]:
    """Selector criteria for the EQUAL_TO comparisons on the fields in `criteria` ({field: criterion name});
    fields in `single` take one value per criterion (a comparison with several is left to the engine), fields
    in `lower` are sent in lower case (the problems list's `status("open")`, as its reference writes it)."""
    terms = []
    for condition in query.conditions:
        name = criteria.get(condition.field)
        if name is None or condition.operator != "EQUAL_TO" or not condition.values:
            continue
        if condition.field in single and len(condition.values) != 1:
            continue
        if name.endswith("()"):  # boolean flags: underMaintenance(true)
            value = condition.values[0].strip().lower()
            if len(condition.values) == 1 and value in ("true", "false"):
                terms.append(f"{name[:-2]}({value})")
            continue
        values = [v.lower() if condition.field in lower else v for v in condition.values]
        terms.append(f"{name}({','.join(quote(v) for v in values)})")
    return terms


def first_seen_terms(query: Query) -> list[str]:
    """`firstSeenTms.gt(...)` / `.lte(...)` criteria for the window and BETWEEN filters on firstSeenTms."""
    lower, upper = query.time_range("firstSeenTms")
    terms = []
    if lower is not None:
        terms.append(f"firstSeenTms.gte({math.floor(lower * 1000)})")
    if upper is not None:
        terms.append(f"firstSeenTms.lte({math.ceil(upper * 1000)})")
    return terms
