"""Reading a `SplitSource`'s parts on threads, as engine/parallel.py does, for connector unit tests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any


def read_parts(source: Any, threads: int = 4) -> tuple[list[Any], list[dict[str, Any]]]:
    """(the source's splits, every record of them as dicts in split order), parts read concurrently."""
    plan = source.splits()
    assert plan is not None, "the source reads as one stream"
    with ThreadPoolExecutor(max_workers=threads) as pool:
        parts = list(pool.map(lambda split: [row for batch in source.read_split(split) for row in batch.to_pylist()],
                              plan))
    return list(plan), [row for part in parts for row in part]
