"""Plain-text rendering shared by `sluice flows|runs` (CLI layer): tables, instants, sizes, durations.

Output is plain columns (no colour, no wrapping) so it pipes into grep and reads the same in a log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], indent: str = "") -> str:
    """Left-aligned columns, two spaces apart; the last column is not padded."""
    cells = [[str(c) for c in headers], *([("-" if c is None or c == "" else str(c)) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        text = "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False))
        lines.append((indent + text + ("  " if len(row) > 1 else "") + row[-1]).rstrip())
    return "\n".join(lines)


def epoch(value: Any) -> float | None:
    """Seconds since the epoch from a datetime (boto3) or a number (the /sluice/v1 JSON)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def when(value: Any) -> str:
    """An instant as `YYYY-MM-DD HH:MM:SS UTC` ('-' when absent)."""
    seconds = epoch(value)
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def size(count: Any) -> str:
    """Bytes, in the largest unit that keeps the number at or above 1."""
    value = float(count or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def duration(seconds: float | None) -> str:
    """`1h02m`, `3m05s`, `4.2s` ('-' when unknown)."""
    if seconds is None or seconds < 0:
        return "-"
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def short(text: Any, limit: int = 60) -> str:
    """One line of at most `limit` characters."""
    line = " ".join(str(text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
