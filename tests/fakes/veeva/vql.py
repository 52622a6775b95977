"""The fake's VQL: parse `SELECT ... FROM ... [WHERE ...] [ORDER BY ...] [PAGESIZE n] [PAGEOFFSET n]`, evaluate it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

STATEMENT = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<all>ALLVERSIONS\s+)?(?P<source>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+(?P<direction>ASC|DESC))?)?"
    r"(?:\s+PAGESIZE\s+(?P<pagesize>\d+))?(?:\s+PAGEOFFSET\s+(?P<pageoffset>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL)
TERM = re.compile(r"^\s*(?P<field>\w+)\s*(?P<op>!=|<=|>=|=|<|>)\s*(?P<value>'(?:[^'\\]|\\.)*'|[\w.+\-]+)\s*$")
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}


class VqlError(Exception):
    """A query Vault refuses: (error type, message)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


@dataclass
class Statement:
    fields: list[str]
    source: str
    all_versions: bool
    terms: list[tuple[str, str, str]]
    order: str | None
    descending: bool
    pagesize: int | None
    pageoffset: int


def split_and(text: str) -> list[str]:
    """`text` split at `AND` outside quotes."""
    parts, current, quoted, i = [], [], False, 0
    while i < len(text):
        char = text[i]
        if char == "\\" and quoted:
            current.append(text[i:i + 2])
            i += 2
            continue
        if char == "'":
            quoted = not quoted
        if not quoted and re.match(r"\s+AND\s+", text[i:], re.IGNORECASE) and (i == 0 or text[i].isspace()):
            match = re.match(r"\s+AND\s+", text[i:], re.IGNORECASE)
            assert match is not None
            parts.append("".join(current))
            current = []
            i += match.end()
            continue
        current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def parse(q: str) -> Statement:
    match = STATEMENT.match(q or "")
    if match is None:
        raise VqlError("MALFORMED_URL", f"Invalid VQL query: {q!r}")
    terms = []
    if match["where"]:
        for part in split_and(match["where"]):
            term = TERM.match(part)
            if term is None:
                raise VqlError("INVALID_DATA", f"Invalid VQL query: unsupported condition {part.strip()!r}")
            terms.append((term["field"], term["op"], term["value"]))
    return Statement([f.strip() for f in match["fields"].split(",") if f.strip()], match["source"],
                     bool(match["all"]), terms, match["order"], (match["direction"] or "").upper() == "DESC",
                     int(match["pagesize"]) if match["pagesize"] else None, int(match["pageoffset"] or 0))


def _value(raw: str, kind: str) -> Any:
    text = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith("'") else raw
    if kind.lower() == "datetime":
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    if kind.lower() == "date":
        return text[:10]
    if kind.lower() == "boolean":
        return text.lower() == "true"
    if kind.lower() == "number":
        return float(text)
    return text


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind.lower() == "datetime":
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if kind.lower() == "number":
        return float(value)
    return value


def run(statement: Statement, records: Iterable[dict[str, Any]], types: dict[str, str]) -> list[dict[str, Any]]:
    """The records the statement selects, projected and ordered."""
    for name in [*statement.fields, *(t[0] for t in statement.terms), *([statement.order] if statement.order else [])]:
        if name not in types:
            raise VqlError("INVALID_DATA", f"Invalid VQL query: unknown field [{name}] on {statement.source}")
    checks = [(field, COMPARE[op], _value(raw, types[field]), types[field]) for field, op, raw in statement.terms]
    selected = []
    for record in records:
        keep = True
        for field, compare, bound, kind in checks:
            cell = _cell(record.get(field), kind)
            if cell is None or isinstance(cell, list) or not compare(cell, bound):
                keep = False
                break
        if keep:
            selected.append(record)
    if statement.order:
        order = statement.order
        selected.sort(key=lambda r: (r.get(order) is None, "" if r.get(order) is None else r.get(order)),
                      reverse=statement.descending)
    return [{name: record.get(name) for name in statement.fields} for record in selected]
