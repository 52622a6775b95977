"""Datadog's time arguments: ISO-8601 strings, epoch numbers and `now-15m` date math (fake side).

The Logs and Events search APIs take `from`/`to` as an ISO-8601 date, a Unix timestamp in milliseconds, or
date math relative to now (`now`, `now-15m`, `now-2h`, `now-1d`, `now-1w`); see
https://docs.datadoghq.com/logs/guide/access-your-log-data-programmatically/ and
https://docs.datadoghq.com/api/latest/logs/#search-logs. The v1 endpoints (events, metrics query) take
POSIX seconds instead (https://docs.datadoghq.com/api/latest/events/#get-a-list-of-events).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from .errors import DatadogError

_MATH = re.compile(r"^now(?:\s*([+-])\s*(\d+)\s*([smhdw]))?$")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


class TimeFormatError(ValueError):
    """A time argument the API cannot read (answered as 400)."""


def parse_time_ms(value: str, now_ms: int) -> int:
    """Milliseconds since the epoch for a search API time argument."""
    text = value.strip()
    match = _MATH.match(text)
    if match:
        sign, amount, unit = match.groups()
        if sign is None:
            return now_ms
        delta = int(amount) * _UNIT_MS[unit]
        return now_ms - delta if sign == "-" else now_ms + delta
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TimeFormatError(f"invalid date format: {value}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return int(parsed.timestamp() * 1000)


def parse_posix_seconds(name: str, value: str | None) -> int:
    """A required POSIX-seconds query parameter of the v1 API."""
    if value is None or value == "":
        raise TimeFormatError(f"Missing required parameter: {name}")
    try:
        return int(float(value))
    except ValueError:
        raise TimeFormatError(f"Invalid value for parameter {name}: {value}") from None


def posix_seconds_params(params: Mapping[str, str], *names: str) -> tuple[int, ...]:
    """Required POSIX-seconds query parameters of the v1 API, in order; a missing or unreadable one is a 400."""
    try:
        return tuple(parse_posix_seconds(name, params.get(name)) for name in names)
    except TimeFormatError as exc:
        raise DatadogError(400, str(exc)) from None


def iso_ms(ms: int) -> str:
    """`2026-01-05T10:00:00.123Z`: how Datadog writes timestamps in v2 answers."""
    stamp = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
