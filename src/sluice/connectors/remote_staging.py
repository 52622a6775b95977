"""Staging a destination's parts in other processes (connectors layer): the Ray executor's write contract.

With `SLUICE_EXECUTOR=ray` each split is read and transformed in a Ray task on some node of the
cluster (`connectors/remote.py`, `engine/ray_executor.py`). A destination that can also be
*written* from there lets each task stage the split's output itself, so no row travels back to
the server that coordinates the run. It says so with a `remote_staging()` method (found through
`remote_staging_of`, as `lane_of` finds lanes) returning a `RemoteStaging`:

* `target` - a `StagingTarget`, what a worker needs to write (bucket, layout, format options,
  and the account's storage access as the run passes it to workers for the source). It pickles
  and is sent once per run; its repr names no credential.
* on a worker, `target.writer(split, attempt)` opens a `PartWriter` for one attempt at one split.
  It writes the split's transformed batches as staged part objects under keys unique to that
  attempt (the split index and a fresh id), and `close()` returns a `StagedParts`: the keys,
  rows and bytes of each part and its partition values. `discard()` drops what it staged.
* on the coordinator, `adopt(parts)` adds a split's parts to the destination's publish
  manifest. The coordinator adopts the parts of the splits it keeps, in split order, so the
  final keys (assigned at adoption) list in split order.

Exactness: only adopted parts are published. Whatever else a run staged - a part of an attempt
whose worker died, of a speculative split the coordinator dropped, of a canceled task - lies
under the run's staging prefix, which `commit()`, `abort()` and restart recovery delete.

A destination without `remote_staging`, or one whose options need a single writer (it returns
None), is written on the coordinator from the batches the tasks return, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class StagedPart:
    """One staged part object: its staged key, rows, bytes and partition values (in key order)."""

    key: str
    rows: int
    size: int
    partition: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class StagedParts:
    """What one attempt at one split staged into one destination (its manifest entry)."""

    split: int
    attempt: str
    node: str  # the Ray node that wrote the parts ("" outside Ray)
    parts: list[StagedPart] = field(default_factory=list)
    schema: Any = None  # the `pyarrow.Schema` written (None: no rows reached the writer)
    partitions: list[tuple[tuple[str, str], ...]] = field(default_factory=list)  # first-seen order

    @property
    def rows(self) -> int:
        """Rows staged by this attempt."""
        return sum(part.rows for part in self.parts)


class PartWriter(Protocol):
    """One attempt's writer on a worker (see the module docstring)."""

    def write(self, batch: Any, partition: Any = None) -> None:
        """Stage one `pyarrow.RecordBatch` (with its partition values, as `Destination.write`)."""
        ...

    def close(self) -> StagedParts:
        """Finish every part; what was staged."""
        ...

    def discard(self) -> None:
        """Drop every part this attempt staged (best effort: the run's cleanup deletes them anyway)."""
        ...


class StagingTarget(Protocol):
    """What a worker needs to stage a destination's parts; pickles."""

    def writer(self, split: int, attempt: str, node: str = "") -> PartWriter:
        """A writer for one attempt (`attempt` unique per try) at split `split`."""
        ...


class RemoteStaging(Protocol):
    """The coordinator's side: the target the workers write to, and the adoption of their parts."""

    target: StagingTarget

    def adopt(self, parts: StagedParts) -> None:
        """Add a kept split's parts to the destination's publish manifest (called in split order)."""
        ...


def remote_staging_of(destination: Any) -> RemoteStaging | None:
    """The destination's `RemoteStaging`, or None when it is written on the coordinator only."""
    factory = getattr(destination, "remote_staging", None)
    staging: RemoteStaging | None = factory() if callable(factory) else None
    return staging
