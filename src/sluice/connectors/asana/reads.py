"""Reading Asana collections: paging, `opt_fields`, `modified_since`, per-parent reads (connectors layer, Asana).

https://developers.asana.com/docs/pagination, /docs/inputoutput-options and the API reference:

* a collection pages with `limit` (1..100) and an opaque `offset` token: each answer is
  `{"data": [...], "next_page": {"offset", "path", "uri"}}`, `next_page` null on the last page;
* records are compact (`gid`, `name`, `resource_type`) unless `opt_fields` names the properties
  wanted: a run always sends its columns there, which is the flow's projection pushed down. A
  nested record comes as `gid` and `resource_type` alone unless its properties are named, so each
  compact-record column also asks for `<column>.name`;
* `GET /tasks` takes `modified_since`: the incremental window's start (or a GREATER_THAN(_OR_EQUAL_TO)
  filter on `modified_at`), rounded down to the millisecond Asana stamps with; the source keeps
  exactly the window;
* the audit log takes `start_at` (inclusive) and `end_at` (exclusive) on `created_at`, and
  `event_type` / `actor_type`; it answers whole records, so no `opt_fields` is sent;
* EQUAL_TO filters on `archived` (projects) and `is_workspace_level` (goals) become those parameters.

Most collections are scoped: projects, users and tags by `workspace`, teams by organization,
sections and tasks by project. `Fanout` lists the parents first (`opt_fields=gid` only) and reads
the collection for each; a task in several projects is kept once (by `gid`). Goals and portfolios
are premium features: a workspace on a plan without them answers 402 Payment Required
(https://developers.asana.com/docs/errors) and is skipped with a warning in the run's log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sluice.connectors.rest.client import Request, RestClient
from sluice.connectors.rest.entities import Page, Query
from sluice.connectors.rest.pages import read_pages
from sluice.connectors.rest.paging import Cursor

PAGE = 100
PAYMENT_REQUIRED = 402
PAGES = Cursor("next_page.offset", param="offset", size_param="limit", size=PAGE)


def iso(seconds: float) -> str:
    """Epoch seconds as Asana's time text (`2012-02-22T02:06:58.147Z`), rounded down to the millisecond."""
    moment = datetime.fromtimestamp(int(seconds * 1000) / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class PushDown:
    """`Entity.plan`: the columns as `opt_fields`, time bounds and EQUAL_TO filters as parameters."""

    opt_fields: bool = True  # False: the endpoint answers whole records (the audit log)
    # Columns holding nested records (or lists of them) whose `name` is asked for as `<column>.name`.
    named: frozenset[str] = frozenset()
    since: Mapping[str, str] = field(default_factory=dict)  # field -> parameter taking the lower bound
    # field -> (inclusive lower-bound parameter, exclusive upper-bound parameter)
    ranges: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    equals: Mapping[str, str] = field(default_factory=dict)  # text field -> parameter
    flags: Mapping[str, str] = field(default_factory=dict)  # boolean field -> parameter (`true` / `false`)

    def __call__(self, query: Query, request: Request) -> Request:
        params = dict(request.params)
        if query.columns and self.opt_fields:
            params["opt_fields"] = ",".join([*query.columns, *(f"{c}.name" for c in query.columns if c in self.named)])
        for name, param in self.since.items():
            lower, _ = query.time_range(name)
            if lower is not None:
                params[param] = iso(lower)
        for name, (start, end) in self.ranges.items():
            lower, upper = query.time_range(name)
            if lower is not None:
                params[start] = iso(lower)
            if upper is not None:
                params[end] = iso(upper + 0.001)  # exclusive: the window's last millisecond kept
        for name, param in (*self.equals.items(), *self.flags.items()):
            value = query.equal_to(name)
            if value is not None:
                params[param] = value.lower() if name in self.flags else value
        return request.replace(params=params)


@dataclass(frozen=True)
class Level:
    """One level of parents: the request listing them (`{0}` in path or parameters: the outer parent's
    gid), and which of them to keep (teams exist only in organizations)."""

    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    opt_fields: str = "gid"
    keep: Callable[[Mapping[str, Any]], bool] | None = None


def _format(request: Request, ids: tuple[str, ...]) -> Request:
    params = {k: v.format(*ids) if isinstance(v, str) and "{" in v else v for k, v in request.params.items()}
    return request.replace(path=request.path.format(*ids), params=params)


@dataclass(frozen=True)
class Fanout:
    """`Entity.read` for a collection read parent by parent; `unique` drops records seen before (by gid)."""

    levels: tuple[Level, ...]
    unique: bool = False
    # Premium features (goals, portfolios): a workspace whose plan lacks them answers 402 Payment
    # Required; that workspace is skipped, with a warning in the run's log, and the others are read.
    premium: bool = False

    def __call__(self, client: RestClient, query: Query, request: Request) -> Iterator[Page]:
        seen: set[str] = set()
        for page in self._walk(client, request, 0, ()):
            if self.unique:
                fresh = [r for r in page.records if r.get("gid") not in seen]
                seen.update(str(r.get("gid")) for r in fresh)
                page = Page(fresh, page.size)
            yield page

    def _walk(self, client: RestClient, request: Request, depth: int, ids: tuple[str, ...]) -> Iterator[Page]:
        if depth == len(self.levels):
            first = _format(request, ids)
            if self.premium:
                answer = client.call(first, expect=(200, PAYMENT_REQUIRED))
                if answer.response.status_code == PAYMENT_REQUIRED:
                    client.report("warning", f"Asana answered 402 Payment Required for {first.path} of workspace "
                                  f"{ids[0]}: its plan lacks the feature; that workspace is skipped", "warning")
                    return
                records = answer.body.get("data") if isinstance(answer.body, Mapping) else None
                yield Page(list(records or []), len(answer.response.content))
                following = PAGES.next(first, answer, len(records or []))
                if following is None:
                    return
                first = following
            yield from read_pages(client, first, PAGES, "data", "Asana " + request.path)
            return
        for gid in self._parents(client, self.levels[depth], ids):
            yield from self._walk(client, request, depth + 1, (*ids, gid))

    @staticmethod
    def _parents(client: RestClient, level: Level, ids: tuple[str, ...]) -> list[str]:
        listing = _format(PAGES.first(Request("GET", level.path, {**level.params, "opt_fields": level.opt_fields})),
                          ids)
        found: list[str] = []
        for page in read_pages(client, listing, PAGES, "data", "Asana " + level.path):
            found += [str(r["gid"]) for r in page.records
                      if isinstance(r, Mapping) and r.get("gid") and (level.keep is None or level.keep(r))]
        return found
