"""The SELECT of a run (connectors layer): the flow's projection, filters and window, pushed down.

`build_select` writes `SELECT <columns> FROM <schema>.<table> [WHERE ...]` with identifiers
quoted for the dialect (PostgreSQL `"x"`, MySQL/MariaDB `` `x` ``) and every value a bound
parameter (`%s`, the placeholder both psycopg and PyMySQL use); no value is ever written into the
text. The WHERE clause holds

* the incremental window `(start, end]` on the flow's `datetimeTypeFieldName`, exactly: `col > start
  AND col <= end`, with the bounds as UTC datetimes (the session's time zone is UTC);
* every Filter task the database evaluates so that it keeps at least the records the engine keeps
  (the engine still applies every task, so a pushed-down filter may keep more, never fewer):
  - numbers and datetimes: every comparison (`<`, `>`, `<=`, `>=`, `=`/IN, `<>`/NOT IN with
    `IS NOT NULL`, BETWEEN), operands read with the engine's own readers (`sluice.literals`);
  - text: EQUAL_TO only (PostgreSQL compares exactly; MySQL's case-insensitive collations keep a
    superset); orderings and NOT_EQUAL_TO depend on collations and are left to the engine;
  - booleans: EQUAL_TO / NOT_EQUAL_TO with `true` / `false`;
  - anything else, or a Filter whose DATA_TYPE makes the engine compare differently, stays with
    the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sluice.connectors.jdbc.types import SqlType
from sluice.connectors.pushdown import ORDERINGS, operands
from sluice.literals import EPOCH, comparison_kind, parse_micros, parse_number

COMPARISONS = frozenset({*ORDERINGS, "EQUAL_TO", "NOT_EQUAL_TO", "BETWEEN"})


@dataclass(frozen=True, slots=True)
class Query:
    """SQL text with `%s` placeholders and the values bound to them, in order."""

    text: str
    params: tuple[Any, ...] = ()


def quote_identifier(name: str, driver: str) -> str:
    """`name` as a quoted identifier of the dialect (the quote character doubled inside)."""
    mark = "`" if driver == "mysql" else '"'
    return mark + name.replace(mark, mark * 2) + mark


def split_entity(name: str) -> tuple[str, str]:
    """`schema.table` -> (schema, table): the entity names ListConnectorEntities gives."""
    schema, dot, table = name.strip().partition(".")
    if not dot or not schema or not table:
        raise ValueError(f"{name!r} is not a table name of the form schema.table")
    return schema, table


def _moment(micros: int, column: SqlType) -> Any:
    """A bound value for a datetime operand: aware UTC for zoned columns, naive UTC otherwise."""
    moment = EPOCH + timedelta(microseconds=micros)
    zoned = getattr(column.arrow, "tz", None) is not None
    return moment if zoned else moment.replace(tzinfo=None)


def _values(texts: list[str], column: SqlType) -> list[Any] | None:
    if column.is_number:
        numbers = [parse_number(t) for t in texts]
        return None if any(n is None for n in numbers) else numbers
    if column.is_temporal:
        micros = [parse_micros(t) for t in texts]
        if any(m is None for m in micros):
            return None
        if column.field_type == "date":
            # A date column compared with a moment inside a day: compare as timestamps, exactly.
            return [EPOCH + timedelta(microseconds=m) for m in micros if m is not None]
        return [_moment(m, column) for m in micros if m is not None]
    return list(texts)


def condition(task: Mapping[str, Any], name: str, column: SqlType, driver: str) -> Query | None:
    """The WHERE condition for one Filter task over `column`, or None (left to the engine)."""
    operators = [v for v in (task.get("connectorOperator") or {}).values() if v is not None]
    if task.get("taskType") != "Filter" or len(operators) != 1 or operators[0] not in COMPARISONS:
        return None
    operator = str(operators[0])
    props = task.get("taskProperties") or {}
    texts = operands(operator, props)
    if texts is None:
        return None
    natural = "number" if column.is_number else "datetime" if column.is_temporal else "string"
    if (comparison_kind(props.get("DATA_TYPE")) or natural) != natural:
        return None
    ident = quote_identifier(name, driver)
    if column.field_type == "boolean":
        if operator not in ("EQUAL_TO", "NOT_EQUAL_TO") or texts not in (["true"], ["false"]):
            return None
        sign = "=" if operator == "EQUAL_TO" else "<>"
        return Query(f"{ident} {sign} %s", (texts[0] == "true",))
    if natural == "string" and (operator != "EQUAL_TO" or not column.is_text):
        return None  # uuid, json, enum columns would refuse (or reinterpret) text that is not theirs
    values = _values(texts, column)
    if values is None:
        return None
    if operator == "BETWEEN":
        return Query(f"({ident} >= %s AND {ident} <= %s)", (values[0], values[1]))
    if operator in ORDERINGS:
        return Query(f"{ident} {ORDERINGS[operator]} %s", (values[0],))
    marks = ", ".join(["%s"] * len(values))
    if operator == "EQUAL_TO":
        return Query(f"{ident} = %s" if len(values) == 1 else f"{ident} IN ({marks})", tuple(values))
    test = f"{ident} <> %s" if len(values) == 1 else f"{ident} NOT IN ({marks})"
    return Query(f"({test} AND {ident} IS NOT NULL)", tuple(values))


def window_condition(name: str, column: SqlType, start: float | None, end: float, driver: str) -> Query:
    """`(col > start AND col <= end)`: the incremental window, exactly (start may be open)."""
    ident = quote_identifier(name, driver)
    zoned = getattr(column.arrow, "tz", None) is not None

    def bound(seconds: float) -> datetime:
        moment = EPOCH + timedelta(microseconds=round(seconds * 1_000_000))
        return moment if zoned else moment.replace(tzinfo=None)

    if start is None:
        return Query(f"{ident} <= %s", (bound(end),))
    return Query(f"({ident} > %s AND {ident} <= %s)", (bound(start), bound(end)))


def build_select(
    driver: str,
    schema: str,
    table: str,
    columns: Sequence[str],
    column_types: Mapping[str, SqlType],
    tasks: Sequence[Mapping[str, Any]] = (),
    window: tuple[str, float | None, float] | None = None,
) -> Query:
    """`SELECT columns FROM schema.table [WHERE window AND filters]` with bound values."""
    parts: list[Query] = []
    if window is not None:
        name, start, end = window
        parts.append(window_condition(name, column_types[name], start, end, driver))
    for task in tasks:
        sources = task.get("sourceFields") or []
        if len(sources) != 1 or str(sources[0]) not in column_types:
            continue
        found = condition(task, str(sources[0]), column_types[str(sources[0])], driver)
        if found is not None and found not in parts:
            parts.append(found)
    select = ", ".join(quote_identifier(c, driver) for c in columns)
    text = f"SELECT {select} FROM {quote_identifier(schema, driver)}.{quote_identifier(table, driver)}"
    if parts:
        text += " WHERE " + " AND ".join(p.text for p in parts)
    params: tuple[Any, ...] = tuple(v for p in parts for v in p.params)
    return Query(text, params)
