"""Schedule expressions: `rate(...)` and AWS six-field `cron(...)` (service layer).

Only what flow validation needs lives here: parse, reject what AWS would reject, and classify
how often an expression fires so it can be checked against a connector's
`supportedSchedulingFrequencies`. Parsing and firing times belong to `sluice.scheduler.schedule`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sluice.scheduler.schedule import Rate, min_interval_seconds, parse_expression


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


def parse(expression: str) -> Schedule:
    """Parse a schedule expression; raises ValueError with a reason when AWS would reject it."""
    parsed = parse_expression(expression)
    kind = "rate" if isinstance(parsed, Rate) else "cron"
    return Schedule(kind, min_interval_seconds(parsed), expression.strip())
