"""Property tests for schedule maths: ordering, matching, completeness, and croniter as an oracle."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from sluice.scheduler.cron import CronExpression
from sluice.scheduler.schedule import ScheduleSpec, fires_between, next_fire, parse_expression

ZONES = ["UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe"]
# Instants near DST changes (New York, London, Lord Howe's half-hour shift) and some ordinary ones.
NEAR = [
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 4, 4, 15, tzinfo=UTC),
    datetime(2026, 10, 3, 16, tzinfo=UTC),
    datetime(2027, 2, 27, 12, tzinfo=UTC),
    datetime(2028, 2, 28, 23, tzinfo=UTC),
]


def _simple(low: int, high: int) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    return st.one_of(
        st.just("*"),
        value.map(str),
        st.tuples(value, value).map(lambda ab: f"{min(ab)}-{max(ab)}"),
        st.tuples(value, st.integers(1, high)).map(lambda vs: f"{vs[0]}/{vs[1]}"),
        st.integers(1, high).map(lambda s: f"*/{s}"),
        st.lists(value, min_size=1, max_size=4).map(lambda vs: ",".join(map(str, vs))),
    )


_DOM_SPECIAL = st.one_of(st.just("L"), st.just("LW"), st.integers(1, 31).map(lambda d: f"{d}W"))
_DOW_SPECIAL = st.one_of(
    st.just("L"),
    st.integers(1, 7).map(lambda d: f"{d}L"),
    st.tuples(st.integers(1, 7), st.integers(1, 5)).map(lambda dn: f"{dn[0]}#{dn[1]}"),
    st.sampled_from(["MON-FRI", "SAT,SUN", "TUE", "fri"]),
)


@st.composite
def plain_cron(draw: st.DrawFn) -> str:
    """Numbers, ranges, lists and steps only: the subset croniter understands the same way."""
    minute, hour, month = draw(_simple(0, 59)), draw(_simple(0, 23)), draw(_simple(1, 12))
    if draw(st.booleans()):
        return f"cron({minute} {hour} {draw(_simple(1, 28))} {month} ? *)"
    return f"cron({minute} {hour} ? {month} {draw(_simple(1, 7))} *)"


@st.composite
def any_cron(draw: st.DrawFn) -> str:
    minute, hour, month = draw(_simple(0, 59)), draw(_simple(0, 23)), draw(_simple(1, 12))
    year = draw(st.sampled_from(["*", "*", "2026-2028", "2026,2028/2", "2027"]))
    if draw(st.booleans()):
        dom = draw(st.one_of(_simple(1, 31), _DOM_SPECIAL))
        return f"cron({minute} {hour} {dom} {month} ? {year})"
    dow = draw(st.one_of(_simple(1, 7), _DOW_SPECIAL))
    return f"cron({minute} {hour} ? {month} {dow} {year})"


instants = st.one_of(
    st.tuples(st.sampled_from(NEAR), st.integers(-36 * 3600, 12 * 3600)).map(
        lambda base: base[0] + timedelta(seconds=base[1])
    ),
    st.datetimes(datetime(2025, 1, 1), datetime(2029, 12, 31)).map(lambda d: d.replace(tzinfo=UTC)),
)


def _expected(cron: CronExpression, zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """Brute force over every UTC minute, from the documented DST rules."""
    result = []
    minute = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while minute <= end:
        local = minute.astimezone(zone)
        wall = local.replace(tzinfo=None, fold=0)
        fires = cron.matches(wall) and local.fold == 0  # an ambiguous wall time fires on its first pass
        before = (minute - timedelta(minutes=1)).astimezone(zone).replace(tzinfo=None)
        if not fires and wall - before > timedelta(minutes=1):  # minute is the end of a spring-forward gap
            skipped = before + timedelta(minutes=1)
            while skipped < wall and not fires:
                fires = cron.matches(skipped)
                skipped += timedelta(minutes=1)
        if fires and minute > start:
            result.append(minute)
        minute += timedelta(minutes=1)
    return result


@settings(max_examples=150, deadline=None)
@given(any_cron(), st.sampled_from(ZONES), instants)
def test_fires_match_a_brute_force_walk_of_every_minute(expression: str, zone: str, after: datetime) -> None:
    spec = ScheduleSpec(expression, timezone=zone)
    end = after + timedelta(hours=30)
    fires = fires_between(spec, after, end, limit=5000)
    cron = parse_expression(expression)
    assert isinstance(cron, CronExpression)
    assert fires == _expected(cron, ZoneInfo(zone), after, end)


@settings(max_examples=200, deadline=None)
@given(any_cron(), st.sampled_from(ZONES), instants, st.integers(0, 36000))
def test_fires_are_increasing_match_and_agree_with_next_fire(
    expression: str, zone: str, after: datetime, offset: int
) -> None:
    spec = ScheduleSpec(expression, timezone=zone, offset_seconds=offset)
    end = after + timedelta(days=400)
    fires = fires_between(spec, after, end, limit=50)
    assert all(a < b for a, b in pairwise(fires))
    assert all(f > after and f <= end and f.tzinfo is UTC for f in fires)
    cron = parse_expression(expression)
    assert isinstance(cron, CronExpression)
    tz = ZoneInfo(zone)
    for fire in fires:
        nominal = fire - timedelta(seconds=offset)
        wall = nominal.astimezone(tz).replace(tzinfo=None)
        just_before = (nominal - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None)
        assert cron.matches(wall) or wall - just_before > timedelta(seconds=1)  # or a DST gap's end
    following = next_fire(spec, after)
    if fires:
        assert following == fires[0]
    else:
        assert following is None or following > end


@settings(max_examples=200, deadline=None)
@given(plain_cron(), instants)
def test_plain_cron_agrees_with_croniter_in_utc(expression: str, after: datetime) -> None:
    minute, hour, dom, month, dow, _year = expression[5:-1].split()
    # croniter speaks Unix cron: no '?', and days of the week 0-6 from Sunday.
    unix_dow = "*" if dow == "?" else _unix_dow(dow)
    unix_text = " ".join([minute, hour, "*" if dom == "?" else dom, month, unix_dow])
    # croniter 7.0.0 reads a one-value range such as 5-5 as '*'; AWS, Quartz and Unix cron as 5.
    unix = croniter(re.sub(r"\b(\d+)-\1\b", r"\1", unix_text), after)
    expected = [unix.get_next(datetime).astimezone(UTC) for _ in range(10)]
    spec = ScheduleSpec(expression)
    assert fires_between(spec, after, expected[-1]) == expected


def _unix_dow(field: str) -> str:
    items = []
    for item in field.split(","):
        base, slash, step = item.partition("/")
        if base == "*":
            items.append(item)  # */n counts from Sunday in both numberings
            continue
        first, dash, last = base.partition("-")
        if slash and not dash:
            dash, last = "-", "7"  # AWS 'n/s' runs to the end of the week
        shifted = str(int(first) - 1) + (f"-{int(last) - 1}" if dash else "")
        items.append(shifted + (f"/{step}" if slash else ""))
    return ",".join(items)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 500),
    st.sampled_from(["minutes", "hours", "days"]),
    instants,
    st.integers(-(10**6), 10**6),
    st.integers(0, 36000),
)
def test_rate_fires_every_period_from_the_start(
    value: int, unit: str, start: datetime, shift: int, offset: int
) -> None:
    spec = ScheduleSpec(f"rate({value} {unit})", start=start, offset_seconds=offset)
    after = start + timedelta(seconds=shift)
    fires = fires_between(spec, after, after + timedelta(days=60), limit=20)
    period = timedelta(seconds=value * {"minutes": 60, "hours": 3600, "days": 86400}[unit])
    for fire in fires:
        assert (fire - timedelta(seconds=offset) - start) % period == timedelta(0)
        assert fire - timedelta(seconds=offset) >= start
    assert all(b - a == period for a, b in pairwise(fires))
    first = next_fire(spec, after)
    assert first is not None and (not fires or first == fires[0])
    assert first and first > after and first - period <= max(after, start + timedelta(seconds=offset))
