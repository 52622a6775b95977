"""SOQL tokens and literals: the tokenizer, string escapes, datetime normalisation and date literals."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .errors import SalesforceError

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>[+-]?\d+(?:\.\d+)?)
  | (?P<string>')
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),:])
""", re.VERBOSE)
# Escapes allowed in SOQL string literals; \% and \_ stay escaped so LIKE can tell them from wildcards.
_ESCAPES = {"n": "\n", "N": "\n", "t": "\t", "T": "\t", "r": "\r", "R": "\r", "b": "\b", "B": "\b", "f": "\f",
            "F": "\f", '"': '"', "'": "'", "\\": "\\"}
@dataclass
class Token:
    kind: str  # ident, string, number, date, datetime, op, punct, eof
    value: object
    pos: int
    text: str


@dataclass
class LikeString:
    """A string literal keeping both its plain value and a SQLite LIKE pattern (escape char backslash)."""

    value: str
    pattern: str


def point_at(soql: str, pos: int, message: str) -> str:
    return f"\n{soql}\n{' ' * pos}^\nERROR at Row:1:Column:{pos + 1}\n{message}"


def tokenize(soql: str) -> list[Token]:
    """Split a SOQL statement into tokens; string escapes are decoded here."""
    tokens, pos = [], 0
    while pos < len(soql):
        m = _TOKEN.match(soql, pos)
        if not m:
            raise SalesforceError(400, "MALFORMED_QUERY", point_at(soql, pos, f"unexpected token: '{soql[pos]}'"))
        kind = m.lastgroup
        if kind == "string":
            value, end = _read_string(soql, pos)
            tokens.append(Token("string", value, pos, soql[pos:end]))
            pos = end
            continue
        if kind != "ws":
            text = m.group()
            value: object = text
            if kind == "number":
                value = float(text) if "." in text else int(text)
            tokens.append(Token(kind, value, pos, text))
        pos = m.end()
    tokens.append(Token("eof", None, len(soql), "<EOF>"))
    return tokens


def _read_string(soql: str, start: int) -> tuple[LikeString, int]:
    plain, pattern, i = [], [], start + 1
    while i < len(soql):
        c = soql[i]
        if c == "'":
            return LikeString("".join(plain), "".join(pattern)), i + 1
        if c == "\\":
            nxt = soql[i + 1:i + 2]
            if nxt in ("%", "_"):
                plain.append(nxt)
                pattern.append("\\" + nxt)
            elif nxt in _ESCAPES:
                plain.append(_ESCAPES[nxt])
                pattern.append("\\\\" if nxt == "\\" else _ESCAPES[nxt])
            else:
                raise SalesforceError(400, "MALFORMED_QUERY", point_at(
                    soql, i, f"Invalid string literal '{soql[start:i + 2]}'. Illegal escape sequence '\\{nxt}'"))
            i += 2
            continue
        plain.append(c)
        pattern.append(c)
        i += 1
    raise SalesforceError(400, "MALFORMED_QUERY", point_at(soql, start, "unexpected token: <EOF>"))


def utc_text(text: str) -> str:
    """A SOQL datetime literal as the stored UTC text with milliseconds."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def date_range(name: str, n: int | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """[start, end) of a date literal such as TODAY, LAST_N_DAYS:n, THIS_MONTH (weeks start on Sunday)."""
    day = dt.timedelta(days=1)
    week0 = today - dt.timedelta(days=(today.weekday() + 1) % 7)
    month0 = today.replace(day=1)
    next_month0 = (month0 + dt.timedelta(days=32)).replace(day=1)
    prev_month0 = (month0 - day).replace(day=1)
    ranges = {
        "TODAY": (today, today + day), "YESTERDAY": (today - day, today), "TOMORROW": (today + day, today + 2 * day),
        "THIS_WEEK": (week0, week0 + 7 * day), "LAST_WEEK": (week0 - 7 * day, week0),
        "NEXT_WEEK": (week0 + 7 * day, week0 + 14 * day), "THIS_MONTH": (month0, next_month0),
        "LAST_MONTH": (prev_month0, month0), "NEXT_MONTH": (next_month0, (next_month0 + 32 * day).replace(day=1)),
        "THIS_YEAR": (dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1)),
        "LAST_YEAR": (dt.date(today.year - 1, 1, 1), dt.date(today.year, 1, 1)),
        "NEXT_YEAR": (dt.date(today.year + 1, 1, 1), dt.date(today.year + 2, 1, 1)),
        "LAST_90_DAYS": (today - 90 * day, today + day), "NEXT_90_DAYS": (today + day, today + 91 * day),
    }
    if name in ranges and n is None:
        return ranges[name]
    if n is not None:
        if name == "LAST_N_DAYS":
            return today - n * day, today + day
        if name == "NEXT_N_DAYS":
            return today + day, today + (n + 1) * day
        if name == "N_DAYS_AGO":
            return today - n * day, today - (n - 1) * day
    raise KeyError(name)


DATE_LITERALS = {"TODAY", "YESTERDAY", "TOMORROW", "THIS_WEEK", "LAST_WEEK", "NEXT_WEEK", "THIS_MONTH",
                 "LAST_MONTH", "NEXT_MONTH", "THIS_YEAR", "LAST_YEAR", "NEXT_YEAR", "LAST_90_DAYS", "NEXT_90_DAYS"}
DATE_N_LITERALS = {"LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO"}
