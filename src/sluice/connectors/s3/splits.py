"""Splitting an S3 source into independently readable parts (connectors layer).

`S3Source.splits()` plans with these helpers, in the order a serial read meets the rows: a small
object is one split; a CSV or JSON-lines object is cut into byte ranges of about `SPLIT_BYTES`
(`plan_ranges`); a Parquet object into groups of row groups (`plan_row_groups`). The engine
(`engine/parallel.py`) reads splits on several threads; every row is read exactly once, so a
run's output holds the rows of a serial read (row order: docs/engine.md).

Byte ranges start at a row start. JSON lines: a raw newline always ends a record (JSON escapes
newlines inside strings), so a range starts after the first newline at or after its nominal
offset. CSV: a quoted value may hold newlines, so the first newline after an offset may be inside
a value. Sluice does not pre-scan the object for quote parity (that is a second pass over every
byte, ~15 % of a run's CPU); it guesses and verifies, as DuckDB's parallel CSV reader does:

1. The planner reads a few KiB at each nominal offset and takes as the range's start the first
   newline after it from which the next few rows have the header's number of fields
   (`likely_row_start`; the first newline when none does). Every range but the last therefore
   ends with a newline. On the yardstick, whose text values hold more newlines than its rows do,
   the first newline alone was inside a quoted value at about half of the boundaries; the
   field-count guess was right at all of them.
2. A range is parsed with a *sentinel* row appended: the byte `\x01` in every column. If the
   range ended outside quotes, the sentinel parses as a row of its own whose last column is
   exactly `\x01`, and is dropped. If the range ended inside a quoted value (the guessed boundary
   was wrong), the open quote swallows the sentinel: either the row comes out short and the parse
   fails, or the open value is in the last column and holds the sentinel's commas and newlines,
   so it is not `\x01`. Reading the last column alone therefore decides it exactly (it is always
   read, even when the tasks do not need it), and a parse error in a range that is not the
   object's last is treated like a wrong end: the range extends, and a real error shows up again.
3. A range whose end proves wrong extends to the next boundary and is parsed again; the range that
   started at the wrong boundary yields nothing (`Verdicts` tells it, keyed by byte offset). The
   first range starts right after the header, which is right by construction, so by induction
   every range that yields rows starts at a row start, and the rows are exactly the serial parse's.

The header is read once per object and handed to every range (`ReadOptions.column_names`).
A row larger than the split size just makes the ranges it covers empty.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sluice.connectors.s3.storage import ObjectInfo, Storage

# A range's nominal size. Each thread parses a whole range before its rows move on (the check in
# step 2 needs the range's end), so memory is about this much text and its columns per thread.
SPLIT_BYTES = 8 * 1024 * 1024
# Bytes read at a nominal offset to find the next newline (more are read if none is there).
PROBE_BYTES = 16 * 1024
SENTINEL_MARK = "\x01"


@dataclass(frozen=True, slots=True)
class S3Split:
    """One part of one object: a byte range (`start`, `end`), its row groups, or the whole object.

    `first` is the object's first split (it reports the file and counts its header's bytes);
    `bounds` are every range start of the object and its size; `verdicts` is shared by the byte
    ranges of one CSV object (see `Verdicts`).
    """

    item: ObjectInfo
    kind: str  # "csv", "json", "parquet" or "object" (read whole)
    start: int = 0
    end: int = 0
    row_groups: tuple[int, ...] = ()
    first: bool = True
    header_end: int = 0
    bounds: tuple[int, ...] = ()
    verdicts: Verdicts | None = None

    @property
    def size(self) -> int:
        """Bytes this split covers (what `ReadStats.bytes_read` counts for it)."""
        if self.kind in {"csv", "json"}:
            return self.end - self.start + (self.header_end if self.first else 0)
        return self.item.size if self.first else 0


class Verdicts:
    """Which guessed CSV range starts proved to be row starts, keyed by byte offset.

    The range before a start decides it once it has parsed itself; the range at that start waits
    for the decision before it yields a row. The earlier range is always scheduled first (the
    engine submits splits in order), so the wait always ends.
    """

    def __init__(self, header_end: int) -> None:
        self._decided: dict[int, bool] = {header_end: True}
        self._changed = threading.Condition()
        self._failed = False

    def decide(self, offset: int, is_row_start: bool) -> None:
        """Record whether `offset` is a row start."""
        with self._changed:
            self._decided.setdefault(offset, is_row_start)
            self._changed.notify_all()

    def fail(self) -> None:
        """A range of the object failed: nobody waits any longer (the run is failing)."""
        with self._changed:
            self._failed = True
            self._changed.notify_all()

    def wait(self, offset: int, should_stop: Any = None) -> bool | None:
        """Whether `offset` is a row start, once known; None when `should_stop()` turned true or
        a range failed first."""
        with self._changed:
            while offset not in self._decided:
                if self._failed or (should_stop is not None and should_stop()):
                    return None
                self._changed.wait(timeout=0.1)
            return self._decided[offset]


def header_end(head: bytes) -> int:
    """The offset just past the CSV header row in `head` (quotes respected; `len(head)` if it never ends)."""
    quoted = False
    for index, byte in enumerate(head):
        if byte == 0x22:  # '"' toggles; a doubled quote toggles twice
            quoted = not quoted
        elif not quoted and byte in (0x0A, 0x0D):
            if byte == 0x0D and index + 1 < len(head) and head[index + 1] == 0x0A:
                return index + 2
            return index + 1
    return len(head)


def next_line_start(storage: Storage, bucket: str, key: str, offset: int, size: int) -> int:
    """The offset just past the first newline at or after `offset` (`size` when there is none)."""
    position = offset
    while position < size:
        chunk = storage.read_range(bucket, key, position, min(PROBE_BYTES, size - position))
        if not chunk:
            break
        found = bytes(chunk).find(b"\n")
        if found >= 0:
            return position + found + 1
        position += len(chunk)
    return size


def field_counts(data: bytes, start: int, rows: int) -> list[int]:
    """Fields in each of the first `rows` complete CSV rows of `data` from `start` (outside quotes).

    RFC 4180 as pyarrow reads it: a quote opens a quoted value only at a value's start, `""`
    inside one is a quote, and `\r`, `\n` or `\r\n` end a row. A row cut off by the end of
    `data` is not counted.
    """
    counts: list[int] = []
    fields, quoted, at_start, index, size = 1, False, True, start, len(data)
    while index < size and len(counts) < rows:
        byte = data[index]
        if quoted:
            if byte == 0x22:
                if index + 1 < size and data[index + 1] == 0x22:
                    index += 1
                else:
                    quoted = False
        elif byte == 0x22 and at_start:
            quoted = True
        elif byte == 0x2C:
            fields += 1
            at_start = True
            index += 1
            continue
        elif byte in (0x0A, 0x0D):
            counts.append(fields)
            if byte == 0x0D and index + 1 < size and data[index + 1] == 0x0A:
                index += 1
            fields, at_start = 1, True
            index += 1
            continue
        at_start = False
        index += 1
    return counts


def likely_row_start(data: bytes, columns: int, rows: int = 4, candidates: int = 16) -> int | None:
    """The first offset just past a newline in `data` from which the next rows have `columns`
    fields each (a guess: a newline inside a quoted value rarely passes; the sentinel check
    makes the final call). None when no candidate passes."""
    position = 0
    for _ in range(candidates):
        found = data.find(b"\n", position)
        if found < 0:
            return None
        position = found + 1
        counts = field_counts(data, position, rows)
        if counts and all(count == columns for count in counts):
            return position
    return None


def boundaries(storage: Storage, bucket: str, item: ObjectInfo, first: int, split_bytes: int,
               columns: int = 0) -> list[int]:
    """Range starts of an object's rows after offset `first`: `[first, s1, s2, ..., size]`, non-decreasing.

    JSON lines (`columns` 0): the first newline after each nominal offset. CSV: the first newline
    after it from which a few rows have `columns` fields (`likely_row_start`), else the first one.
    """
    size = item.size
    bounds = [first]
    nominal = first + split_bytes
    while nominal < size:
        start = None
        if columns:
            probe = bytes(storage.read_range(bucket, item.key, nominal - 1, min(PROBE_BYTES, size - nominal + 1)))
            guess = likely_row_start(probe, columns)
            start = None if guess is None else nominal - 1 + guess
        if start is None:
            start = next_line_start(storage, bucket, item.key, nominal - 1, size)
        bounds.append(max(bounds[-1], start))
        nominal += split_bytes
    bounds.append(size)
    return bounds


def plan_ranges(storage: Storage, bucket: str, item: ObjectInfo, kind: str, first: int,
                split_bytes: int, columns: int = 0) -> list[S3Split]:
    """Byte-range splits of a CSV (`first`: just past its header; `columns`: its header's) or
    JSON-lines object."""
    bounds = boundaries(storage, bucket, item, first, split_bytes, columns)
    verdicts = Verdicts(first) if kind == "csv" else None
    count = len(bounds) - 1
    return [
        S3Split(item, kind, start=bounds[i], end=bounds[i + 1], first=i == 0,
                header_end=first, bounds=tuple(bounds), verdicts=verdicts)
        for i in range(count)
    ]


def plan_row_groups(item: ObjectInfo, sizes: list[int], split_bytes: int) -> list[S3Split]:
    """Parquet splits: consecutive row groups of about `split_bytes` (compressed) each."""
    groups: list[list[int]] = [[]]
    total = 0
    for index, size in enumerate(sizes):
        if groups[-1] and total + size > split_bytes:
            groups.append([])
            total = 0
        groups[-1].append(index)
        total += size
    return [S3Split(item, "parquet", row_groups=tuple(group), first=i == 0)
            for i, group in enumerate(groups)]


def sentinel_row(columns: int) -> bytes:
    """The row appended to a CSV range to prove where it ended (see the module docstring)."""
    return ("\n" + ",".join([SENTINEL_MARK] * columns) + "\n").encode()


def ended_outside_quotes(last_column: Any) -> bool:
    """True when the last value of the last column (a range parsed with the sentinel) is the sentinel's."""
    return len(last_column) > 0 and last_column[len(last_column) - 1].as_py() == SENTINEL_MARK


def next_bound(bounds: tuple[int, ...], offset: int) -> int:
    """The first range start after `offset` (the object's size at the end)."""
    for bound in bounds:
        if bound > offset:
            return bound
    return bounds[-1]
