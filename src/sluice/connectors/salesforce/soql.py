"""The SOQL of a run (connectors layer): the flow's projection and filters pushed down to Salesforce.

`build_query` writes `SELECT <fields> FROM <object> [WHERE ...]`. The WHERE clause holds

* the incremental window `(start, end]` on the window field (`LastModifiedDate` by default,
  `SystemModstamp` for objects without it), and
* every Filter task whose comparison Salesforce can evaluate so that it keeps at least the
  records the engine keeps (`sluice.engine.tasks.filters`): the engine still applies every task,
  so a pushed-down filter may keep more, never fewer. Where that cannot be guaranteed the filter
  is not pushed down:
  - strings: only EQUAL_TO (SOQL `=` ignores case, so it keeps a superset) and CONTAINS (`LIKE`,
    also case-insensitive), never orderings or NOT_EQUAL_TO (collation and case differ);
  - numbers, dates, datetimes: every operator; NOT_EQUAL_TO adds `!= null` as the engine drops nulls;
  - booleans: EQUAL_TO / NOT_EQUAL_TO with the exact text `true` / `false`;
  - a Filter whose DATA_TYPE makes the engine compare differently from the field's own type
    (e.g. numbers as text), or whose operands do not parse the way the engine parses them.

Salesforce stores datetimes to the second (dates to the day, int fields to 1), so an operand
between two such values is rounded outward (`> floor`, `< ceil`), which keeps the same records.
Operands are read with the engine's own literal readers (`sluice.literals`), so the
pushed-down comparison and the engine's agree on what a value means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sluice.connectors.pushdown import ORDERINGS, operands
from sluice.literals import EPOCH as _EPOCH
from sluice.literals import comparison_kind, parse_micros, parse_number

NUMBER_TYPES = frozenset({"int", "double", "percent", "currency"})
TIME_TYPES = frozenset({"date", "datetime"})
EQUALITY_STRING_TYPES = frozenset({
    "id", "reference", "string", "picklist", "phone", "url", "email", "combobox", "textarea",
})
LIKE_TYPES = frozenset({"string", "phone", "url", "email", "combobox", "textarea"})
COMPARISONS = frozenset({*ORDERINGS, "EQUAL_TO", "NOT_EQUAL_TO", "BETWEEN", "CONTAINS"})
WINDOW_FIELDS = ("LastModifiedDate", "SystemModstamp")

_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_LIKE_ESCAPES = {"%": "\\%", "_": "\\_"}
# Units of the values Salesforce stores, in microseconds (datetime, date) or ones (int).
_SECOND = 1_000_000
_DAY = 86_400 * _SECOND
_MAX_EXACT_INT = 2**53


# -- literals ---------------------------------------------------------------------------------


def quote(text: str, *, like: bool = False) -> str:
    """A SOQL string literal; in a LIKE pattern `%` and `_` are escaped too."""
    escaped = "".join(_ESCAPES.get(c) or (_LIKE_ESCAPES.get(c, c) if like else c) for c in text)
    return f"'{escaped}'"


def datetime_literal(micros: int) -> str:
    """`YYYY-MM-DDThh:mm:ssZ` (whole seconds, as SOQL documents) for epoch microseconds."""
    moment = _EPOCH + timedelta(microseconds=micros)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z"


def date_literal(micros: int) -> str:
    """`YYYY-MM-DD` for epoch microseconds (midnight UTC of that day)."""
    moment = _EPOCH + timedelta(microseconds=micros)
    return f"{moment.year:04d}-{moment:%m-%d}"


def number_literal(value: Decimal) -> str:
    """A number written plainly (no exponent), as SOQL reads it."""
    return format(value, "f")








# -- how the engine compares ------------------------------------------------------------------





def _natural_kind(sf_type: str, field: Mapping[str, Any]) -> str:
    """The engine's kind for a column of this field's Arrow type (`filters.column_kind`)."""
    if sf_type in NUMBER_TYPES:
        return "number"
    if sf_type in TIME_TYPES:
        return "datetime"
    return "string"




# -- conditions -------------------------------------------------------------------------------


def _bound(name: str, op: str, value: Any, unit: int, render: Any) -> str:
    """`name op value` on values stored in multiples of `unit`, rounding a value between them outward."""
    if value % unit == 0:
        return f"{name} {op} {render(value)}"
    low = (value // unit) * unit
    if op in (">", ">="):
        return f"{name} > {render(low)}"
    return f"{name} < {render(low + unit)}"


def _granular(name: str, operator: str, values: Sequence[Any], unit: int, render: Any) -> str | None:
    if operator == "BETWEEN":
        return f"({_bound(name, '>=', values[0], unit, render)} AND {_bound(name, '<=', values[1], unit, render)})"
    if operator in ORDERINGS:
        return _bound(name, ORDERINGS[operator], values[0], unit, render)
    if any(v % unit for v in values):
        return None  # equality with a value Salesforce cannot store: leave it to the engine
    literals = ", ".join(render(v) for v in values)
    if operator == "EQUAL_TO":
        return f"{name} = {literals}" if len(values) == 1 else f"{name} IN ({literals})"
    if operator == "NOT_EQUAL_TO":
        test = f"{name} != {literals}" if len(values) == 1 else f"{name} NOT IN ({literals})"
        return f"({test} AND {name} != null)"
    return None


def _numeric(name: str, operator: str, texts: list[str], sf_type: str) -> str | None:
    numbers = [parse_number(t) for t in texts]
    if any(n is None for n in numbers):
        return None
    values: list[Decimal] = [n for n in numbers if n is not None]
    if sf_type == "int":
        if any(abs(v) >= _MAX_EXACT_INT for v in values):
            return None
        # Exact fractions, so an operand between two whole numbers rounds outward onto them.
        return _granular(name, operator, [Fraction(v) for v in values], 1, lambda f: str(int(f)))
    if operator == "BETWEEN":
        return f"({name} >= {number_literal(values[0])} AND {name} <= {number_literal(values[1])})"
    if operator in ORDERINGS:
        return f"{name} {ORDERINGS[operator]} {number_literal(values[0])}"
    literals = ", ".join(number_literal(v) for v in values)
    if operator == "EQUAL_TO":
        return f"{name} = {literals}" if len(values) == 1 else f"{name} IN ({literals})"
    if operator == "NOT_EQUAL_TO":
        test = f"{name} != {literals}" if len(values) == 1 else f"{name} NOT IN ({literals})"
        return f"({test} AND {name} != null)"
    return None


def _temporal(name: str, operator: str, texts: list[str], sf_type: str) -> str | None:
    parsed = [parse_micros(t) for t in texts]
    if any(p is None for p in parsed):
        return None
    values = [p for p in parsed if p is not None]
    if sf_type == "date":
        return _granular(name, operator, values, _DAY, date_literal)
    return _granular(name, operator, values, _SECOND, datetime_literal)


def _textual(name: str, operator: str, texts: list[str], sf_type: str) -> str | None:
    if sf_type == "boolean":
        if operator not in ("EQUAL_TO", "NOT_EQUAL_TO") or len(texts) != 1 or texts[0] not in ("true", "false"):
            return None
        return f"{name} {'=' if operator == 'EQUAL_TO' else '!='} {texts[0]}"
    if operator == "CONTAINS" and sf_type in LIKE_TYPES:
        likes = [f"{name} LIKE '%{quote(t, like=True)[1:-1]}%'" for t in texts]
        return likes[0] if len(likes) == 1 else "(" + " OR ".join(likes) + ")"
    if operator == "EQUAL_TO" and sf_type in EQUALITY_STRING_TYPES:
        literals = ", ".join(quote(t) for t in texts)
        return f"{name} = {literals}" if len(texts) == 1 else f"{name} IN ({literals})"
    return None


def condition(task: Mapping[str, Any], field: Mapping[str, Any] | None) -> str | None:
    """The SOQL condition for one Filter task over a described field, or None (not pushed down)."""
    if task.get("taskType") != "Filter" or field is None:
        return None
    operators = [v for v in (task.get("connectorOperator") or {}).values() if v is not None]
    sources = task.get("sourceFields") or []
    if len(operators) != 1 or operators[0] not in COMPARISONS or len(sources) != 1:
        return None
    if field.get("filterable") is False:
        return None
    operator = str(operators[0])
    props = task.get("taskProperties") or {}
    texts = operands(operator, props)
    if texts is None:
        return None
    name = str(field.get("name") or sources[0])
    sf_type = str(field.get("type") or "")
    natural = _natural_kind(sf_type, field)
    kind = "string" if operator == "CONTAINS" else (comparison_kind(props.get("DATA_TYPE")) or natural)
    if kind != natural:
        return None  # the engine compares differently from Salesforce's own type
    if kind == "number":
        return _numeric(name, operator, texts, sf_type)
    if kind == "datetime":
        return _temporal(name, operator, texts, sf_type)
    return _textual(name, operator, texts, sf_type)


def window_condition(
    field: Mapping[str, Any] | None, name: str, start: float | None, end: float | None
) -> str | None:
    """`(name > start AND name <= end)` for the incremental window; None when not expressible."""
    if end is None:
        return None
    sf_type = str((field or {}).get("type") or "datetime")
    if sf_type not in TIME_TYPES:
        return None  # the engine's window filter (by datetimeTypeFieldName) still applies
    unit, render = (_DAY, date_literal) if sf_type == "date" else (_SECOND, datetime_literal)
    parts = [_bound(name, "<=", round(end * 1_000_000), unit, render)]
    if start is not None:
        parts.insert(0, _bound(name, ">", round(start * 1_000_000), unit, render))
    return "(" + " AND ".join(parts) + ")"


def window_field_for(window_field: str | None, fields: Mapping[str, Mapping[str, Any]]) -> str:
    """The field an incremental window reads: the flow's, else LastModifiedDate (or SystemModstamp)."""
    if window_field:
        return window_field
    if not fields or WINDOW_FIELDS[0] in fields:
        return WINDOW_FIELDS[0]
    return WINDOW_FIELDS[1] if WINDOW_FIELDS[1] in fields else WINDOW_FIELDS[0]


