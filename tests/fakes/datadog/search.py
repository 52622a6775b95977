"""The part of Datadog's search syntax the fake understands, for logs and events (fake side).

Follows https://docs.datadoghq.com/logs/explorer/search_syntax/: free text (matched case-insensitively
against the message), quoted phrases, `key:value` on reserved attributes (`service`, `status`, `host`,
`source`) or tags (`env:prod`), `@path.to.attr:value` facets with `*` wildcards, comparisons
(`@http.status_code:>=400`) and ranges (`[400 TO 499]`), `key:(a OR b)`, implicit AND, `AND`, `OR`,
`NOT`/`-`, and parentheses. Anything else is a 400, as Datadog answers malformed queries.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r'\s*(?:(\()|(\))|("(?:[^"\\]|\\.)*")|(\[[^\]]*\])|([^\s()"\[]+(?:"(?:[^"\\]|\\.)*"|\[[^\]]*\])?))')


class QuerySyntaxError(ValueError):
    """A query the fake cannot parse (answered as 400)."""


@dataclass(frozen=True)
class SearchView:
    """What a query can see of one record."""

    text: str
    reserved: dict[str, Any]
    tags: list[str]
    attributes: dict[str, Any]


Predicate = Callable[[SearchView], bool]


def _tokens(query: str) -> list[str]:
    out, pos = [], 0
    while pos < len(query):
        if query[pos:].strip() == "":
            break
        match = _TOKEN.match(query, pos)
        if not match or match.end() == pos:
            raise QuerySyntaxError(f"Invalid query: {query}")
        out.append(next(g for g in match.groups() if g is not None))
        pos = match.end()
    return out


def compile_query(query: str | None) -> Predicate:
    """A predicate over `SearchView`s for a search query (`*` or empty matches everything)."""
    text = (query or "").strip()
    if text in ("", "*"):
        return lambda view: True
    parser = _Parser(_tokens(text))
    predicate = parser.parse_or()
    if parser.pos != len(parser.tokens):
        raise QuerySyntaxError(f"Invalid query: {query}")
    return predicate


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError("Invalid query: unexpected end")
        self.pos += 1
        return token

    def parse_or(self) -> Predicate:
        parts = [self.parse_and()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else (lambda view: any(p(view) for p in parts))

    def parse_and(self) -> Predicate:
        parts = [self.parse_unary()]
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.take()
            parts.append(self.parse_unary())
        return parts[0] if len(parts) == 1 else (lambda view: all(p(view) for p in parts))

    def parse_unary(self) -> Predicate:
        token = self.take()
        if token == "NOT":
            inner = self.parse_unary()
            return lambda view: not inner(view)
        if token.startswith("-") and len(token) > 1:
            self.tokens.insert(self.pos, token[1:])
            inner = self.parse_unary()
            return lambda view: not inner(view)
        if token == "(":
            inner = self.parse_or()
            if self.take() != ")":
                raise QuerySyntaxError("Invalid query: missing )")
            return inner
        if token == ")":
            raise QuerySyntaxError("Invalid query: unexpected )")
        return self.parse_term(token)

    def parse_term(self, token: str) -> Predicate:
        if token.startswith('"'):
            phrase = _unquote(token).lower()
            return lambda view: phrase in view.text.lower()
        key, sep, value = token.partition(":")
        if not sep:
            return _free_text(token)
        if value == "" and self.peek() == "(":
            self.take()
            values = [self._value_token()]
            while self.peek() == "OR":
                self.take()
                values.append(self._value_token())
            if self.take() != ")":
                raise QuerySyntaxError("Invalid query: missing )")
            tests = [_value_test(v) for v in values]
            return _field(key, lambda actual: any(t(actual) for t in tests))
        if value == "" and self.peek() is not None and self.peek().startswith(("[", '"')):  # type: ignore[union-attr]
            value = self.take()
        if value == "":
            raise QuerySyntaxError(f"Invalid query: empty value for {key}")
        return _field(key, _value_test(value))

    def _value_token(self) -> str:
        token = self.take()
        if token in ("(", ")", "OR", "AND"):
            raise QuerySyntaxError("Invalid query: value expected")
        return token


def _unquote(token: str) -> str:
    return token[1:-1].replace('\\"', '"')


def _free_text(word: str) -> Predicate:
    if "*" in word:
        pattern = f"*{word.lower()}*"
        return lambda view: fnmatch.fnmatchcase(view.text.lower(), pattern)
    lowered = word.lower()
    return lambda view: lowered in view.text.lower()


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise QuerySyntaxError(f"Invalid query: {text} is not a number") from None


def _value_test(value: str) -> Callable[[Any], bool]:
    """A test on one attribute value, from the text after `key:`."""
    if value.startswith("["):
        lo_text, _, hi_text = value[1:-1].partition(" TO ")
        lo, hi = _number(lo_text.strip()), _number(hi_text.strip())
        return lambda actual: _is_number(actual) and lo <= float(actual) <= hi
    for op, fn in ((">=", float.__ge__), ("<=", float.__le__), (">", float.__gt__), ("<", float.__lt__)):
        if value.startswith(op):
            return _compare(fn, _number(value[len(op):]))
    text = _unquote(value) if value.startswith('"') else value
    if "*" in text or "?" in text:
        return lambda actual: actual is not None and fnmatch.fnmatchcase(_as_text(actual), text)
    return lambda actual: actual is not None and _as_text(actual) == text


def _compare(fn: Callable[[float, float], bool], bound: float) -> Callable[[Any], bool]:
    return lambda actual: _is_number(actual) and fn(float(actual), bound)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _field(key: str, test: Callable[[Any], bool]) -> Predicate:
    if key.startswith("@"):
        path = key[1:].split(".")
        return lambda view: _any_value(_lookup(view.attributes, path), test)

    def reserved_or_tag(view: SearchView) -> bool:
        if key in view.reserved:
            return _any_value(view.reserved[key], test)
        return any(tag.partition(":")[0] == key and test(tag.partition(":")[2]) for tag in view.tags)

    return reserved_or_tag


def _lookup(value: Any, path: list[str]) -> Any:
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _any_value(value: Any, test: Callable[[Any], bool]) -> bool:
    if isinstance(value, list):
        return any(_any_value(v, test) for v in value)
    return test(value)
