"""The timeframe syntax of `from` / `to` (and `firstSeenTms.gte(...)`): epoch ms, ISO 8601, or `now-NU/A`.

Per the Environment API v2 parameter reference: a UTC millisecond timestamp; `2021-01-25T05:57:01.123+01:00`
(a space may replace `T`, seconds and fractions are optional, no zone means UTC); or a relative `now-NU/A` where
U is one of m h d w M y and the optional `/A` aligns down to the start of that unit.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$")
_RELATIVE = re.compile(r"^now(?:-(\d+)([mhdwMy]))?(?:/([mhdwMy]))?$")
_FIXED = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}


def parse_time(text: str, now_ms: int) -> int:
    """`text` as UTC epoch milliseconds; ValueError when it fits none of the documented formats."""
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    iso = _ISO.match(text)
    if iso:
        return _iso_ms(iso)
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit, align = relative.groups()
        moment = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC)
        if amount:
            moment = _minus(moment, int(amount), unit)
        if align:
            moment = _align(moment, align)
        return int(moment.timestamp() * 1000)
    raise ValueError(f"'{text}' is not a timestamp, an ISO 8601 time or a relative timeframe like now-2h")


def _iso_ms(m: re.Match[str]) -> int:
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    moment = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                         int((fraction or "0").ljust(6, "0")[:6]), tzinfo=dt.UTC)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        moment -= sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return int(moment.timestamp() * 1000)


def _minus(moment: dt.datetime, amount: int, unit: str) -> dt.datetime:
    if unit in _FIXED:
        return moment - dt.timedelta(milliseconds=amount * _FIXED[unit])
    months = amount * (12 if unit == "y" else 1)
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _align(moment: dt.datetime, unit: str) -> dt.datetime:
    moment = moment.replace(second=0, microsecond=0)
    if unit == "m":
        return moment
    moment = moment.replace(minute=0)
    if unit == "h":
        return moment
    moment = moment.replace(hour=0)
    if unit == "d":
        return moment
    if unit == "w":
        return moment - dt.timedelta(days=moment.weekday())
    moment = moment.replace(day=1)
    return moment if unit == "M" else moment.replace(month=1)


def parse_duration_ms(text: str) -> int | None:
    """A resolution like `5m` / `1h` / `2d` as milliseconds; None when `text` has no unit."""
    m = re.fullmatch(r"(\d+)([mhdwMy])", text)
    if not m:
        return None
    amount, unit = int(m.group(1)), m.group(2)
    return amount * {"M": 30 * 86_400_000, "y": 365 * 86_400_000}.get(unit, _FIXED.get(unit, 0))
