"""Reading Mailchimp collections: paging, push-down and per-parent reads (connectors layer, Mailchimp).

https://mailchimp.com/developer/marketing/docs/methods-parameters/ ("Pagination", "Partial responses"):

* every collection pages with `count` (at most 1,000) and `offset`, and answers `total_items`
  beside the records' envelope key (`lists`, `members`, `campaigns`, ...) and `_links`;
* `fields=` names the members to return, dotted under the envelope key
  (`campaigns.id,campaigns.create_time`): a flow's projection is pushed down this way (with
  `total_items`, which paging reads);
* the time filters the API reference lists per collection (`since_create_time` /
  `before_create_time` on campaigns, `since_last_changed` on list members, ...) carry a flow's
  incremental window and its GREATER_THAN / LESS_THAN filters; `since_*` is exclusive, so the
  lower bound is rounded down, and `before_*` gets one second past the upper bound so a record
  at the window's end is kept (the source trims to the window exactly);
* EQUAL_TO on a field the collection filters by (`status`, `type`) becomes that parameter.

Mailchimp's times are whole seconds: a record stamped at the window's end second may have
changed up to a second later. A run whose window ends less than a second ago therefore first
waits for that second to pass (on the scheduler's clock), so such a change is in this run and
not lost between two windows.

Collections under a parent (a list's members and segments, a campaign's report details) are read
parent by parent (`Fanout`): the parents' ids are listed first, with `fields=<key>.id` only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.clock import scheduler_clock
from sluice.connectors.rest.entities import Page, Query
from sluice.connectors.rest.pages import read_pages
from sluice.connectors.rest.paging import Offset

MAX_COUNT = 1000
PAGES = Offset(offset_param="offset", limit_param="count", size=MAX_COUNT, total_path="total_items")


def iso(seconds: float) -> str:
    """Epoch seconds as the ISO 8601 text Mailchimp's time filters take (`2015-10-21T15:41:36+00:00`)."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def settle(query: Query, sleep: Callable[[float], None] = time.sleep) -> None:
    """Wait until the second holding the window's end has passed (see the module docstring)."""
    if query.window_end is None:
        return
    clock, speed = scheduler_clock()
    wait = (math.floor(query.window_end) + 1 - clock()) / speed
    if wait > 0:
        sleep(min(wait, 2.0))


@dataclass(frozen=True)
class Paged:
    """`Entity.read` for a top-level collection: the settle wait, then the paged read."""

    records: str

    def __call__(self, client: RestClient, query: Query, request: Request) -> Iterator[Page]:
        settle(query)
        yield from read_pages(client, PAGES.first(request), PAGES, self.records, f"Mailchimp {self.records}")


@dataclass(frozen=True)
class PushDown:
    """`Entity.plan` for one collection: projection, time filters and equality filters as parameters."""

    records: str
    # field -> (since parameter, before parameter)
    times: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # field -> parameter taking one value
    equals: Mapping[str, str] = field(default_factory=dict)
    # field -> where it sits in a record, for fields that are a nested member (`recipients.list_id`)
    paths: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, query: Query, request: Request) -> Request:
        params = dict(request.params)
        if query.columns:
            wanted = dict.fromkeys(self.paths.get(c, c) for c in query.columns)
            params["fields"] = ",".join([*(f"{self.records}.{c}" for c in wanted), "total_items"])
        for name, (since, before) in self.times.items():
            lower, upper = query.time_range(name)
            if lower is not None:
                params[since] = iso(math.floor(lower))
            if upper is not None:
                params[before] = iso(math.floor(upper) + 1)
        for name, param in self.equals.items():
            value = query.equal_to(name)
            if value is not None:
                params[param] = value
        return request.replace(params=params)


@dataclass(frozen=True)
class Parent:
    """One level of parents: the collection listing them (its path may name outer parents' ids as {0})."""

    path: str
    records: str


@dataclass(frozen=True)
class Fanout:
    """`Entity.read` for a collection under parents: `{0}`, `{1}` in the entity's path are their ids."""

    parents: tuple[Parent, ...]
    records: str

    def __call__(self, client: RestClient, query: Query, request: Request) -> Iterator[Page]:
        settle(query)
        yield from self._walk(client, request, 0, ())

    def _walk(self, client: RestClient, request: Request, level: int, ids: tuple[str, ...]) -> Iterator[Page]:
        if level == len(self.parents):
            first = PAGES.first(request.replace(path=request.path.format(*ids)))
            yield from read_pages(client, first, PAGES, self.records, f"Mailchimp {self.records}")
            return
        for parent_id in self._ids(client, self.parents[level], ids):
            yield from self._walk(client, request, level + 1, (*ids, parent_id))

    @staticmethod
    def _ids(client: RestClient, parent: Parent, ids: tuple[str, ...]) -> list[str]:
        listing = PAGES.first(Request("GET", parent.path.format(*ids),
                                      {"fields": f"{parent.records}.id,total_items"}))
        found: list[str] = []
        for page in read_pages(client, listing, PAGES, parent.records, f"Mailchimp {parent.records}"):
            found += [str(r["id"]) for r in page.records if isinstance(r, Mapping) and r.get("id") is not None]
        return found

