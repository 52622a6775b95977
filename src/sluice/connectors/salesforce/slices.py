"""Time slices of an incremental Salesforce REST read (connectors layer, Salesforce; issue 17's vendor splits).

A REST query (`/query`, `nextRecordsUrl`) is one cursor: its pages only continue the query that made
them. Several queries can run at once, though, and SOQL compares datetimes exactly with `>` and `<=`
on whole seconds (the unit Salesforce stores them in). So an incremental run whose window
`(start, end]` holds more than one REST page is cut into contiguous slices `(lo, hi]` whose inner edges
are whole seconds (`rest.splits.slice_edges`); each slice is its own query, with the window condition
`(field > lo AND field <= hi)` in place of the run's, so every record of the window matches exactly
one slice. The window field (LastModifiedDate / SystemModstamp) changes when a record is edited, but
the window ended before the run started: an edit during the run moves the record past the window
in a serial read too, and the next window reads it.

Only REST reads are sliced (a Bulk API 2.0 job is one job); complete reads are one stream.
"""

from __future__ import annotations

from dataclasses import dataclass

from sluice.connectors.rest.splits import parts_wanted, slice_edges

REST_PAGE = 2000  # records a REST query page holds (Salesforce's default batch size)
MAX_SLICES = 4  # concurrent queries count against the org's API request limits and query cursors


@dataclass(frozen=True, slots=True)
class WindowSlice:
    """One slice `(start, end]` of an incremental window, epoch seconds."""

    index: int
    start: float
    end: float


def plan_slices(start: float, end: float, records: int) -> list[WindowSlice] | None:
    """The slices of the window `(start, end]` holding `records` records; None when one query will do."""
    if records <= REST_PAGE:
        return None
    parts = min(parts_wanted(MAX_SLICES), -(-records // REST_PAGE))
    edges = slice_edges(round(start * 1_000_000), round(end * 1_000_000), parts, step_us=1_000_000)
    if len(edges) <= 2:
        return None
    bounds = [start, *(edge / 1_000_000 for edge in edges[1:-1]), end]  # the window's own outer bounds
    return [WindowSlice(i, bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
