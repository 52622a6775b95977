"""System query options of the fake SAP service: `$filter` expressions and key predicates.

Follows the OData V2 URI conventions (https://www.odata.org/documentation/odata-version-2-0/uri-conventions/,
sections 4.5 `$filter` and 2 "Addressing entries") and the V4 URL conventions
(http://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part2-url-conventions.html, 5.1.1): logical
operators `eq ne gt ge lt le and or not`, parentheses, functions `substringof(text, Field)` (V2),
`contains(Field, text)` (V4), `startswith`, `endswith`, `tolower`, `toupper`; literals `'text'` (a
quote doubled inside), `datetime'2024-01-01T00:00:00'`, `datetimeoffset'...Z'`, `guid'...'`,
`time'PT12H'`, numbers with the V2 suffixes `L` (Int64), `M` (Decimal), `d`, `f`, `true`, `false`,
`null`, and bare V4 dates / instants (`2024-01-01`, `2024-01-01T00:00:00Z`).
Anything else is a syntax error, which the service answers 400 with SAP's error body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .model import EntitySet

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<typed>(?:datetimeoffset|datetime|guid|time|binary|X)'(?:[^']|'')*')
    | (?P<instant>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[LlMmDdFf]?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_/.]*)
    | (?P<punct>[(),=])
    )""", re.VERBOSE)

COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}


class FilterError(ValueError):
    """A `$filter` the service cannot parse or apply."""


def tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise FilterError(f"Invalid token at position {position} in '{text}'")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


