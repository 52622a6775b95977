"""Reading one REST entity in parallel parts (connectors layer, shared REST layer).

An `Entity` may declare how its API lets independent requests read disjoint parts of one read
(`Entity.splits`); `RestSource` then is a `connectors.base.SplitSource` and the engine reads the
parts on `SLUICE_PARALLELISM` threads (engine/parallel.py). Two styles:

* `OffsetSplits` - the vendor documents offset/limit paging *and* a total count for a query
  (ServiceNow's `sysparm_offset` / `sysparm_limit` and the `X-Total-Count` header). One probe
  request (limit 1) learns the total; the offsets `[0, total)` are cut into page-aligned ranges,
  and the last range is open (from its start it follows the entity's own paginator, as the serial
  read does), so records appended after the probe are read as a serial read would read them.
  Offsets are positions in the vendor's order: the entity must order by a key that never changes
  (creation time, then id), or a record changing during the run could move between ranges.
* `TimeSlices` - the vendor filters by a time field with range operators. The run's time range
  on that field - the incremental window `(start, end]`, narrowed by GREATER_THAN / LESS_THAN /
  BETWEEN filters - is cut into contiguous half-open slices `(lo, hi]` of whole `step_us`
  (`slice_edges`); each slice's request carries its own bounds (`Query.slice`, which
  `Query.time_range` honours, so a vendor's push-down sends them), and the source keeps exactly
  the records whose time lies in the slice. Every record of the range is in exactly one slice, so
  none is read twice at an edge or lost between two. A read with no lower bound is sliced only
  when the entity says how to learn its earliest record cheaply (`earliest`); its first slice is
  then open below, and a read with no upper bound has its last slice open above (records arriving
  during the run are read as a serial read would). Slice only by a field a record never changes
  (an event's time), or within a window that ended before the run (an incremental window): a
  record updated during the run then moves past the window in a serial read too.

Cursors that must be followed one after another (Zendesk's incremental export, Slack's cursors,
Marketo's bulk export) declare no splits. The number of parts is at most
`SLUICE_PARALLELISM * PARTS_PER_THREAD` and at most the entity's `max_splits` (small for vendors
with tight rate limits); each part uses its own `RestClient`, so every request keeps the layer's
retry, `Retry-After` and outbound rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sluice.literals import parse_micros
from sluice.settings import current

if TYPE_CHECKING:
    from sluice.connectors.rest.client import Request, RestClient
    from sluice.connectors.rest.entities import Query

# Parts per thread: a few more parts than threads keep every thread busy when parts are uneven.
PARTS_PER_THREAD = 4


@dataclass(frozen=True)
class OffsetSplits:
    """Offset ranges, planned from the total a limit-1 probe reports in `total_header`."""

    offset_param: str
    limit_param: str
    page_size: int
    total_header: str = "X-Total-Count"
    max_splits: int = 16


@dataclass(frozen=True)
class TimeSlices:
    """Contiguous `(lo, hi]` slices of the run's range on `field` (see the module docstring)."""

    field: str
    # Slice edges are whole multiples of this many microseconds (the vendor's time resolution),
    # so a slice's request bounds are exact in the vendor's own unit.
    step_us: int = 1000
    max_splits: int = 8
    # (client, query, first request) -> the earliest record's time (epoch seconds), or None when
    # unknown; lets a read with no lower bound be sliced. None: such reads are not split.
    earliest: Callable[[RestClient, Query, Request], float | None] | None = None


Splitting = OffsetSplits | TimeSlices


@dataclass(frozen=True, slots=True)
class RestSplit:
    """One part of a read: offsets `[start, end)` (end None: to the last page), or the time slice
    `(lower_us, upper_us]` on `field` (None: open on that side)."""

    index: int
    start: int | None = None
    end: int | None = None
    field: str | None = None
    lower_us: int | None = None
    upper_us: int | None = None


def parts_wanted(max_splits: int) -> int:
    """How many parts a read may have: bounded by the run's threads and the vendor's own cap."""
    return max(1, min(current().parallelism * PARTS_PER_THREAD, max_splits))


def offset_ranges(total: int, page_size: int, parts: int) -> list[tuple[int, int | None]]:
    """`[start, end)` ranges covering offsets `[0, total)` in page-aligned steps, the last open.

    Fewer ranges than `parts` when there are fewer pages; `[(0, None)]` for one page or less.
    """
    pages = max(1, math.ceil(total / page_size))
    count = max(1, min(parts, pages))
    per = math.ceil(pages / count)
    starts = [i * per * page_size for i in range(count) if i * per < pages]
    return [(start, starts[i + 1] if i + 1 < len(starts) else None) for i, start in enumerate(starts)]


