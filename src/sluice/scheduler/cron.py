"""AWS six-field cron: parse and walk wall-clock time (scheduler layer, no time zones).

`schedule.py` is the only caller: it turns these naive wall-clock times into UTC instants in the
schedule's time zone. Fields are EventBridge's: minutes hours day-of-month month day-of-week year,
with `?` in exactly one of the two day fields, days of the week 1-7 = SUN-SAT, and `L`, `W`, `LW`,
`nL` and `n#k` as documented at
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html#eb-cron-expressions

croniter is not used for evaluation: it numbers days of the week 0-6, has no year field in the AWS
position, no `W` next to `L`, and no notion of `?`. Walking the calendar here is about as long as
translating, and the tests use croniter as an independent oracle for the plain subset instead.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

MIN_YEAR, MAX_YEAR = 1970, 2199
_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_NTH = re.compile(r"^(\w+)#(\d+)$")
_LAST_DOW = re.compile(r"^(\w+)L$")
_NEAREST = re.compile(r"^(\d+)W$")


def aws_weekday(day: date) -> int:
    """AWS numbering of `day`'s weekday: 1 = Sunday ... 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] = field(default_factory=dict)

    def value(self, text: str) -> int:
        upper = text.upper()
        if upper in self.names:
            return self.names[upper]
        if not text.isdigit():
            raise ValueError(f"not a valid cron expression: {self.name} value {text!r} is not understood")
        number = int(text)
        if not self.low <= number <= self.high:
            raise ValueError(
                f"not a valid cron expression: {self.name} value {number} is outside {self.low}-{self.high}"
            )
        return number

    def values(self, text: str) -> frozenset[int]:
        """Expand `*`, `n`, `a-b`, `x/step` and comma lists into the set of values."""
        result: set[int] = set()
        for item in text.split(","):
            base, _, step_text = item.partition("/")
            if not base:
                raise ValueError(f"not a valid cron expression: {self.name} item {item!r} is empty")
            if base == "*":
                first, last = self.low, self.high
            elif "-" in base:
                a, _, b = base.partition("-")
                first, last = self.value(a), self.value(b)
                if first > last:
                    raise ValueError(f"not a valid cron expression: {self.name} range {base!r} runs backwards")
            else:
                first = self.value(base)
                # AWS reads `5/15` as "from 5, every 15" up to the field's maximum.
                last = self.high if step_text else first
            step = 1
            if step_text:
                if not step_text.isdigit() or int(step_text) < 1:
                    raise ValueError(f"not a valid cron expression: {self.name} step {step_text!r} must be >= 1")
                step = int(step_text)
            result.update(range(first, last + 1, step))
        return frozenset(result)


_MINUTES = _Field("minutes", 0, 59)
_HOURS = _Field("hours", 0, 23)
_DOM = _Field("day-of-month", 1, 31)
_MONTH = _Field("month", 1, 12, _MONTHS)
_DOW = _Field("day-of-week", 1, 7, _DAYS)
_YEAR = _Field("year", MIN_YEAR, MAX_YEAR)


