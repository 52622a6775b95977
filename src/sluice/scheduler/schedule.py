"""Schedule maths for schedule-triggered flows (scheduler layer; pure: no database, no threads).

`service/schedules.py` uses `parse_expression` and `min_interval_seconds` to validate flows; the
scheduler loop asks `next_fire` when a flow should run next and `data_window` which records an
incremental run reads. All instants in and out are timezone-aware; results are in UTC.

Decisions (AppFlow's ScheduledTriggerProperties leaves these open):

* `rate(N unit)` fires at `start`, `start + N`, `start + 2N`, ... — counted in elapsed time from
  the anchor (scheduleStartTime, or the activation time that the caller passes as `start`), not
  aligned to the wall clock, so `rate(1 day)` keeps its UTC time of day across DST changes.
* `cron(...)` is evaluated on the wall clock of `timezone` (an IANA name) and converted to UTC.
  A wall-clock time that does not exist (spring forward) fires at the first instant after the gap,
  and several such times collapse into one firing; an ambiguous time (fall back) fires once, at its
  first occurrence. AppFlow calls `timezone` a descriptive label; a scheduler needs a zone for cron.
* `start` and `end` bound the nominal schedule times as `start <= t < end` (start inclusive, end
  exclusive). `offset_seconds` (scheduleOffset, 0..36000) then delays every firing, so the last
  firing can happen after `end`.
* `fires_between(spec, a, b)` returns firings in `(a, b]`, matching `next_fire`'s "strictly after".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from sluice.scheduler.cron import CronExpression

MAX_OFFSET_SECONDS = 36000
# The longest rate period accepted: far beyond any useful schedule, and small enough that
# instant + period stays inside datetime's range (a rate of 10^12 days would overflow it).
MAX_RATE_DAYS = 36500
_RATE = re.compile(r"^rate\(\s*(\d+)\s*(minute|minutes|hour|hours|day|days)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Rate:
    """`rate(value unit)`: a fixed period in seconds."""

    text: str
    seconds: int


Expression = Rate | CronExpression


@dataclass(frozen=True)
class ScheduleSpec:
    """A flow's schedule, from its ScheduledTriggerProperties."""

    expression: str
    start: datetime | None = None
    end: datetime | None = None
    timezone: str = "UTC"
    offset_seconds: int = 0

    def __post_init__(self) -> None:
        parse_expression(self.expression)
        _zone(self.timezone)
        if not 0 <= self.offset_seconds <= MAX_OFFSET_SECONDS:
            raise ValueError(f"scheduleOffset must be between 0 and {MAX_OFFSET_SECONDS} seconds")
        for name, value in (("start", self.start), ("end", self.end)):
            if value is not None:
                _require_aware(value, name)
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("the schedule's end time must be after its start time")


@lru_cache(maxsize=1024)
def parse_expression(expr: str) -> Expression:
    """Parse `rate(...)` or `cron(...)`; raises ValueError with a reason when AWS would reject it."""
    text = expr.strip()
    # AppFlow documents rate(5minutes); EventBridge-style rate(5 minutes) is accepted too.
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2).lower().rstrip("s")
        if value < 1:
            raise ValueError("the rate value must be a positive integer")
        seconds = value * _UNIT_SECONDS[unit]
        if seconds > MAX_RATE_DAYS * 86400:
            raise ValueError(f"the rate period must be at most {MAX_RATE_DAYS} days")
        return Rate(text, seconds)
    cron = _CRON.match(text)
    if cron:
        return CronExpression.parse(cron.group(1))
    raise ValueError("use rate(<value> <minutes|hours|days>) or cron(<six fields>)")


def next_fire(spec: ScheduleSpec, after: datetime) -> datetime | None:
    """The first firing strictly after `after` (offset included), in UTC; None when none is left."""
    _require_aware(after, "after")
    expression = parse_expression(spec.expression)
    offset = timedelta(seconds=spec.offset_seconds)
    # A nominal time t fires at t + offset, so look for t > after - offset and t >= start.
    floor = after.astimezone(UTC) - offset
    if spec.start is not None:
        floor = max(floor, spec.start.astimezone(UTC) - _ONE_MICROSECOND)
    nominal: datetime | None
    if isinstance(expression, Rate):
        nominal = _next_rate(expression, spec.start, floor)
    else:
        nominal = _next_cron(expression, _zone(spec.timezone), floor)
    if nominal is None or (spec.end is not None and nominal >= spec.end):
        return None
    return nominal + offset


