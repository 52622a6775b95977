"""A run's filters and incremental window as JQL (connectors layer, Jira Cloud).

JQL (https://support.atlassian.com/jira-software-cloud/docs/use-advanced-search-with-jira-query-language-jql/)
compares dates at minute resolution (`"yyyy/MM/dd HH:mm"`) and reads them in the searching user's
time zone (their Jira profile's, `GET /rest/api/2/myself` `timeZone`). So an instant bound is
written as the user's wall-clock minute, widened outwards: a lower bound t becomes
`>= "<minute of t>"`, an upper bound `< "<minute after t's minute>"`. The search therefore returns a
superset of the window, and the source keeps exactly the records in (window_start, window_end].
Where the wall-clock minute is ambiguous or skipped (a daylight-saving change), the bound is widened
by another hour; with no time zone known, by 14 hours (the largest UTC offset).

Clauses generated (the fake's evaluator handles exactly these):

* `<clause> >= "<minute>"`, `<clause> < "<minute>"` for datetime fields (the window field and
  Filter comparisons GREATER_THAN(_OR_EQUAL_TO) / LESS_THAN(_OR_EQUAL_TO) / BETWEEN / EQUAL_TO);
  `<clause> >= "yyyy-MM-dd"`, `<= "yyyy-MM-dd"` for date fields;
* `<clause> = "<value>"` and `<clause> != "<value>"` for EQUAL_TO / NOT_EQUAL_TO on the fields
  that hold a name, key, id or account id (status, issue type, project, priority, assignee, ...);
* all joined with `AND`; a search with none gets `created >= "1970/01/01 00:00"`, because the
  enhanced search refuses unbounded JQL.

CONTAINS is not pushed down: JQL's `~` matches words, not substrings, so it could drop records the
flow's filter keeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sluice.connectors.rest.entities import Query
from sluice.literals import parse_micros

MINUTE = "%Y/%m/%d %H:%M"
UNBOUNDED = 'created >= "1970/01/01 00:00"'
_WIDEST_OFFSET = timedelta(hours=14)
T = TypeVar("T")


def literal(value: str) -> str:
    """A JQL string literal (double quotes, with `"` and `\\` escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def zone_of(name: str | None) -> ZoneInfo | None:
    """The user's time zone, None when unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _wall(seconds: float, zone: ZoneInfo | None, lower: bool) -> datetime:
    """The wall-clock time of instant `seconds` in `zone`, widened where the zone makes it ambiguous."""
    instant = datetime.fromtimestamp(seconds, UTC)
    if zone is None:
        shifted = instant - _WIDEST_OFFSET if lower else instant + _WIDEST_OFFSET
        return shifted.replace(tzinfo=None)
    wall = instant.astimezone(zone).replace(tzinfo=None)
    folds = {wall.replace(tzinfo=zone, fold=f).utcoffset() for f in (0, 1)}
    skipped = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall
    if len(folds) > 1 or skipped:
        wall += timedelta(hours=-1 if lower else 1)
    return wall


def lower_minute(seconds: float, zone: ZoneInfo | None) -> str:
    """`>=` operand covering every instant from `seconds` on."""
    return _wall(seconds, zone, True).replace(second=0, microsecond=0).strftime(MINUTE)


def upper_minute(seconds: float, zone: ZoneInfo | None) -> str:
    """`<` operand covering every instant up to and including `seconds`."""
    wall = _wall(seconds, zone, False).replace(second=0, microsecond=0) + timedelta(minutes=1)
    return wall.strftime(MINUTE)


def _seconds(text: str) -> float | None:
    micros = parse_micros(text)
    return None if micros is None else micros / 1_000_000


def _day(text: str) -> str | None:
    micros = parse_micros(text)
    if micros is None:
        return None
    return datetime.fromtimestamp(micros / 1_000_000, UTC).date().isoformat()


def time_clauses(clause: str, lower: float | None, upper: float | None, zone: ZoneInfo | None) -> list[str]:
    """Clauses keeping a datetime field in [lower, upper] (widened to minutes; None: open)."""
    found = []
    if lower is not None:
        found.append(f"{clause} >= {literal(lower_minute(lower, zone))}")
    if upper is not None:
        found.append(f"{clause} < {literal(upper_minute(upper, zone))}")
    return found


def clauses_for(query: Query, clause_of: dict[str, str], kinds: dict[str, str], zone: ZoneInfo | None) -> list[str]:
    """The JQL clauses for `query`: its window and the Filter comparisons JQL can evaluate.

    `clause_of` maps a column to its JQL clause name, `kinds` a column to `datetime`, `date` or
    `name` (an exact-match field); columns in neither are not pushed down."""
    found: list[str] = []
    if query.window_field and clause_of.get(query.window_field) and kinds.get(query.window_field) == "datetime":
        found += time_clauses(clause_of[query.window_field], query.window_start, query.window_end, zone)
    for condition in query.conditions:
        clause, kind = clause_of.get(condition.field), kinds.get(condition.field)
        if not clause or not kind:
            continue
        operator, values = condition.operator, condition.values
        if kind == "name" and len(values) == 1 and operator in ("EQUAL_TO", "NOT_EQUAL_TO"):
            found.append(f"{clause} {'=' if operator == 'EQUAL_TO' else '!='} {literal(values[0])}")
        elif kind == "datetime":
            bounds = [s for s in (_seconds(v) for v in values) if s is not None]
            if len(bounds) != len(values):
                continue
            lower, upper = _range(operator, bounds)
            found += time_clauses(clause, lower, upper, zone)
        elif kind == "date":
            days = [d for d in (_day(v) for v in values) if d is not None]
            if len(days) != len(values):
                continue
            low, high = _range(operator, days)
            found += [f"{clause} >= {literal(low)}"] if low is not None else []
            found += [f"{clause} <= {literal(high)}"] if high is not None else []
    return found


def _range(operator: str, bounds: Sequence[T]) -> tuple[T | None, T | None]:
    """(lower, upper) inclusive bounds a comparison implies (None: open); exact bounds are widened by
    the caller, so strict and inclusive comparisons give the same search."""
    if operator in ("GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO") and len(bounds) == 1:
        return bounds[0], None
    if operator in ("LESS_THAN", "LESS_THAN_OR_EQUAL_TO") and len(bounds) == 1:
        return None, bounds[0]
    if operator == "BETWEEN" and len(bounds) == 2:
        return bounds[0], bounds[1]
    if operator == "EQUAL_TO" and len(bounds) == 1:
        return bounds[0], bounds[0]
    return None, None


def jql(clauses: Iterable[str]) -> str:
    """The JQL of `clauses` joined with AND (bounded even when there are none)."""
    joined = " AND ".join(clauses)
    return joined or UNBOUNDED