def parse_instant(text: str) -> int:
    """Epoch milliseconds of an ISO instant (no zone: UTC)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def literal(kind: str, text: str) -> Any:
    """The Python value of a literal token."""
    if kind == "string":
        return text[1:-1].replace("''", "'")
    if kind == "typed":
        prefix, _, rest = text.partition("'")
        body = rest[:-1].replace("''", "'")
        if prefix in ("datetime", "datetimeoffset"):
            try:
                return parse_instant(body)
            except ValueError:
                raise FilterError(f"Invalid {prefix} literal '{body}'") from None
        return body
    if kind == "instant":
        try:
            return parse_instant(text)
        except ValueError:
            raise FilterError(f"Invalid date literal '{text}'") from None
    if kind == "number":
        try:
            return Decimal(text.rstrip("LlMmDdFf"))
        except InvalidOperation:
            raise FilterError(f"Invalid number '{text}'") from None
    raise FilterError(f"Unexpected '{text}'")


Predicate = Callable[[dict[str, Any]], Any]


class _Parser:
    def __init__(self, text: str, entity: EntitySet) -> None:
        self.items = tokens(text)
        self.at = 0
        self.entity = entity

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self) -> tuple[str, str]:
        item = self.peek()
        if item is None:
            raise FilterError("Unexpected end of $filter")
        self.at += 1
        return item

    def expect(self, value: str) -> None:
        _, text = self.take()
        if text != value:
            raise FilterError(f"Expected '{value}' but found '{text}'")

    def parse(self) -> Predicate:
        result = self.disjunction()
        if self.peek() is not None:
            raise FilterError(f"Unexpected '{self.peek()[1]}'")  # type: ignore[index]
        return result

    def disjunction(self) -> Predicate:
        left = self.conjunction()
        while (item := self.peek()) and item == ("name", "or"):
            self.take()
            right = self.conjunction()
            left = (lambda a, b: lambda r: bool(a(r)) or bool(b(r)))(left, right)
        return left

    def conjunction(self) -> Predicate:
        left = self.negation()
        while (item := self.peek()) and item == ("name", "and"):
            self.take()
            right = self.negation()
            left = (lambda a, b: lambda r: bool(a(r)) and bool(b(r)))(left, right)
        return left

    def negation(self) -> Predicate:
        if self.peek() == ("name", "not"):
            self.take()
            inner = self.negation()
            return lambda r: not inner(r)
        return self.comparison()

    def comparison(self) -> Predicate:
        left = self.operand()
        item = self.peek()
        if item and item[0] == "name" and item[1] in COMPARISONS:
            self.take()
            right = self.operand()
            return _compare(item[1], left, right)
        return left

    def operand(self) -> Predicate:
        kind, text = self.take()
        if text == "(":
            inner = self.disjunction()
            self.expect(")")
            return inner
        if kind == "name":
            if self.peek() == ("punct", "("):
                return self.function(text)
            if text in ("true", "false"):
                value = text == "true"
                return lambda r: value
            if text == "null":
                return lambda r: None
            prop = self.entity.prop(text)
            if prop is None:
                raise FilterError(f"Property {text} not found in type {self.entity.type_name}")
            if not prop.filterable:
                raise FilterError(f"Property {text} is not filterable")
            return _reader(text, prop.type)
        value = literal(kind, text)
        return lambda r: value

    def function(self, name: str) -> Predicate:
        self.expect("(")
        args = [self.disjunction()]
        while self.peek() == ("punct", ","):
            self.take()
            args.append(self.disjunction())
        self.expect(")")
        text_of = _text
        if name == "substringof" and len(args) == 2:
            return lambda r: (text_of(args[0](r)) or "") in (text_of(args[1](r)) or "")
        if name == "contains" and len(args) == 2:
            return lambda r: (text_of(args[1](r)) or "") in (text_of(args[0](r)) or "")
        if name == "startswith" and len(args) == 2:
            return lambda r: (text_of(args[0](r)) or "").startswith(text_of(args[1](r)) or "")
        if name == "endswith" and len(args) == 2:
            return lambda r: (text_of(args[0](r)) or "").endswith(text_of(args[1](r)) or "")
        if name == "tolower" and len(args) == 1:
            return lambda r: (text_of(args[0](r)) or "").lower()
        if name == "toupper" and len(args) == 1:
            return lambda r: (text_of(args[0](r)) or "").upper()
        raise FilterError(f"Function {name} with {len(args)} argument(s) is not supported")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _reader(name: str, edm: str) -> Predicate:
    if edm in ("Edm.Decimal", "Edm.Int64", "Edm.Int32", "Edm.Int16", "Edm.Byte", "Edm.Double", "Edm.Single"):
        def number(r: dict[str, Any]) -> Any:
            value = r.get(name)
            return None if value is None else Decimal(str(value))
        return number
    return lambda r: r.get(name)


def _compare(op: str, left: Predicate, right: Predicate) -> Predicate:
    def check(r: dict[str, Any]) -> bool:
        a, b = left(r), right(r)
        if op == "eq":
            return bool(a == b)
        if op == "ne":
            return bool(a != b)
        if a is None or b is None:
            return False
        try:
            return bool({"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op])
        except TypeError:
            raise FilterError(f"Operands of '{op}' are not comparable") from None
    return check


def parse_filter(text: str, entity: EntitySet) -> Predicate:
    """A predicate over records for a `$filter` expression; `FilterError` when it is not valid."""
    return _Parser(text, entity).parse()


def parse_key(text: str, entity: EntitySet) -> tuple[Any, ...]:
    """The key tuple of a key predicate's inside: `'0500000001'` or `DocumentID='1',ItemNumber='10'`."""
    items = tokens(text)
    if len(entity.keys) == 1 and len(items) == 1:
        return (literal(*items[0]),)
    values: dict[str, Any] = {}
    position = 0
    while position < len(items):
        name, eq, value = items[position:position + 3]
        if name[0] != "name" or eq[1] != "=":
            raise FilterError(f"Invalid key predicate '{text}'")
        values[name[1]] = literal(*value)
        position += 4  # skip the comma
    if set(values) != set(entity.keys):
        raise FilterError(f"Invalid key predicate '{text}'")
    return tuple(values[k] for k in entity.keys)
