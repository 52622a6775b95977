"""The paged list endpoints over time-ordered records: `GET /api/v2/problems` and `GET /api/v2/events`.

Both take `from` / `to` (default `now-2h` .. now), a selector, an `entitySelector`, `pageSize` and
`nextPageKey`; the first page freezes the timeframe and the total into the cursor, so later pages (which
must carry only the cursor) continue the same query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import matching, paging
from .environment import Environment
from .errors import bad_parameter
from .records import problem_extras
from .timed import TimedCollection, Window
from .timeframe import parse_time

Record = dict[str, Any]
PROBLEM_FIELDS = ("evidenceDetails", "impactAnalysis", "recentComments")


def timeframe(env: Environment, query: dict[str, str], default_from: str) -> tuple[int, int]:
    """`from` / `to` as epoch ms, with the documented defaults; a 400 for bad or reversed values."""
    now = env.now_ms()
    bounds = []
    for name, default in (("from", default_from), ("to", "now")):
        try:
            bounds.append(parse_time(query.get(name) or default, now))
        except ValueError as exc:
            raise bad_parameter(name, str(exc)) from None
    if bounds[0] > bounds[1]:
        raise bad_parameter("from", "The start of the timeframe must not be after its end.")
    return bounds[0], bounds[1]


def list_problems(env: Environment, query: dict[str, str]) -> Record:
    """`GET /api/v2/problems`."""
    fields = _problem_fields(query.get("fields"))
    body, page = _list(env, env.problems, query, "problems", default_size=50, max_size=500,
                       allowed_with_cursor=("fields",), selector_parameter="problemSelector",
                       selector=matching.problem_predicate,
                       entity_stubs=lambda r: r["affectedEntities"] + r["impactedEntities"])
    if fields:
        body["problems"] = [problem_extras(r, fields, env.seed, i) for i, r in page]
    return body


def list_events(env: Environment, query: dict[str, str]) -> Record:
    """`GET /api/v2/events`."""
    body, _ = _list(env, env.events, query, "events", default_size=100, max_size=1000, allowed_with_cursor=(),
                    selector_parameter="eventSelector", selector=matching.event_predicate,
                    entity_stubs=lambda r: [r["entityId"]] if r["entityId"] else [])
    return body


def _problem_fields(text: str | None) -> set[str]:
    fields = {f.strip().lstrip("+") for f in (text or "").split(",") if f.strip()}
    unknown = fields - set(PROBLEM_FIELDS)
    if unknown:
        raise bad_parameter("fields", f"Unknown field '{sorted(unknown)[0]}'; use {', '.join(PROBLEM_FIELDS)}.")
    return fields


def _list(env: Environment, collection: TimedCollection, query: dict[str, str], key: str, *, default_size: int,
          max_size: int, allowed_with_cursor: tuple[str, ...], selector_parameter: str,
          selector: Callable[[str | None], Callable[[Record], bool]],
          entity_stubs: Callable[[Record], list[Record]]) -> tuple[Record, list[tuple[int, Record]]]:
    """The answer body and the page's (index, record) pairs."""
    if "nextPageKey" in query:
        paging.only_cursor(query, allowed_with_cursor)
        state = paging.decode(query["nextPageKey"], key)
    else:
        start, end = timeframe(env, query, "now-2h")
        window = collection.window(start, end)
        state = {"endpoint": key, "from": start, "to": end, "size": paging.page_size(query, default_size, max_size),
                 "selector": query.get(selector_parameter), "entities": query.get("entitySelector"),
                 "sort": _sort(query.get("sort"), query.get(selector_parameter)), "window": [window.lo, window.hi,
                                                                                             window.added],
                 "offset": 0, "emitted": 0, "total": None}
    match = _predicate(env, collection, state, selector(state["selector"]), entity_stubs)
    window = Window(*state["window"])
    order = _ordered(env, collection, window, state, match)
    if state["total"] is None:
        state["total"] = sum(1 for _ in order(0))
    page: list[tuple[int, Record]] = []
    next_offset = None
    for offset, index in order(state["offset"]):
        if len(page) == state["size"]:
            next_offset = offset
            break
        page.append((index, collection.record(index)))
    emitted = state["emitted"] + len(page)
    next_key = None
    if next_offset is not None and emitted < state["total"]:
        next_key = paging.encode({**state, "offset": next_offset, "emitted": emitted})
    body = {"totalCount": state["total"], "pageSize": state["size"], "nextPageKey": next_key,
            key: [r for _, r in page]}
    return body, page


def _sort(text: str | None, selector_text: str | None) -> list[list[str]]:
    """`sort` as [sign, field] pairs; the default (not stated by the docs) is newest first."""
    if not text:
        return [["-", "startTime"]]
    terms = []
    for term in text.split(","):
        term = term.strip()
        sign, name = (term[0], term[1:]) if term[:1] in "+-" else ("+", term)
        if name not in ("status", "startTime", "relevance"):
            raise bad_parameter("sort", f"Unknown sort field '{name}'")
        if name == "relevance" and "text(" not in (selector_text or ""):
            raise bad_parameter("sort", "relevance can only be used together with a text search")
        terms.append([sign, name])
    return terms


def _predicate(env: Environment, collection: TimedCollection, state: Record, selected: Callable[[Record], bool],
               entity_stubs: Callable[[Record], list[Record]]) -> Callable[[int], bool]:
    needs_record = bool(state["selector"] or state["entities"])
    entity_ok: Callable[[Record], bool] | None = None
    if state["entities"]:
        test = matching.entity_predicate(state["entities"], env.now_ms(), env.entity_index)
        entity_ok = lambda r: any(  # noqa: E731
            s["entityId"]["id"] in env.entity_index and test(env.entity_index[s["entityId"]["id"]])
            for s in entity_stubs(r))

    def match(i: int) -> bool:
        if not collection.in_timeframe(i, state["from"], state["to"]):
            return False
        if not needs_record:
            return True
        record = collection.record(i)
        return selected(record) and (entity_ok is None or entity_ok(record))

    return match


def _ordered(env: Environment, collection: TimedCollection, window: Window, state: Record,
             match: Callable[[int], bool]) -> Callable[[int], Any]:
    """A function offset -> iterator of (offset, index) over the matching records in the requested order."""
    terms = state["sort"]
    if len(terms) == 1 and terms[0][1] == "startTime":
        descending = terms[0][0] == "-"

        def scan(offset: int) -> Any:
            # Offsets count scanned records, matching or not, so a cursor resumes where the scan stopped.
            return ((o, i) for o, i in collection.scan(window, descending, offset) if match(i))
        return scan
    # Other orders (status, relevance) need every match first: fine for the sizes tests sort.
    matches = [i for _, i in collection.scan(window, False, 0) if match(i)]
    for sign, name in reversed(terms):
        if name == "status":
            matches.sort(key=lambda i: collection.record(i)["status"] != "OPEN", reverse=sign == "-")
        elif name == "startTime":
            matches.sort(key=lambda i: collection.span(i)[0], reverse=sign == "-")
    return lambda offset: ((o, matches[o]) for o in range(offset, len(matches)))
