"""Records generated on demand: a sequence of `count` records made by `make(i)` when read.

Fakes seeded with hundreds of thousands of records (benchmarks) page through a `Lazy` by slicing
it, so a page costs what it returns, not what the account holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload


class Lazy(Sequence[dict[str, Any]]):
    """`make(indexes[i])` for each position i (the indexes default to 0..count-1)."""

    def __init__(self, make: Callable[[int], dict[str, Any]], count: int | None = None,
                 indexes: Sequence[int] | None = None) -> None:
        self.make = make
        self.indexes: Sequence[int] = indexes if indexes is not None else range(count or 0)

    def __len__(self) -> int:
        return len(self.indexes)

    @overload
    def __getitem__(self, position: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, position: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, position: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(position, slice):
            return [self.make(i) for i in self.indexes[position]]
        return self.make(self.indexes[position])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self.make(i) for i in self.indexes)
