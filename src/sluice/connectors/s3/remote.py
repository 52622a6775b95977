"""The S3 source's splits read in Ray tasks on other machines (connectors layer).

`remote_reading(source, splits)` is `SPEC.remote_reading` (contract: `connectors/remote.py`).
The coordinator's `S3Source` planned the splits and read each object's columns; those columns
travel once per run (`S3State`), and a worker's own `S3Source` (opened from the same properties)
adopts them, so a worker never lists the prefix or reads a header again.

Parquet row groups, JSON-lines ranges and whole objects read on a worker exactly as they do
locally. A CSV byte range locally waits until the range before it has proven that its start is a
row start (`splits.Verdicts`); Ray tasks of one run share no memory, so a worker instead assumes
its start is right (`Speculation`) and reports the end it proved. The coordinator sees the parts
in split order (`S3RemoteReading.keep`): a range that starts where the object's kept rows reached
is right and counts, and one that starts before it (its start was a newline inside a quoted value
that the range before it read through) is dropped, with its rows and any parse error. The kept
ranges are therefore exactly the ones the local reader yields rows for. A wrong guess costs one
range parsed in vain, as it does locally.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa

from sluice.connectors.remote import FixedBuckets
from sluice.connectors.s3.source import S3Source, _Columns
from sluice.connectors.s3.splits import S3Split, Verdicts


def remote_reading(source: S3Source, splits: Sequence[S3Split]) -> S3RemoteReading:
    """How Ray tasks read `splits` of `source` (its `splits()` has run, so its columns are known)."""
    # The source's planning state is read here, in its own package, rather than through new
    # public methods on S3Source: it is what `S3Source.splits` recorded for `read_split`.
    assert source._expected is not None or not splits
    state = S3State(dict(source._columns), source._expected, dict(source._json_schemas))
    parts = [replace(split, verdicts=None) for split in splits]
    return S3RemoteReading(parts, state, FixedBuckets.of(source.ctx.buckets, {source.bucket}))


@dataclass(frozen=True, slots=True)
class S3State:
    """Each object's columns, the run's expected columns and the JSON schemas, as planned."""

    columns: Mapping[str, _Columns]
    expected: _Columns | None
    json_schemas: Mapping[str, pa.Schema]

    def reader(self, source: S3Source, part: S3Split) -> S3PartRead:
        """Read `part` with a worker's `source`, which takes the planned columns first."""
        if source._expected is None:
            source._columns.update(self.columns)
            source._expected = self.expected
            source._json_schemas.update(self.json_schemas)
        return S3PartRead(source, part)


class Speculation(Verdicts):
    """A CSV range's verdicts on a worker: its own start counts as a row start; its proven end is kept."""

    def __init__(self) -> None:
        super().__init__(0)
        self.proven_end: int | None = None

    def wait(self, offset: int, should_stop: Any = None) -> bool | None:
        """Every offset asked about is this range's start: assumed right (the coordinator checks)."""
        return True

    def decide(self, offset: int, is_row_start: bool) -> None:
        """Remember where the range proved to end (the last offset decided a row start)."""
        if is_row_start:
            self.proven_end = offset

    def fail(self) -> None:
        """Nobody waits on this range in another process."""


@dataclass(slots=True)
class S3PartRead:
    """One part's batches; `outcome` is a CSV range's proven end (None: none proven)."""

    source: S3Source
    part: S3Split
    outcome: int | None = None
    _speculation: Speculation | None = field(default=None, repr=False)

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        part = self.part
        if part.kind == "csv":
            self._speculation = Speculation()
            part = replace(part, verdicts=self._speculation)
        yield from self.source.read_split(part)
        if self._speculation is not None:
            self.outcome = self._speculation.proven_end


@dataclass(slots=True)
class S3RemoteReading:
    """The run's parts, the state they share, and the in-order check of speculative CSV ranges."""

    parts: list[S3Split]
    state: S3State
    buckets: FixedBuckets | None
    _reached: int = 0  # the byte offset the current object's kept CSV ranges reached

    def keep(self, index: int, outcome: Any) -> bool:
        """Whether part `index` counts (see the module docstring); parts come in order."""
        part = self.parts[index]
        if part.kind != "csv":
            return True
        if part.first:
            self._reached = part.start  # just past the header: a row start by construction
        if part.start != self._reached:
            return False  # started inside a row an earlier range read through
        if part.end > part.start:
            self._reached = part.item.size if outcome is None else int(outcome)
        return True
