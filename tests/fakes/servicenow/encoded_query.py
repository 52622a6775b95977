"""ServiceNow encoded queries (`sysparm_query`) translated to SQLite for the fake instance.

Grammar followed (docs: "Operators available for filters and queries",
https://docs.servicenow.com/bundle/vancouver-platform-user-interface/page/use/common-ui-elements/reference/r_OpAvailableFiltersQueries.html):
conditions `<field><operator><value>` joined by `^` (AND) and `^OR` (OR with the condition before),
`^NQ` starting a new OR'ed group, `ORDERBY<field>` / `ORDERBYDESC<field>` terms, `^^` for a literal caret.
Operators: = != > >= < <= LIKE NOTLIKE STARTSWITH ENDSWITH IN NOT IN ISEMPTY ISNOTEMPTY EMPTYSTRING
ANYTHING BETWEEN (`a@b`, inclusive). A dot-walked field (`caller_id.name`) follows a reference.
Datetime values may be `javascript:gs.dateGenerate('2024-01-01','10:00:00')`.

As on the platform by default, a condition naming an unknown field (or an unusable value) is ignored;
`invalid_returns_no_rows=True` models the `glide.invalid_query.returns_no_rows` property instead.
String matching ignores (ASCII) case, as the platform's database collation does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import schema

OPERATORS = ("ISNOTEMPTY", "ISEMPTY", "EMPTYSTRING", "ANYTHING", "NOT LIKE", "NOTLIKE", "NOT IN", "STARTSWITH",
             "ENDSWITH", "LIKE", "IN", "BETWEEN", "!=", ">=", "<=", "=", ">", "<")
_FIELD = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")
_JS_DATE = re.compile(r"javascript:\s*gs\.dateGenerate\((.*)\)\s*$")
_QUOTED = re.compile(r"""['"]([^'"]*)['"]""")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class InvalidCondition(ValueError):
    """A condition the platform would not understand (unknown field, bad number...)."""


@dataclass
class Translation:
    """SQL for one encoded query against a hierarchy's physical table."""

    where: str = "1"
    params: list = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (column, descending)
    invalid: bool = False


def split_terms(query: str) -> list[str]:
    """The `^`-separated terms of `query` (`^^` is a literal caret inside a value)."""
    terms, current, i = [], [], 0
    while i < len(query):
        ch = query[i]
        if ch == "^":
            if query[i + 1:i + 2] == "^":
                current.append("^")
                i += 2
                continue
            terms.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    terms.append("".join(current))
    return [t for t in terms if t != ""]


def translate(table: str, query: str, invalid_returns_no_rows: bool = False) -> Translation:
    """Translate `query` on `table` (a table name) to SQL over its hierarchy's physical table."""
    out = Translation()
    groups: list[list[list[tuple[str, list]]]] = [[]]  # groups of AND'ed clauses of OR'ed conditions
    for term in split_terms(query or ""):
        if term in ("EQ", "NQ") or term.startswith("GROUPBY"):
            if term == "NQ" and groups[-1]:
                groups.append([])
            continue
        if term.startswith("NQ"):
            groups.append([])
            term = term[2:]
        if term.startswith("ORDERBYDESC") or term.startswith("ORDERBY"):
            desc = term.startswith("ORDERBYDESC")
            name = term[len("ORDERBYDESC" if desc else "ORDERBY"):]
            if _column(table, name) is not None:
                out.order.append((name, desc))
            continue
        # Field names are lower case, so "OR" followed by one starts an OR'ed condition.
        is_or = term.startswith("OR") and bool(_FIELD.match(term[2:3]))
        if is_or:
            term = term[2:]
        try:
            condition = _condition(table, term)
        except InvalidCondition:
            out.invalid = True
            continue
        clauses = groups[-1]
        if is_or and clauses:
            clauses[-1].append(condition)
        else:
            clauses.append([condition])
    if out.invalid and invalid_returns_no_rows:
        out.where = "0"
        return out
    group_sql = []
    for clauses in groups:
        if not clauses:
            continue
        parts = []
        for ors in clauses:
            parts.append("(" + " OR ".join(sql for sql, _ in ors) + ")")
            for _, params in ors:
                out.params.extend(params)
        group_sql.append("(" + " AND ".join(parts) + ")")
    if group_sql:
        out.where = " OR ".join(group_sql)
    return out


