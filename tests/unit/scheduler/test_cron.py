"""AWS cron parsing and wall-clock walking (sluice.scheduler.cron)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sluice.scheduler.cron import CronExpression, aws_weekday


def days(body: str, year: int, month: int) -> tuple[int, ...]:
    return CronExpression.parse(body).days(year, month)


def test_aws_weekday_numbers_sunday_one_to_saturday_seven() -> None:
    assert aws_weekday(date(2026, 3, 1)) == 1  # Sunday
    assert aws_weekday(date(2026, 3, 2)) == 2  # Monday
    assert aws_weekday(date(2026, 3, 7)) == 7  # Saturday


@pytest.mark.parametrize(
    ("body", "year", "month", "expected"),
    [
        ("0 0 L * ? *", 2026, 2, (28,)),
        ("0 0 L * ? *", 2028, 2, (29,)),
        ("0 0 L * ? *", 2026, 4, (30,)),
        ("0 0 15W * ? *", 2026, 1, (15,)),  # Thursday
        ("0 0 15W * ? *", 2026, 2, (16,)),  # Sunday -> Monday
        ("0 0 15W * ? *", 2026, 8, (14,)),  # Saturday -> Friday
        ("0 0 1W * ? *", 2026, 8, (3,)),  # Saturday the 1st -> Monday the 3rd, not July
        ("0 0 1W * ? *", 2026, 11, (2,)),  # Sunday -> Monday
        ("0 0 31W * ? *", 2026, 5, (29,)),  # Sunday the 31st -> Friday, not June
        ("0 0 31W * ? *", 2026, 1, (30,)),  # Saturday -> Friday
        ("0 0 31W * ? *", 2026, 2, ()),  # no 31st
        ("0 0 LW * ? *", 2026, 1, (30,)),
        ("0 0 LW * ? *", 2026, 5, (29,)),
        ("0 0 LW * ? *", 2026, 3, (31,)),
        ("0 0 ? * 6L *", 2026, 1, (30,)),  # last Friday
        ("0 0 ? * FRIL *", 2026, 2, (27,)),
        ("0 0 ? * L *", 2026, 2, (7, 14, 21, 28)),  # bare L: Saturday
        ("0 0 ? * 2#1 *", 2026, 1, (5,)),
        ("0 0 ? * 3#2 *", 2026, 1, (13,)),
        ("0 0 ? * TUE#2 *", 2026, 2, (10,)),
        ("0 0 ? * 2#5 *", 2026, 1, ()),
        ("0 0 ? * 2#5 *", 2026, 3, (30,)),
        ("0 0 ? * 1 *", 2026, 3, (1, 8, 15, 22, 29)),  # Sundays
        ("0 0 ? * SAT,SUN *", 2026, 2, (1, 7, 8, 14, 15, 21, 22, 28)),
        ("0 0 ? * MON-FRI *", 2026, 2, (2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 23, 24, 25, 26, 27)),
        ("0 0 1-7/3 * ? *", 2026, 2, (1, 4, 7)),
        ("0 0 30,31 * ? *", 2026, 2, ()),
        ("0 0 29 * ? *", 2028, 2, (29,)),
    ],
)
def test_day_rules(body: str, year: int, month: int, expected: tuple[int, ...]) -> None:
    assert days(body, year, month) == expected


def test_fields_expand_lists_ranges_steps_and_names() -> None:
    cron = CronExpression.parse("0/20 8-10,22 ? jan-MAR,DEC MON 2027-2031/2")
    assert cron.minutes_of_day == tuple(h * 60 + m for h in (8, 9, 10, 22) for m in (0, 20, 40))
    assert cron.months == frozenset({1, 2, 3, 12})
    assert cron.years == (2027, 2029, 2031)


def test_next_at_or_after_is_inclusive_and_rounds_seconds_up() -> None:
    cron = CronExpression.parse("0 10 * * ? *")
    assert cron.next_at_or_after(datetime(2026, 1, 1, 10, 0)) == datetime(2026, 1, 1, 10, 0)
    assert cron.next_at_or_after(datetime(2026, 1, 1, 10, 0, 1)) == datetime(2026, 1, 2, 10, 0)
    assert cron.next_at_or_after(datetime(2026, 12, 31, 23, 0)) == datetime(2027, 1, 1, 10, 0)


def test_next_at_or_after_gives_up_after_the_year_field() -> None:
    assert CronExpression.parse("0 0 1 1 ? 2027").next_at_or_after(datetime(2027, 1, 2)) is None
    assert CronExpression.parse("0 0 30 2 ? *").next_at_or_after(datetime(2026, 1, 1)) is None
    assert CronExpression.parse("0 0 1 1 ? *").next_at_or_after(datetime(2199, 1, 2)) is None


def test_matches() -> None:
    cron = CronExpression.parse("0/15 8-17 ? * MON-FRI *")
    assert cron.matches(datetime(2026, 1, 5, 8, 45))
    assert not cron.matches(datetime(2026, 1, 5, 8, 46))
    assert not cron.matches(datetime(2026, 1, 4, 8, 45))  # Sunday
    assert not cron.matches(datetime(2026, 1, 5, 18, 0))
    assert not cron.matches(datetime(2026, 1, 5, 8, 45, 30))