def slice_edges(lower_us: int, upper_us: int, parts: int, step_us: int = 1) -> list[int]:
    """Edges `[lower, e1, ..., upper]` cutting `(lower, upper]` into at most `parts` slices.

    Inner edges are whole multiples of `step_us`, strictly increasing and strictly inside the range,
    so consecutive slices `(e[i], e[i+1]]` are non-empty as ranges, disjoint, and together exactly
    `(lower, upper]`. An empty range (`upper <= lower`) has no slices: `[]`.
    """
    if upper_us <= lower_us:
        return []
    width = upper_us - lower_us
    edges = [lower_us]
    for i in range(1, max(1, parts)):
        edge = (lower_us + width * i // parts) // step_us * step_us
        if edges[-1] < edge < upper_us:
            edges.append(edge)
    edges.append(upper_us)
    return edges


def _micros(text: str) -> int | None:
    return parse_micros(text)


def time_domain(query: Query, name: str) -> tuple[int | None, int | None]:
    """The range `(lower, upper]` (epoch microseconds; None: unbounded) a record's `name` must lie in
    to pass the run's incremental window and its Filter comparisons on `name`.

    Inclusive lower bounds (GREATER_THAN_OR_EQUAL_TO, BETWEEN) become `value - 1`, exclusive upper
    ones (LESS_THAN) `value - 1`, so every bound is a half-open edge in whole microseconds (the
    resolution of the records' timestamps).
    """
    lowers: list[int] = []
    uppers: list[int] = []
    if query.window_field == name and query.window_end is not None:
        uppers.append(round(query.window_end * 1_000_000))
        if query.window_start is not None:
            lowers.append(round(query.window_start * 1_000_000))
    for condition in query.on(name):
        values = [_micros(v) for v in condition.values]
        if not values or any(v is None for v in values):
            continue
        bounds = [v for v in values if v is not None]
        op = condition.operator
        if op == "GREATER_THAN":
            lowers.append(bounds[0])
        elif op == "GREATER_THAN_OR_EQUAL_TO":
            lowers.append(bounds[0] - 1)
        elif op == "LESS_THAN":
            uppers.append(bounds[0] - 1)
        elif op == "LESS_THAN_OR_EQUAL_TO":
            uppers.append(bounds[0])
        elif op == "BETWEEN" and len(bounds) == 2:
            lowers.append(bounds[0] - 1)
            uppers.append(bounds[1])
    return (max(lowers) if lowers else None), (min(uppers) if uppers else None)


def time_slices(query: Query, slicing: TimeSlices, parts: int, now_us: int,
                earliest_us: int | None = None) -> list[RestSplit] | None:
    """The slices of a read (None: the read cannot be sliced and runs as one stream).

    `earliest_us` is the earliest record's time when the read has no lower bound (the first slice is
    then open below); with no upper bound the range ends at `now_us` and the last slice is open above.
    An empty range gives no slices at all (`[]`): the read has nothing to return.
    """
    given_lower, given_upper = time_domain(query, slicing.field)
    open_below, open_above = given_lower is None, given_upper is None
    if given_lower is None and earliest_us is None:
        return None
    lower = given_lower if given_lower is not None else earliest_us - 1  # type: ignore[operator]
    # A range running to "now" keeps at least its first instant (an earliest record stamped in the future).
    upper = given_upper if given_upper is not None else max(now_us, lower + 1)
    edges = slice_edges(lower, upper, parts, slicing.step_us)
    if not edges:
        return []
    count = len(edges) - 1
    return [RestSplit(i, field=slicing.field,
                      lower_us=None if (i == 0 and open_below) else edges[i],
                      upper_us=None if (i == count - 1 and open_above) else edges[i + 1])
            for i in range(count)]


@dataclass(frozen=True)
class OffsetRange:
    """A `Paginator` over the offsets `[start, end)`, `size` a page.

    Offsets are positions in the vendor's answer to the query, so each page moves on by the limit it
    asked for, not by the records it got: a vendor may hide records of a page after the query ran
    (ServiceNow's ACLs), and the range still ends at `end`. (The open last range is read with the
    entity's own paginator, which knows how the vendor says the read is over.)
    """

    offset_param: str
    limit_param: str
    size: int
    start: int
    end: int

    def _limit(self, offset: int) -> int:
        return min(self.size, self.end - offset)

    def first(self, request: Request) -> Request:
        return request.replace(params={**request.params, self.offset_param: self.start,
                                       self.limit_param: self._limit(self.start)})

    def next(self, request: Request, answer: object, records: int) -> Request | None:
        following = int(request.params[self.offset_param]) + int(request.params[self.limit_param])
        if following >= self.end:
            return None
        return request.replace(params={**request.params, self.offset_param: following,
                                       self.limit_param: self._limit(following)})
