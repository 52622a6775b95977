"""Time ranges of a Marketo read (connectors layer, Marketo): bounds, Marketo's datetime text, 31-day spans.

Marketo takes whole-second ISO-8601 datetimes (`2024-01-31T00:00:00Z`). Bulk extract filters accept at most
31 days, inclusive at both ends, so a longer range is cut into spans that end one second before the next
begins: a record lands in exactly one span.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

MAX_SPAN = dt.timedelta(days=31)
# No Marketo subscription holds data from before Marketo existed (founded 2006): the lower bound of a
# range nothing else bounds.
EARLIEST = dt.datetime(2006, 1, 1, tzinfo=dt.UTC)


def text(moment: dt.datetime) -> str:
    """Marketo's datetime text."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_second(seconds: float) -> dt.datetime:
    """Epoch seconds as a datetime, rounded down to the second."""
    return dt.datetime.fromtimestamp(math.floor(seconds), dt.UTC)


def ceil_second(seconds: float) -> dt.datetime:
    """Epoch seconds as a datetime, rounded up to the second."""
    return dt.datetime.fromtimestamp(math.ceil(seconds), dt.UTC)


def parse(value: str) -> dt.datetime | None:
    """A Marketo datetime (`Z`, `+0000`, `Z+0000`), or None."""
    cleaned = value.strip()
    if cleaned.endswith("Z+0000"):
        cleaned = cleaned[:-5]
    cleaned = cleaned.replace("Z", "+00:00")
    if len(cleaned) > 5 and cleaned[-5] in "+-" and cleaned[-3] != ":":
        cleaned = f"{cleaned[:-2]}:{cleaned[-2:]}"
    try:
        parsed = dt.datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def spans(low: dt.datetime, high: dt.datetime, width: dt.timedelta = MAX_SPAN) -> Iterator[tuple[dt.datetime,
                                                                                                  dt.datetime]]:
    """[start, end] spans of at most `width` covering [low, high]; each ends a second before the next."""
    start = low
    while start <= high:
        end = min(start + width, high)
        yield start, end
        start = end + dt.timedelta(seconds=1)