def _column(table: str, name: str) -> schema.Column | None:
    return next((c for c in schema.columns(table) if c.element == name), None)


def _condition(table: str, term: str) -> tuple[str, list]:
    match = _FIELD.match(term)
    if not match:
        raise InvalidCondition(term)
    name, rest = match.group(0), term[match.end():]
    operator = next((op for op in OPERATORS if rest.startswith(op)), None)
    if operator is None:
        raise InvalidCondition(term)
    value = rest[len(operator):]
    head, _, tail = name.partition(".")
    column = _column(table, head)
    if column is None:
        raise InvalidCondition(term)
    if tail:  # dot-walk: <reference>.<field of the referenced table>
        if column.internal_type != "reference" or column.reference not in schema.BY_NAME:
            raise InvalidCondition(term)
        target = column.reference
        inner_sql, params = _condition(target, tail + operator + value)
        key = "name" if (table, head) in schema.NAME_KEYED else "sys_id"
        return (f'"{head}" IN (SELECT {key} FROM "{schema.root(target)}" WHERE {inner_sql})', params)
    return _compare(column, operator, value)


def _compare(column: schema.Column, operator: str, value: str) -> tuple[str, list]:
    col = f'"{column.element}"'
    if operator == "ISEMPTY":
        return f"({col} IS NULL OR {col} = '')", []
    if operator == "ISNOTEMPTY":
        return f"({col} IS NOT NULL AND {col} != '')", []
    if operator == "EMPTYSTRING":
        return f"{col} = ''", []
    if operator == "ANYTHING":
        return "1", []
    if operator in ("LIKE", "NOTLIKE", "NOT LIKE", "STARTSWITH", "ENDSWITH"):
        text = f"lower(CAST({col} AS TEXT))"
        needle = value.lower()
        if operator == "LIKE":
            return f"instr({text}, ?) > 0", [needle]
        if operator in ("NOTLIKE", "NOT LIKE"):
            return f"({col} IS NULL OR instr({text}, ?) = 0)", [needle]
        if operator == "STARTSWITH":
            return f"substr({text}, 1, ?) = ?", [len(needle), needle]
        return f"substr({text}, -?) = ?", [len(needle), needle]
    if operator in ("IN", "NOT IN"):
        items = [_value(column, v) for v in value.split(",") if v != ""]
        if not items:
            raise InvalidCondition(value)
        marks = ", ".join("?" for _ in items)
        sql = f"{_cmp_col(column)} {'NOT IN' if operator == 'NOT IN' else 'IN'} ({marks})"
        return sql, items
    if operator == "BETWEEN":
        low, sep, high = value.partition("@")
        if not sep:
            raise InvalidCondition(value)
        return f"{_cmp_col(column)} BETWEEN ? AND ?", [_value(column, low), _value(column, high)]
    return f"{_cmp_col(column)} {operator} ?", [_value(column, value)]


def _cmp_col(column: schema.Column) -> str:
    """The column as compared: strings ignore case."""
    if schema.sql_type(column) == "TEXT" and column.internal_type not in ("glide_date_time", "glide_date"):
        return f'"{column.element}" COLLATE NOCASE'
    return f'"{column.element}"'


def _value(column: schema.Column, raw: str) -> object:
    """A query value converted to how the column is stored."""
    kind = column.internal_type
    if kind in schema.INTEGER_TYPES or kind in schema.REAL_TYPES:
        try:
            number = float(raw)
        except ValueError:
            raise InvalidCondition(raw) from None
        return int(number) if kind in schema.INTEGER_TYPES and number.is_integer() else number
    if kind == "boolean":
        lowered = raw.lower()
        if lowered in ("true", "1"):
            return "true"
        if lowered in ("false", "0"):
            return "false"
        raise InvalidCondition(raw)
    if kind in ("glide_date_time", "glide_date"):
        js = _JS_DATE.match(raw.strip())
        if js:
            raw = " ".join(_QUOTED.findall(js.group(1)))
        if kind == "glide_date_time" and _DATE_ONLY.match(raw):
            raw += " 00:00:00"
        return raw
    return raw
