"""`$filter` for the fake: a parser of what Sluice sends and an evaluator over rows (see the package
docstring for the operators, functions and literals understood).

`parse(text, known)` gives a predicate `row -> bool`; a property not in `known` or a syntax error
raises `QueryError` with the message Dataverse's answer carries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
    | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>[(),])
    )""", re.VERBOSE)
COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
FUNCTIONS = ("contains", "startswith", "endswith")


class QueryError(ValueError):
    """A `$filter` Dataverse would refuse (the message is its answer's)."""


def _tokens(text: str) -> list[tuple[str, str, int]]:
    found, position = [], 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise QueryError(f"Syntax error at position {position} in '{text}'.")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    return found


def _instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _literal(kind: str, text: str) -> Any:
    if kind == "string":
        return text[1:-1].replace("''", "'")
    if kind == "number":
        return float(text)
    if kind in ("datetime", "date"):
        return _instant(text if kind == "datetime" else f"{text}T00:00:00Z")
    if kind == "guid":
        return text.lower()
    return {"true": True, "false": False, "null": None}[text]


def _compare(operator: str, value: Any, literal: Any) -> bool:
    if literal is None or value is None:
        same = value is None and literal is None
        return same if operator == "eq" else (not same if operator == "ne" else False)
    if isinstance(literal, datetime):
        value = _instant(str(value)) if len(str(value)) > 10 else _instant(f"{value}T00:00:00Z")
        if value is None:
            return False
    elif isinstance(literal, bool):
        value = bool(value)
    elif isinstance(literal, float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return False
    else:  # text and GUIDs: Dataverse's default collation ignores case
        value, literal = str(value).lower(), str(literal).lower()
    return {"eq": value == literal, "ne": value != literal, "gt": value > literal, "ge": value >= literal,
            "lt": value < literal, "le": value <= literal}[operator]


class _Parser:
    def __init__(self, text: str, known: Collection[str], entity: str) -> None:
        self.text, self.known, self.entity = text, known, entity
        self.tokens = _tokens(text)
        self.at = 0

    def fail(self) -> QueryError:
        position = self.tokens[self.at][2] if self.at < len(self.tokens) else len(self.text)
        return QueryError(f"Syntax error at position {position} in '{self.text}'.")

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, kind: str | None = None, text: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if token is None or (kind and token[0] != kind) or (text and token[1] != text):
            raise self.fail()
        self.at += 1
        return token

    def word(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "name" and token[1] == text:
            self.at += 1
            return True
        return False

    def property(self) -> str:
        name = self.take("name")[1]
        if name not in self.known:
            raise QueryError(f"Could not find a property named '{name}' on type "
                             f"'Microsoft.Dynamics.CRM.{self.entity}'.")
        return name

    def literal(self) -> Any:
        token = self.peek()
        if token is None:
            raise self.fail()
        if token[0] == "name" and token[1] not in ("true", "false", "null"):
            raise self.fail()
        if token[0] not in ("string", "number", "datetime", "date", "guid", "name"):
            raise self.fail()
        self.at += 1
        return _literal(token[0], token[1])

    def expression(self) -> Predicate:
        left = self.conjunction()
        while self.word("or"):
            right, before = self.conjunction(), left
            left = lambda row, a=before, b=right: a(row) or b(row)  # noqa: E731
        return left

    def conjunction(self) -> Predicate:
        left = self.negation()
        while self.word("and"):
            right, before = self.negation(), left
            left = lambda row, a=before, b=right: a(row) and b(row)  # noqa: E731
        return left

    def negation(self) -> Predicate:
        if self.word("not"):
            inner = self.negation()
            return lambda row: not inner(row)
        return self.primary()

    def primary(self) -> Predicate:
        token = self.peek()
        if token is None:
            raise self.fail()
        if token == ("punct", "(", token[2]):
            self.at += 1
            inner = self.expression()
            self.take("punct", ")")
            return inner
        if token[0] == "name" and token[1] in FUNCTIONS:
            self.at += 1
            self.take("punct", "(")
            name = self.property()
            self.take("punct", ",")
            needle = self.literal()
            self.take("punct", ")")
            if not isinstance(needle, str):
                raise self.fail()
            test = {"contains": lambda v, n: n in v, "startswith": str.startswith, "endswith": str.endswith}[token[1]]
            return lambda row: row.get(name) is not None and test(str(row[name]).lower(), needle.lower())
        name = self.property()
        operator = self.take("name")[1]
        if operator not in COMPARISONS:
            self.at -= 1
            raise self.fail()
        value = self.literal()
        return lambda row: _compare(operator, row.get(name), value)


def parse(text: str, known: Collection[str], entity: str) -> Predicate:
    """The predicate of a `$filter` over rows with the properties `known` of `entity`."""
    parser = _Parser(text, known, entity)
    predicate = parser.expression()
    if parser.peek() is not None:
        raise parser.fail()
    return predicate
