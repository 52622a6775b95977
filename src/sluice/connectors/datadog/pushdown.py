"""A flow's Filter tasks as Datadog search arguments (connectors layer, Datadog).

* BETWEEN on the time field and the incremental window -> the search's `from` / `to`. AppFlow's bounds
  are inclusive and a run's window is (start, end]; Datadog does not document whether `to` is
  inclusive, so `to` is sent one millisecond past the last instant wanted (Datadog keeps milliseconds)
  and the source drops what lies outside the window.
* EQUAL_TO on `query` -> the Datadog search query itself (https://docs.datadoghq.com/logs/explorer/search_syntax/);
* EQUAL_TO on a reserved attribute (`service`, `status`, `host`, events' `source_type_name`, ...) ->
  `key:value` terms ANDed to it (`service:(a OR b)` for several values), quoted when the value has
  spaces or search syntax in it.

`query` is a field of every object although Datadog's records have no such member: it is how AppFlow
users give the search (AppFlow asks for "a date range and query filter"). Each record's `query` is the
query that found it, so the engine's own EQUAL_TO check of that Filter passes on every record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.entities import Query

QUERY_FIELD = "query"
_PLAIN = re.compile(r"^[\w.@/-]+$")


def user_query(query: Query) -> str:
    """The search query a flow's `query` EQUAL_TO Filter gives, `*` when there is none."""
    values = [v for c in query.on(QUERY_FIELD) if c.operator == "EQUAL_TO" for v in c.values]
    if len(set(values)) > 1:
        raise ConnectorError("InvalidArgument", "the query filter takes one Datadog search query; combine "
                             "several with AND / OR inside it")
    return values[0].strip() if values and values[0].strip() else "*"


def _term(value: str) -> str:
    if _PLAIN.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search_text(query: Query, attributes: Mapping[str, str]) -> str:
    """The full search: the user's query ANDed with `key:value` terms for EQUAL_TO on `attributes`
    ({field name: Datadog search key})."""
    base = user_query(query)
    parts = [] if base == "*" else [f"({base})"]
    for name, key in attributes.items():
        values = [v for c in query.on(name) if c.operator == "EQUAL_TO" for v in c.values]
        if len(values) == 1:
            parts.append(f"{key}:{_term(values[0])}")
        elif values:
            parts.append(f"{key}:({' OR '.join(_term(v) for v in values)})")
    return " ".join(parts) or "*"


def to_ms(seconds: float) -> int:
    """Whole milliseconds at or before an instant, rounding through microseconds first (as the REST
    source does when it drops records outside the window), so float noise cannot lose a millisecond."""
    return round(seconds * 1_000_000) // 1000


def time_bounds_ms(query: Query, field: str) -> tuple[int | None, int | None]:
    """(from, to) in epoch milliseconds for the search, `to` exclusive; None where the flow sets no bound."""
    lower, upper = query.time_range(field)
    start = to_ms(lower) if lower is not None else None
    end = to_ms(upper) + 1 if upper is not None else None
    if start is not None and end is not None and end <= start:
        raise ConnectorError("InvalidArgument", f"the {field} range ends before it starts")
    return start, end
