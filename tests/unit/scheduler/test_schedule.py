"""Schedule maths: parsing, firing times, time zones, offsets and data windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sluice.scheduler.schedule import (
    Rate,
    ScheduleSpec,
    data_window,
    fires_between,
    min_interval_seconds,
    next_fire,
    parse_expression,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def fires(expression: str, start: datetime, end: datetime, **spec: object) -> list[datetime]:
    return fires_between(ScheduleSpec(expression, **spec), start, end)  # type: ignore[arg-type]


# --- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(5minutes)", 300),
        ("rate(5 minutes)", 300),
        ("rate(1 minute)", 60),
        ("rate(1 hour)", 3600),
        ("rate(2hours)", 7200),
        ("RATE(3 Days)", 3 * 86400),
        (" rate(1minutes) ", 60),
    ],
)
def test_rate_expressions(expression: str, seconds: int) -> None:
    parsed = parse_expression(expression)
    assert isinstance(parsed, Rate)
    assert parsed.seconds == seconds
    assert min_interval_seconds(expression) == seconds


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("rate(0 minutes)", "positive"),
        ("rate(5 weeks)", r"rate\(<value>"),
        ("rate(-5 minutes)", r"rate\(<value>"),
        ("every day", r"rate\(<value>"),
        ("cron(0 12 * * *)", "six fields"),
        ("cron(0 12 * * ? * *)", "six fields"),
        ("cron(0 12 * * MON *)", r"one of day-of-month or day-of-week must be '\?'"),
        ("cron(0 12 * * * *)", r"must be '\?'"),
        ("cron(0 12 ? * ? *)", r"must be '\?'"),
        ("cron(60 12 * * ? *)", "minutes value 60 is outside 0-59"),
        ("cron(99 12 * * ? *)", "not a valid"),
        ("cron(0 24 * * ? *)", "hours value 24 is outside 0-23"),
        ("cron(0 0 32 * ? *)", "day-of-month value 32 is outside 1-31"),
        ("cron(0 0 0 * ? *)", "day-of-month value 0"),
        ("cron(0 0 1 13 ? *)", "month value 13"),
        ("cron(0 0 1 FOO ? *)", "month value 'FOO'"),
        ("cron(0 0 ? * 0 *)", "day-of-week value 0 is outside 1-7"),
        ("cron(0 0 ? * 8 *)", "day-of-week value 8"),
        ("cron(0 0 ? * 2#6 *)", "d#n is 1-5"),
        ("cron(0 0 ? * 9L *)", "day-of-week value 9"),
        ("cron(0 0 1 * ? 1969)", "year value 1969 is outside 1970-2199"),
        ("cron(0 0 1 * ? 2200)", "year value 2200"),
        ("cron(0 0 1 * ? 2030-2020)", "runs backwards"),
        ("cron(0/0 * * * ? *)", "step '0' must be >= 1"),
        ("cron(L * * * ? *)", "minutes value 'L'"),
        ("cron(0 0 32W * ? *)", "day-of-month value 32"),
        ("cron(0 0 1,,2 * ? *)", "empty"),
        ("cron(0 0 ? * 2W *)", "day-of-week value '2W'"),
    ],
)
def test_invalid_expressions_say_why(expression: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_expression(expression)


def test_an_expression_that_never_fires_has_no_interval() -> None:
    with pytest.raises(ValueError, match="never fires"):
        min_interval_seconds("cron(0 0 30 2 ? *)")


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("cron(0 10 * * ? *)", 86400),
        ("cron(0/15 * * * ? *)", 900),
        ("cron(0/5 8-17 ? * MON-FRI *)", 300),
        ("cron(0 18 ? * MON-FRI *)", 86400),
        ("cron(0 8 ? * 2 *)", 7 * 86400),
        ("cron(0 8 1 * ? *)", 28 * 86400),
        ("cron(0 0 L * ? *)", 28 * 86400),
        ("cron(0 0 ? * 6L *)", 28 * 86400),
        ("cron(0 23,1 * * ? *)", 2 * 3600),  # 23:00 -> 01:00 across midnight
        ("cron(0 0 29 2 ? *)", (4 * 365 + 1) * 86400),
        ("cron(0 0 1 1 ? 2030)", 365 * 86400),  # the year field is ignored: a lower bound
    ],
)
def test_min_interval_seconds(expression: str, seconds: int) -> None:
    assert min_interval_seconds(expression) == seconds


# --- AWS's documented cron examples --------------------------------------------------------------


def test_daily_at_ten() -> None:
    assert fires("cron(0 10 * * ? *)", utc(2026, 1, 1), utc(2026, 1, 3, 23)) == [
        utc(2026, 1, 1, 10),
        utc(2026, 1, 2, 10),
        utc(2026, 1, 3, 10),
    ]


def test_daily_at_quarter_past_noon() -> None:
    assert fires("cron(15 12 * * ? *)", utc(2026, 1, 1, 12, 15), utc(2026, 1, 3)) == [
        utc(2026, 1, 2, 12, 15)  # strictly after the start
    ]


def test_weekdays_at_six_pm() -> None:
    # Friday 2 January 2026 after 18:00 -> Monday the 5th.
    assert fires("cron(0 18 ? * MON-FRI *)", utc(2026, 1, 2, 19), utc(2026, 1, 7, 0)) == [
        utc(2026, 1, 5, 18),
        utc(2026, 1, 6, 18),
    ]


def test_first_of_the_month_at_eight() -> None:
    assert fires("cron(0 8 1 * ? *)", utc(2026, 1, 15), utc(2026, 4, 30)) == [
        utc(2026, 2, 1, 8),
        utc(2026, 3, 1, 8),
        utc(2026, 4, 1, 8),
    ]


def test_every_fifteen_minutes() -> None:
    assert fires("cron(0/15 * * * ? *)", utc(2026, 1, 1, 23, 20), utc(2026, 1, 2, 0, 30)) == [
        utc(2026, 1, 1, 23, 30),
        utc(2026, 1, 1, 23, 45),
        utc(2026, 1, 2, 0, 0),
        utc(2026, 1, 2, 0, 15),
        utc(2026, 1, 2, 0, 30),
    ]


def test_every_ten_minutes_on_weekdays() -> None:
    result = fires("cron(0/10 * ? * MON-FRI *)", utc(2026, 1, 2, 23, 40), utc(2026, 1, 5, 0, 20))
    assert result == [utc(2026, 1, 2, 23, 50), utc(2026, 1, 5, 0, 0), utc(2026, 1, 5, 0, 10), utc(2026, 1, 5, 0, 20)]


def test_every_five_minutes_in_office_hours() -> None:
    result = fires("cron(0/5 8-17 ? * MON-FRI *)", utc(2026, 1, 2, 17, 50), utc(2026, 1, 5, 8, 10))
    assert result == [utc(2026, 1, 2, 17, 55), utc(2026, 1, 5, 8, 0), utc(2026, 1, 5, 8, 5), utc(2026, 1, 5, 8, 10)]


def test_first_monday_of_the_month() -> None:
    assert fires("cron(0 9 ? * 2#1 *)", utc(2026, 1, 1), utc(2026, 5, 31)) == [
        utc(2026, 1, 5, 9),
        utc(2026, 2, 2, 9),
        utc(2026, 3, 2, 9),
        utc(2026, 4, 6, 9),
        utc(2026, 5, 4, 9),
    ]


def test_fifth_monday_skips_months_without_one() -> None:
    assert next_fire(ScheduleSpec("cron(0 0 ? * 2#5 *)"), utc(2026, 1, 1)) == utc(2026, 3, 30)


def test_last_day_of_the_month() -> None:
    assert fires("cron(0 0 L * ? *)", utc(2027, 12, 31, 1), utc(2028, 4, 30)) == [
        utc(2028, 1, 31),
        utc(2028, 2, 29),
        utc(2028, 3, 31),
        utc(2028, 4, 30),
    ]


def test_last_friday_of_the_month() -> None:
    assert fires("cron(0 0 ? * 6L *)", utc(2026, 1, 1), utc(2026, 3, 31)) == [
        utc(2026, 1, 30),
        utc(2026, 2, 27),
        utc(2026, 3, 27),
    ]


def test_nearest_weekday_to_the_fifteenth() -> None:
    assert fires("cron(0 0 15W * ? *)", utc(2026, 1, 1), utc(2026, 3, 31)) == [
        utc(2026, 1, 15),  # Thursday
        utc(2026, 2, 16),  # Sunday the 15th -> Monday
        utc(2026, 3, 16),  # Sunday the 15th -> Monday
    ]


def test_last_weekday_of_the_month() -> None:
    assert fires("cron(0 12 LW * ? *)", utc(2026, 1, 1), utc(2026, 3, 31, 23)) == [
        utc(2026, 1, 30, 12),
        utc(2026, 2, 27, 12),
        utc(2026, 3, 31, 12),
    ]


def test_year_ranges_bound_the_schedule() -> None:
    spec = ScheduleSpec("cron(0 0 1 1 ? 2027-2029)")
    assert fires_between(spec, utc(2020, 1, 1), utc(2199, 1, 1)) == [utc(2027, 1, 1), utc(2028, 1, 1), utc(2029, 1, 1)]
    assert next_fire(spec, utc(2029, 1, 1)) is None
    assert next_fire(ScheduleSpec("cron(0 12 * * ? 2030)"), utc(2026, 6, 1)) == utc(2030, 1, 1, 12)
    assert fires("cron(0 0 1 6 ? 2026,2030/2)", utc(2026, 1, 1), utc(2035, 1, 1)) == [
        utc(2026, 6, 1),
        utc(2030, 6, 1),
        utc(2032, 6, 1),
        utc(2034, 6, 1),
    ]


def test_never_firing_cron_has_no_next_fire() -> None:
    assert next_fire(ScheduleSpec("cron(0 0 30 2 ? *)"), utc(2026, 1, 1)) is None


# --- time zones and DST --------------------------------------------------------------------------

NEW_YORK = "America/New_York"


def test_cron_runs_on_the_zones_wall_clock() -> None:
    # 10:00 in New York is 15:00 UTC in winter (EST) and 14:00 UTC in summer (EDT).
    assert fires("cron(0 10 * * ? *)", utc(2026, 3, 7), utc(2026, 3, 9, 23), timezone=NEW_YORK) == [
        utc(2026, 3, 7, 15),
        utc(2026, 3, 8, 14),
        utc(2026, 3, 9, 14),
    ]


def test_day_boundaries_follow_the_zone() -> None:
    # Monday 00:30 in Tokyo is Sunday 15:30 UTC.
    assert next_fire(ScheduleSpec("cron(30 0 ? * MON *)", timezone="Asia/Tokyo"), utc(2026, 1, 1)) == utc(
        2026, 1, 4, 15, 30
    )


def test_spring_forward_moves_a_missing_time_to_the_end_of_the_gap() -> None:
    # 8 March 2026: New York clocks go from 02:00 EST to 03:00 EDT; 02:30 does not exist.
    assert fires("cron(30 2 * * ? *)", utc(2026, 3, 7), utc(2026, 3, 9, 23), timezone=NEW_YORK) == [
        utc(2026, 3, 7, 7, 30),  # 02:30 EST
        utc(2026, 3, 8, 7, 0),  # 03:00 EDT, the first instant after the gap
        utc(2026, 3, 9, 6, 30),  # 02:30 EDT
    ]


def test_spring_forward_collapses_firings_in_the_gap_into_one() -> None:
    result = fires("cron(0/20 2-3 * * ? *)", utc(2026, 3, 8, 6), utc(2026, 3, 8, 8), timezone=NEW_YORK)
    # 02:00, 02:20, 02:40 do not exist -> one firing at 03:00 EDT, which is also a firing itself.
    assert result == [utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 7, 20), utc(2026, 3, 8, 7, 40)]


def test_fall_back_fires_an_ambiguous_time_once() -> None:
    # 1 November 2026: 01:00-01:59 happens twice in New York (EDT, then EST).
    result = fires("cron(0/30 1 * * ? *)", utc(2026, 10, 31), utc(2026, 11, 2, 23), timezone=NEW_YORK)
    assert result == [
        utc(2026, 10, 31, 5, 0),
        utc(2026, 10, 31, 5, 30),
        utc(2026, 11, 1, 5, 0),  # 01:00 EDT; 01:00 EST (06:00 UTC) does not fire again
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 2, 6, 0),
        utc(2026, 11, 2, 6, 30),
    ]


def test_fall_back_does_not_repeat_the_hour() -> None:
    spec = ScheduleSpec("cron(0/15 * * * ? *)", timezone=NEW_YORK)
    # 06:10 UTC is 01:10 EST, the second 01:10. Every 01:xx wall time already fired in EDT, so the
    # next firing is 02:00 EST = 07:00 UTC: the repeated hour is quiet, by design.
    assert next_fire(spec, utc(2026, 11, 1, 6, 10)) == utc(2026, 11, 1, 7, 0)
    result = fires_between(spec, utc(2026, 11, 1, 4, 50), utc(2026, 11, 1, 7, 10))
    assert result == [utc(2026, 11, 1, 5, 0) + timedelta(minutes=15 * i) for i in range(4)] + [utc(2026, 11, 1, 7)]


def test_daily_cron_keeps_local_time_across_fall_back() -> None:
    assert fires("cron(0 9 * * ? *)", utc(2026, 10, 31), utc(2026, 11, 2, 23), timezone=NEW_YORK) == [
        utc(2026, 10, 31, 13),
        utc(2026, 11, 1, 14),
        utc(2026, 11, 2, 14),
    ]


def test_inputs_in_other_offsets_are_accepted_and_results_are_utc() -> None:
    eastern = datetime(2026, 1, 1, 5, tzinfo=UTC).astimezone(ZoneInfo(NEW_YORK))
    result = next_fire(ScheduleSpec("cron(0 10 * * ? *)"), eastern)
    assert result == utc(2026, 1, 1, 10)
    assert result is not None and result.tzinfo is UTC


# --- rate, start, end, offset --------------------------------------------------------------------


def test_rate_counts_from_the_start_not_the_wall_clock() -> None:
    spec = ScheduleSpec("rate(15minutes)", start=utc(2026, 1, 1, 9, 7, 30))
    assert fires_between(spec, utc(2026, 1, 1), utc(2026, 1, 1, 9, 40)) == [
        utc(2026, 1, 1, 9, 7, 30),  # the start itself is the first firing
        utc(2026, 1, 1, 9, 22, 30),
        utc(2026, 1, 1, 9, 37, 30),
    ]
    assert next_fire(spec, utc(2026, 1, 1, 9, 22, 30)) == utc(2026, 1, 1, 9, 37, 30)
    assert next_fire(spec, utc(2026, 1, 1, 9, 22, 29)) == utc(2026, 1, 1, 9, 22, 30)


def test_rate_of_a_day_ignores_dst() -> None:
    spec = ScheduleSpec("rate(1 day)", start=utc(2026, 3, 7, 15), timezone=NEW_YORK)
    assert fires_between(spec, utc(2026, 3, 7), utc(2026, 3, 9, 23)) == [
        utc(2026, 3, 7, 15),
        utc(2026, 3, 8, 15),
        utc(2026, 3, 9, 15),
    ]


def test_rate_needs_a_start() -> None:
    with pytest.raises(ValueError, match="start time"):
        next_fire(ScheduleSpec("rate(5minutes)"), utc(2026, 1, 1))


def test_cron_start_is_inclusive() -> None:
    spec = ScheduleSpec("cron(0 * * * ? *)", start=utc(2026, 1, 1, 10))
    assert next_fire(spec, utc(2026, 1, 1)) == utc(2026, 1, 1, 10)
    spec = ScheduleSpec("cron(0 * * * ? *)", start=utc(2026, 1, 1, 10, 0, 1))
    assert next_fire(spec, utc(2026, 1, 1)) == utc(2026, 1, 1, 11)


def test_end_is_exclusive() -> None:
    spec = ScheduleSpec("rate(1 hour)", start=utc(2026, 1, 1), end=utc(2026, 1, 1, 3))
    assert fires_between(spec, utc(2025, 1, 1), utc(2027, 1, 1)) == [
        utc(2026, 1, 1, 0),
        utc(2026, 1, 1, 1),
        utc(2026, 1, 1, 2),
    ]
    assert next_fire(spec, utc(2026, 1, 1, 2)) is None
    cron = ScheduleSpec("cron(0 10 * * ? *)", end=utc(2026, 1, 2, 10, 0, 1))
    assert next_fire(cron, utc(2026, 1, 2)) == utc(2026, 1, 2, 10)
    assert next_fire(cron, utc(2026, 1, 2, 10)) is None


def test_offset_delays_each_firing() -> None:
    spec = ScheduleSpec("cron(0 10 * * ? *)", offset_seconds=300)
    assert fires_between(spec, utc(2026, 1, 1), utc(2026, 1, 2, 23)) == [utc(2026, 1, 1, 10, 5), utc(2026, 1, 2, 10, 5)]
    # Between the nominal time and the delayed firing, that firing is still the next one.
    assert next_fire(spec, utc(2026, 1, 1, 10, 2)) == utc(2026, 1, 1, 10, 5)
    assert next_fire(spec, utc(2026, 1, 1, 10, 5)) == utc(2026, 1, 2, 10, 5)


def test_offset_applies_after_the_end_bound() -> None:
    spec = ScheduleSpec("rate(1 hour)", start=utc(2026, 1, 1), end=utc(2026, 1, 1, 1, 30), offset_seconds=3600)
    assert fires_between(spec, utc(2025, 12, 31), utc(2026, 1, 2)) == [utc(2026, 1, 1, 1), utc(2026, 1, 1, 2)]


def test_fires_between_respects_the_limit() -> None:
    spec = ScheduleSpec("cron(* * * * ? *)")
    assert len(fires_between(spec, utc(2026, 1, 1), utc(2026, 2, 1))) == 1000
    assert fires_between(spec, utc(2026, 1, 1), utc(2026, 2, 1), limit=3) == [
        utc(2026, 1, 1, 0, 1),
        utc(2026, 1, 1, 0, 2),
        utc(2026, 1, 1, 0, 3),
    ]
    assert fires_between(spec, utc(2026, 1, 1), utc(2026, 1, 1)) == []


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"offset_seconds": -1}, "scheduleOffset"),
        ({"offset_seconds": 36001}, "scheduleOffset"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"start": datetime(2026, 1, 1)}, "start must be a timezone-aware"),
        ({"start": utc(2026, 1, 2), "end": utc(2026, 1, 1)}, "end time must be after"),
    ],
)
def test_invalid_specs(kwargs: dict[str, object], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        ScheduleSpec("cron(0 10 * * ? *)", **kwargs)  # type: ignore[arg-type]


def test_invalid_expression_in_a_spec() -> None:
    with pytest.raises(ValueError, match="six fields"):
        ScheduleSpec("cron(0 10 * * ?)")


def test_naive_after_is_rejected() -> None:
    with pytest.raises(ValueError, match="after must be a timezone-aware"):
        next_fire(ScheduleSpec("cron(0 10 * * ? *)"), datetime(2026, 1, 1))


# --- incremental data windows --------------------------------------------------------------------


def test_data_window_prefers_the_watermark() -> None:
    assert data_window(utc(2026, 1, 1, 9), utc(2026, 1, 1, 10), utc(2025, 1, 1)) == (
        utc(2026, 1, 1, 9),
        utc(2026, 1, 1, 10),
    )


def test_first_window_starts_at_first_execution_from() -> None:
    assert data_window(None, utc(2026, 1, 1, 10), utc(2025, 6, 1)) == (utc(2025, 6, 1), utc(2026, 1, 1, 10))


def test_first_window_without_first_execution_from_reads_everything() -> None:
    assert data_window(None, utc(2026, 1, 1, 10), None) == (None, utc(2026, 1, 1, 10))


def test_data_window_cannot_run_backwards() -> None:
    with pytest.raises(ValueError, match="start after"):
        data_window(utc(2026, 1, 2), utc(2026, 1, 1), None)
