"""Reading a source's splits in other processes (connectors layer): the Ray executor's contract.

The engine's Ray executor (`engine/ray_executor.py`) plans a run's splits where the run is
coordinated and reads each split in a Ray task on some node of a cluster. A split source whose
splits can be read that way declares `ConnectorSpec.remote_reading(source, splits)`, which
returns a `RemoteReading`:

* `parts` - the splits in a form that pickles (same order as `splits`), one per Ray task;
* `state` - a `RemoteState`, what every part's reader needs from planning (column names,
  schemas), sent once per run; on a worker, `state.reader(source, part)` reads one part with a
  source opened there the usual way (`ConnectorSpec.open_source`);
* `buckets` - the bucket policy the workers' sources use (the account's, answered for the
  buckets the run reads; a worker has no store to ask);
* `keep(index, outcome)` - asked on the coordinator for each part in split order with what the
  part's reader reported (`PartRead.outcome`): whether the part's rows belong to the run. A
  reader may read a part speculatively (a CSV byte range that assumes it starts at a row start,
  where the local reader would wait for the range before it to say so); the coordinator, which
  sees the parts in order, drops a part whose guess proved wrong, so the rows are exactly a
  serial read's.

A source without `remote_reading` runs where the run is coordinated, as with `SLUICE_EXECUTOR=local`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sluice.connectors.base import BucketPolicy


class PartRead(Protocol):
    """One part being read on a worker: its batches, then what `RemoteReading.keep` judges."""

    outcome: Any  # picklable; set once the batches are exhausted (None until then)

    def __iter__(self) -> Iterator[Any]:
        """The part's `pyarrow.RecordBatch`es."""
        ...


class RemoteState(Protocol):
    """What every part's reader needs from planning; pickles, holds no credentials."""

    def reader(self, source: Any, part: Any) -> PartRead:
        """Read `part` with `source` (opened on this worker through the connector's spec)."""
        ...


class RemoteReading(Protocol):
    """A run's splits as other processes read them (see the module docstring)."""

    parts: Sequence[Any]
    state: RemoteState
    buckets: BucketPolicy | None

    def keep(self, index: int, outcome: Any) -> bool:
        """Whether part `index`'s rows count; called once per part, in order."""
        ...


@dataclass(frozen=True, slots=True)
class FixedBuckets:
    """A `BucketPolicy` that pickles: the answer the account's policy gave, for the buckets named."""

    names: frozenset[str]

    @classmethod
    def of(cls, policy: BucketPolicy | None, wanted: Collection[str]) -> FixedBuckets | None:
        """The policy's answer for `wanted`, fixed (None stays None: the whole store)."""
        return None if policy is None else cls(frozenset(policy.allowed(set(wanted))))

    def allowed(self, names: Collection[str]) -> set[str]:
        """The names among `names` the account was allowed when the run was planned."""
        return {name for name in names if name in self.names}