def where_clause(
    tasks: Sequence[Mapping[str, Any]],
    window_field: str | None,
    window_start: float | None,
    window_end: float | None,
    field_types: Mapping[str, Mapping[str, Any]],
) -> str:
    """The conditions (joined with AND) for the window and the pushed-down filters; "" for none."""
    parts: list[str] = []
    if window_end is not None:
        name = window_field_for(window_field, field_types)
        window = window_condition(field_types.get(name), name, window_start, window_end)
        if window:
            parts.append(window)
    for task in tasks:
        sources = task.get("sourceFields") or [None]
        found = condition(task, field_types.get(str(sources[0])))
        if found and found not in parts:
            parts.append(found)
    return " AND ".join(parts)


def build_query(
    object_name: str,
    fields: Sequence[str],
    tasks: Sequence[Mapping[str, Any]] = (),
    window_field: str | None = None,
    window_start: float | None = None,
    window_end: float | None = None,
    field_types: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """`SELECT fields FROM object [WHERE window AND filters]`; `field_types` maps names to describe fields."""
    where = where_clause(tasks, window_field, window_start, window_end, field_types or {})
    query = f"SELECT {', '.join(fields)} FROM {object_name}"
    return f"{query} WHERE {where}" if where else query


def count_query(object_name: str, where: str) -> str:
    """`SELECT COUNT() FROM object [WHERE ...]` (AUTOMATIC's choice between REST and Bulk)."""
    query = f"SELECT COUNT() FROM {object_name}"
    return f"{query} WHERE {where}" if where else query
