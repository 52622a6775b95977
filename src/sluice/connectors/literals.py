"""How a task property's text reads as a number or a datetime (connectors layer).

The engine applies Filter tasks with these readings (`engine/tasks/spec.py` imports them), and
connectors that push filters down to their system (Salesforce SOQL, custom connectors' filter
expressions) must read the same text the same way, or a pushed-down filter could keep different
records. One definition serves both.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

NUMBER_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
EPOCH_TEXT = re.compile(r"^-?\d{1,15}$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_number(text: str) -> Decimal | None:
    """The exact decimal written in `text` (no NaN, infinity or digit separators), else None."""
    text = text.strip()
    if not NUMBER_TEXT.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def parse_micros(text: str) -> int | None:
    """Microseconds since the epoch (UTC) for ISO-8601 text or integer epoch milliseconds, else None.

    A datetime without a zone is taken as UTC; a bare date is its midnight UTC.
    """
    text = text.strip()
    if EPOCH_TEXT.match(text):
        return int(text) * 1000
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
