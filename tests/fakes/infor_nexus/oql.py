"""The subset of Infor Nexus's Object Query Language the fake evaluates.

Conditions `path op literal` joined by `AND` (case-insensitive), `op` one of `=`, `!=`, `>`, `>=`, `<`,
`<=`, or `path IN (literal, ...)`; literals are single-quoted text (`''` for a quote), numbers, `true` /
`false`. Paths are dotted into the object (`__metadata.modifyTimestamp`). Text compares as text
(ISO 8601 instants in one format order correctly), numbers as numbers. Anything else is a 400.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

OPS: dict[str, Callable[[Any, Any], bool]] = {"=": operator.eq, "!=": operator.ne, ">": operator.gt,
                                              ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(>=|<=|!=|=|>|<|\bIN\b)\s*(.+?)\s*$", re.I | re.S)


class OqlError(ValueError):
    """An OQL text the fake cannot read (answered 400)."""


def _split(text: str, separator: re.Pattern[str]) -> list[str]:
    """`text` split at `separator` outside quotes."""
    parts, start, quoted, i = [], 0, False, 0
    while i < len(text):
        if text[i] == "'":
            quoted = not quoted
        elif not quoted:
            match = separator.match(text, i)
            if match:
                parts.append(text[start:i])
                start = i = match.end()
                continue
        i += 1
    if quoted:
        raise OqlError("unterminated quote")
    parts.append(text[start:])
    return parts


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return float(text)
    except ValueError:
        raise OqlError(f"not a literal: {text}") from None


def value_at(record: Mapping[str, Any], path: str) -> Any:
    current: Any = record
    for part in path.split("."):
        current = current.get(part) if isinstance(current, Mapping) else None
    return current


def _compare(test: Callable[[Any, Any], bool], value: Any, literal: Any) -> bool:
    if value is None:
        return False
    if isinstance(literal, float) and isinstance(value, int | float) and not isinstance(value, bool):
        return test(float(value), literal)
    if isinstance(literal, bool) or isinstance(value, bool):
        return test(value, literal) if isinstance(value, bool) and isinstance(literal, bool) else False
    return isinstance(value, str) and isinstance(literal, str) and test(value, literal)


def compile_oql(text: str) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate for an OQL condition ("" keeps everything)."""
    if not text.strip():
        return lambda record: True
    tests = []
    for clause in _split(text, re.compile(r"\s+AND\s+", re.I)):
        match = _CLAUSE.match(clause)
        if not match:
            raise OqlError(f"cannot read '{clause.strip()}'")
        path, op, rest = match.group(1), match.group(2).upper(), match.group(3)
        if op == "IN":
            if not (rest.startswith("(") and rest.endswith(")")):
                raise OqlError("IN needs a parenthesised list")
            options = [_literal(p) for p in _split(rest[1:-1], re.compile(r"\s*,\s*"))]
            tests.append(lambda r, p=path, o=options: any(_compare(operator.eq, value_at(r, p), x) for x in o))
        else:
            literal = _literal(rest)
            tests.append(lambda r, p=path, t=OPS[op], x=literal: _compare(t, value_at(r, p), x))
    return lambda record: all(test(record) for test in tests)
