"""Schedule expressions: AppFlow's rate() forms and AWS six-field cron()."""

from __future__ import annotations

import pytest

from sluice.service import schedules


@pytest.mark.parametrize(
    ("expression", "seconds", "frequency"),
    [
        ("rate(5minutes)", 300, "BYMINUTE"),
        ("rate(5 minutes)", 300, "BYMINUTE"),
        ("rate(1 minute)", 60, "BYMINUTE"),
        ("rate(1 hour)", 3600, "HOURLY"),
        ("rate(2hours)", 7200, "HOURLY"),
        ("rate(1 day)", 86400, "DAILY"),
        ("rate(7 days)", 7 * 86400, "WEEKLY"),
        ("cron(0 12 * * ? *)", 86400, "DAILY"),
        ("cron(0/15 * ? * MON-FRI *)", 900, "BYMINUTE"),
        ("cron(0 8 ? * 2 *)", 7 * 86400, "WEEKLY"),
        ("cron(0 0 1 * ? *)", 28 * 86400, "MONTHLY"),
    ],
)
def test_valid_expressions(expression: str, seconds: int, frequency: str) -> None:
    schedule = schedules.parse(expression)
    assert schedule.interval_seconds == seconds
    assert schedule.frequency == frequency


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("rate(0 minutes)", "positive"),
        ("rate(5 weeks)", "rate("),
        ("cron(0 12 * * *)", "six fields"),
        ("cron(0 12 * * MON *)", "'?'"),
        ("cron(99 12 * * ? *)", "not a valid"),
        ("every day", "rate("),
    ],
)
def test_invalid_expressions_say_why(expression: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace("?", r"\?")):
        schedules.parse(expression)