def fires_between(spec: ScheduleSpec, start: datetime, end: datetime, limit: int = 1000) -> list[datetime]:
    """Firings in `(start, end]`, in order, at most `limit` of them."""
    _require_aware(end, "end")
    fires: list[datetime] = []
    fire = next_fire(spec, start)
    while fire is not None and fire <= end and len(fires) < limit:
        fires.append(fire)
        fire = next_fire(spec, fire)
    return fires


def min_interval_seconds(expr: str | Expression) -> int:
    """The shortest time between two firings, to check against supportedSchedulingFrequencies.

    For cron this is exact over 2000-2055 in UTC, ignoring the year field (which only removes
    firings), so it is a lower bound: DST does not shorten a daily schedule to 23 hours here.
    """
    expression = parse_expression(expr) if isinstance(expr, str) else expr
    if isinstance(expression, Rate):
        return expression.seconds
    times = expression.minutes_of_day
    gaps = [b - a for a, b in pairwise(times)]
    dates = [
        date(year, month, day).toordinal()
        for year in range(2000, 2056)
        for month in sorted(expression.months)
        for day in expression.days(year, month)
    ]
    if not dates:
        raise ValueError("the cron expression never fires")
    gaps.extend((b - a) * 1440 - (times[-1] - times[0]) for a, b in pairwise(dates))
    if not gaps:  # One firing per day on one date in 56 years: treat it as yearly at most.
        gaps.append(366 * 1440)
    return min(gaps) * 60


def data_window(
    previous_end: datetime | None, fire_time: datetime, first_execution_from: datetime | None
) -> tuple[datetime | None, datetime]:
    """The `(lower, upper]` window an incremental run reads; `lower` None means everything.

    `lower` is the last successful run's watermark, else firstExecutionFrom, else None.
    """
    _require_aware(fire_time, "fire_time")
    lower = previous_end if previous_end is not None else first_execution_from
    if lower is not None:
        _require_aware(lower, "previous_end" if previous_end is not None else "first_execution_from")
        if lower > fire_time:
            raise ValueError("the data window would start after the firing time")
        lower = lower.astimezone(UTC)
    return lower, fire_time.astimezone(UTC)


def _next_rate(rate: Rate, anchor: datetime | None, floor: datetime) -> datetime | None:
    if anchor is None:
        raise ValueError("rate() schedules need a start time (scheduleStartTime or the activation time)")
    anchor = anchor.astimezone(UTC)
    period = timedelta(seconds=rate.seconds)
    if floor < anchor:
        return anchor
    try:
        return anchor + period * ((floor - anchor) // period + 1)
    except OverflowError:  # the next slot would fall after the year 9999: there is none
        return None


def _next_cron(cron: CronExpression, zone: ZoneInfo, floor: datetime) -> datetime | None:
    # Local wall time maps to UTC monotonically (gap times go to the gap's end, ambiguous times to
    # their first occurrence), so walk wall-clock candidates from floor's wall time until one
    # lands strictly after floor. Only the repeated hour after a fall-back needs more than one step.
    wall = floor.astimezone(zone).replace(tzinfo=None, fold=0)
    while True:
        candidate = cron.next_at_or_after(wall)
        if candidate is None:
            return None
        instant = _to_utc(candidate, zone)
        if instant > floor:
            return instant
        wall = candidate + timedelta(minutes=1)


def _to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists; fold=0 is the first occurrence of an ambiguous time
    # In a gap fold=0 reads the wall time with the old offset (later instant) and fold=1 with the
    # new one (earlier); the transition lies between. Bisect on seconds to find it.
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp())
    high = int(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) > wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError, OSError) as error:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {name!r}") from error


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


__all__ = [
    "Expression",
    "Rate",
    "ScheduleSpec",
    "data_window",
    "fires_between",
    "min_interval_seconds",
    "next_fire",
    "parse_expression",
]
