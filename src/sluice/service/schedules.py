"""Schedule expressions: `rate(...)` and AWS six-field `cron(...)` (service layer).

Only what flow validation needs lives here: parse, reject what AWS would reject, and classify
how often an expression fires so it can be checked against a connector's
`supportedSchedulingFrequencies`. Firing times are the scheduler's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from croniter import croniter

_RATE = re.compile(r"^rate\(\s*(\d+)\s*(minute|minutes|hour|hours|day|days)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed schedule: its kind and the shortest interval between two firings."""

    kind: str
    interval_seconds: int
    expression: str

    @property
    def frequency(self) -> str:
        """The AppFlow `ScheduleFrequencyType` this schedule needs."""
        if self.interval_seconds < 3600:
            return "BYMINUTE"
        if self.interval_seconds < 86400:
            return "HOURLY"
        if self.interval_seconds < 7 * 86400:
            return "DAILY"
        if self.interval_seconds < 28 * 86400:
            return "WEEKLY"
        return "MONTHLY"


def _cron_interval(fields: list[str]) -> int:
    minute, hour, dom, month, dow, _year = fields
    if "?" not in (dom, dow):
        raise ValueError("one of day-of-month or day-of-week must be '?'")
    # croniter speaks five-field Unix cron; AWS's '?' means "no constraint" there, and AWS numbers
    # days of the week 1-7 from Sunday where Unix uses 0-6.
    dom5 = "*" if dom == "?" else dom
    dow5 = "*" if dow == "?" else re.sub(r"\d", lambda m: str((int(m.group()) - 1) % 7), dow)
    expr = " ".join([minute, hour, dom5, month, dow5])
    if not croniter.is_valid(expr):
        raise ValueError("not a valid cron expression")
    it = croniter(expr, 0)
    times = [it.get_next(float) for _ in range(6)]
    return int(min(b - a for a, b in pairwise(times)))


def parse(expression: str) -> Schedule:
    """Parse a schedule expression; raises ValueError with a reason when AWS would reject it."""
    text = expression.strip()
    # AppFlow documents rate(5minutes); EventBridge-style rate(5 minutes) is accepted too.
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2).lower().rstrip("s")
        if value < 1:
            raise ValueError("the rate value must be a positive integer")
        return Schedule("rate", value * _UNIT_SECONDS[unit], text)
    cron = _CRON.match(text)
    if cron:
        fields = cron.group(1).split()
        if len(fields) != 6:
            raise ValueError("cron expressions have six fields: minutes hours day-of-month month day-of-week year")
        return Schedule("cron", _cron_interval(fields), text)
    raise ValueError("use rate(<value> <minutes|hours|days>) or cron(<six fields>)")