@dataclass(frozen=True)
class CronExpression:
    """A parsed AWS cron expression. Day rules are kept as text-derived tuples so instances hash."""

    text: str
    minutes_of_day: tuple[int, ...]  # sorted hour * 60 + minute
    months: frozenset[int]
    years: tuple[int, ...]  # sorted
    # Exactly one of the two day rules is active; the other field was '?'.
    dom_rule: tuple[str, frozenset[int] | int] | None
    dow_rule: tuple[str, frozenset[int] | int | tuple[int, int]] | None

    @classmethod
    def parse(cls, body: str) -> CronExpression:
        """Parse the text inside `cron(...)`."""
        fields = body.split()
        if len(fields) != 6:
            raise ValueError("cron expressions have six fields: minutes hours day-of-month month day-of-week year")
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise ValueError("one of day-of-month or day-of-week must be '?', and only one")
        minutes = _MINUTES.values(minute)
        hours = _HOURS.values(hour)
        return cls(
            text=" ".join(fields),
            minutes_of_day=tuple(sorted(h * 60 + m for h in hours for m in minutes)),
            months=_MONTH.values(month),
            years=tuple(sorted(_YEAR.values(year))),
            dom_rule=None if dom == "?" else _dom_rule(dom),
            dow_rule=None if dow == "?" else _dow_rule(dow),
        )

    def days(self, year: int, month: int) -> tuple[int, ...]:
        """The days of `month` on which the expression fires (ignores the month and year fields)."""
        return _days(self.dom_rule, self.dow_rule, year, month)

    def matches(self, wall: datetime) -> bool:
        """Whether the naive wall-clock minute `wall` is one of the expression's firings."""
        return (
            wall.second == 0
            and wall.microsecond == 0
            and wall.hour * 60 + wall.minute in self.minutes_of_day
            and wall.month in self.months
            and wall.year in self.years
            and wall.day in self.days(wall.year, wall.month)
        )

    def next_at_or_after(self, wall: datetime) -> datetime | None:
        """The first naive wall-clock firing at or after `wall`; None if there is none by 2199."""
        if wall.second or wall.microsecond:
            wall = wall.replace(second=0, microsecond=0) + timedelta(minutes=1)
        first_minute = wall.hour * 60 + wall.minute
        for year in self.years[bisect_left(self.years, wall.year) :]:
            for month in sorted(self.months):
                if (year, month) < (wall.year, wall.month):
                    continue
                same_month = (year, month) == (wall.year, wall.month)
                for day in self.days(year, month):
                    if same_month and day < wall.day:
                        continue
                    times = self.minutes_of_day
                    if same_month and day == wall.day:
                        times = times[bisect_left(times, first_minute) :]
                    if times:
                        return datetime(year, month, day, times[0] // 60, times[0] % 60)
        return None


def _dom_rule(text: str) -> tuple[str, frozenset[int] | int]:
    upper = text.upper()
    if upper == "L":
        return ("last", 0)
    if upper == "LW":
        return ("last-weekday", 0)
    nearest = _NEAREST.match(upper)
    if nearest:
        return ("nearest-weekday", _DOM.value(nearest.group(1)))
    return ("days", _DOM.values(text))


def _dow_rule(text: str) -> tuple[str, frozenset[int] | int | tuple[int, int]]:
    upper = text.upper()
    if upper == "L":  # As in Quartz, a bare L is the last day of the week: Saturday.
        return ("weekdays", frozenset({7}))
    nth = _NTH.match(upper)
    if nth:
        weekday, n = _DOW.value(nth.group(1)), int(nth.group(2))
        if not 1 <= n <= 5:
            raise ValueError(f"not a valid cron expression: day-of-week {text!r}; the n in d#n is 1-5")
        return ("nth", (weekday, n))
    last = _LAST_DOW.match(upper)
    if last:
        return ("last-of", _DOW.value(last.group(1)))
    return ("weekdays", _DOW.values(text))


def _weekday_near(year: int, month: int, day: int) -> int:
    """EventBridge/Quartz `nW`: the weekday nearest `day` without leaving the month."""
    length = calendar.monthrange(year, month)[1]
    weekday = aws_weekday(date(year, month, day))
    if weekday == 7:  # Saturday: Friday before, unless that is last month.
        return day - 1 if day > 1 else day + 2
    if weekday == 1:  # Sunday: Monday after, unless that is next month.
        return day + 1 if day < length else day - 2
    return day


@lru_cache(maxsize=4096)
def _days(
    dom_rule: tuple[str, frozenset[int] | int] | None,
    dow_rule: tuple[str, frozenset[int] | int | tuple[int, int]] | None,
    year: int,
    month: int,
) -> tuple[int, ...]:
    length = calendar.monthrange(year, month)[1]
    if dom_rule is not None:
        kind, arg = dom_rule
        if kind == "last":
            return (length,)
        if kind == "last-weekday":
            return (_weekday_near(year, month, length),)
        if kind == "nearest-weekday":
            assert isinstance(arg, int)
            return (_weekday_near(year, month, arg),) if arg <= length else ()
        assert isinstance(arg, frozenset)
        return tuple(d for d in sorted(arg) if d <= length)
    assert dow_rule is not None
    kind, spec = dow_rule
    weekdays = [aws_weekday(date(year, month, d)) for d in range(1, length + 1)]
    if kind == "nth":
        assert isinstance(spec, tuple)
        wanted, n = spec
        hits = [d for d, w in enumerate(weekdays, 1) if w == wanted]
        return (hits[n - 1],) if n <= len(hits) else ()
    if kind == "last-of":
        return (max(d for d, w in enumerate(weekdays, 1) if w == spec),)
    assert isinstance(spec, frozenset)
    return tuple(d for d, w in enumerate(weekdays, 1) if w in spec)
