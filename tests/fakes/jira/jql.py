"""The JQL subset the fake evaluates (what Sluice generates and the tests use).

* clauses joined by `AND` (no `OR`, `NOT` or parentheses), then an optional
  `ORDER BY <field> [ASC|DESC], ...`;
* `<field> = | != <value>`, `<field> IN (<values>)`, `<field> NOT IN (<values>)`,
  `<field> IS [NOT] EMPTY|NULL`;
* `>`, `>=`, `<`, `<=` on `created`, `updated`, `resolutiondate` / `resolved`,
  `statusCategoryChangedDate` (values `"yyyy/MM/dd HH:mm"`, `"yyyy-MM-dd HH:mm"` or a bare date, read in
  the searching user's time zone at minute resolution, as Jira reads them), on `due` / `duedate`
  (dates) and on `cf[10016]` (a number);
* `~` on `summary` (case-insensitive word match);
* fields: `project` (key, id or name), `status`, `issuetype` / `type`, `priority` (name or id),
  `assignee`, `reporter` (account id), `labels` (any label), `key` / `issuekey`, `cf[10100]`,
  `cf[10200]` (option value).

Anything else is a 400 with Jira's error body, and a query without any clause is refused as the
enhanced search refuses unbounded JQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

TOKEN = re.compile(r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<op>!=|>=|<=|!~|=|>|<|~)'
                   r'|(?P<punct>[(),])|(?P<word>[^\s=!<>~(),"\']+))')
TIMES = {"created": "created", "createddate": "created", "updated": "updated", "updateddate": "updated",
         "resolutiondate": "resolutiondate", "resolved": "resolutiondate",
         "statuscategorychangeddate": "statuscategorychangedate"}


class JqlError(ValueError):
    """A query the fake (like Jira) refuses; the message is Jira's wording."""


@dataclass
class Search:
    """A parsed query: a predicate over issues and the sort keys."""

    predicate: Callable[[dict[str, Any]], bool]
    order: list[tuple[str, bool]]  # (field, descending)
    bounded: bool


def _tokens(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise JqlError(f"Error in the JQL Query: The character '{text[position]}' is a reserved JQL character. "
                           f"(line 1, character {position + 1})")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        found.append((kind, value))
        position = match.end()
    return found


def _parse_time(text: str, zone: ZoneInfo) -> float:
    for fmt in ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=zone).timestamp()
        except ValueError:
            continue
    raise JqlError(f"Date value '{text}' for field is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
                   "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.")


def _jira_instant(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def _values_of(field: str, issue: dict[str, Any]) -> list[str]:
    """The texts a `=`-style clause on `field` compares against."""
    fields = issue["fields"]

    def named(member: Any, *keys: str) -> list[str]:
        return [] if not isinstance(member, dict) else [str(member[k]).lower() for k in keys if member.get(k)]

    if field == "project":
        return named(fields.get("project"), "key", "id", "name")
    if field in ("status", "priority"):
        return named(fields.get(field), "name", "id")
    if field in ("issuetype", "type"):
        return named(fields.get("issuetype"), "name", "id")
    if field in ("assignee", "reporter"):
        return named(fields.get(field), "accountId")
    if field == "labels":
        return [label.lower() for label in fields.get("labels") or []]
    if field in ("key", "issuekey"):
        return [issue["key"].lower(), issue["id"]]
    if field == "cf[10100]":
        return [] if fields.get("customfield_10100") is None else [str(fields["customfield_10100"]).lower()]
    if field == "cf[10200]":
        return named(fields.get("customfield_10200"), "value", "id")
    raise JqlError(f"Field '{field}' does not exist or you do not have permission to view it.")


def _compare(field: str, operator: str, value: str, zone: ZoneInfo) -> Callable[[dict[str, Any]], bool]:
    lowered = field.lower()
    if lowered in TIMES:
        bound = _parse_time(value, zone)
        member = TIMES[lowered]
        return lambda issue: _ordered(_jira_instant(issue["fields"].get(member)), operator, bound)
    if lowered in ("due", "duedate"):
        day = date.fromisoformat(value.replace("/", "-")[:10])
        return lambda issue: _ordered(None if not issue["fields"].get("duedate") else
                                      date.fromisoformat(issue["fields"]["duedate"]), operator, day)
    if lowered == "cf[10016]":
        number = float(value)
        return lambda issue: _ordered(issue["fields"].get("customfield_10016"), operator, number)
    raise JqlError(f"The operator '{operator}' is not supported by the '{field}' field.")


def _ordered(left: Any, operator: str, right: Any) -> bool:
    if left is None:
        return False
    return {"=": left == right, "!=": left != right, ">": left > right, ">=": left >= right, "<": left < right,
            "<=": left <= right}[operator]


def parse(text: str, zone: ZoneInfo) -> Search:
    """Parse `text` for a user in `zone`; `JqlError` with Jira's message when it cannot be run."""
    tokens = _tokens(text)
    order: list[tuple[str, bool]] = []
    upper = [v.upper() if k == "word" else "" for k, v in tokens]
    for i in range(len(tokens) - 1):
        if upper[i] == "ORDER" and upper[i + 1] == "BY":
            rest, tokens = tokens[i + 2:], tokens[:i]
            parts = [v for k, v in rest if k != "punct"]
            while parts:
                name = parts.pop(0)
                descending = bool(parts) and parts[0].upper() == "DESC"
                if parts and parts[0].upper() in ("ASC", "DESC"):
                    parts.pop(0)
                order.append((name, descending))
            break
    checks: list[Callable[[dict[str, Any]], bool]] = []
    position = 0

    def take() -> tuple[str, str]:
        nonlocal position
        if position >= len(tokens):
            raise JqlError("Error in the JQL Query: Expecting either a value, list or function but got "
                           f"'<EOF>'. (line 1, character {len(text) + 1})")
        position += 1
        return tokens[position - 1]

    while position < len(tokens):
        if checks:
            kind, word = take()
            if word.upper() != "AND":
                raise JqlError(f"Error in the JQL Query: Expecting 'AND' but got '{word}'.")
        _, field = take()
        kind, operator = take()
        lowered = field.lower()
        if kind == "word" and operator.upper() in ("IN", "NOT", "IS"):
            negate = False
            if operator.upper() == "NOT":
                negate = True
                take()  # IN
            if operator.upper() == "IS":
                _, next_word = take()
                negate = next_word.upper() == "NOT"
                if negate:
                    take()
                checks.append(_empty(lowered, negate))
                continue
            values = []
            take()  # (
            while True:
                kind, value = take()
                if value == ")":
                    break
                if value != ",":
                    values.append(value.lower())
            wanted = set(values)
            checks.append(lambda issue, f=lowered, w=wanted, n=negate: n != bool(set(_values_of(f, issue)) & w))
            continue
        _, value = take()
        if operator in ("=", "!=") and lowered not in TIMES and lowered not in ("due", "duedate", "cf[10016]"):
            _values_of(lowered, {"key": "", "id": "", "fields": {}})  # unknown fields fail now
            wanted_value = value.lower()
            checks.append(lambda issue, f=lowered, v=wanted_value, o=operator:
                          (v in _values_of(f, issue)) == (o == "="))
        elif operator == "~":
            if lowered != "summary":
                raise JqlError(f"The operator '~' is not supported by the '{field}' field.")
            word = value.lower()
            checks.append(lambda issue, w=word: w in re.findall(r"\w+", issue["fields"]["summary"].lower()))
        else:
            checks.append(_compare(field, operator, value, zone))
    return Search(lambda issue: all(check(issue) for check in checks), order, bool(checks))


def _empty(field: str, negate: bool) -> Callable[[dict[str, Any]], bool]:
    def check(issue: dict[str, Any]) -> bool:
        if field in TIMES:
            empty = not issue["fields"].get(TIMES[field])
        elif field in ("due", "duedate"):
            empty = not issue["fields"].get("duedate")
        else:
            empty = not _values_of(field, issue)
        return empty != negate
    return check


def sort_key(field: str) -> Callable[[dict[str, Any]], Any]:
    """The key ORDER BY `field` sorts issues by."""
    lowered = field.lower()
    if lowered in TIMES:
        return lambda issue: _jira_instant(issue["fields"].get(TIMES[lowered])) or 0.0
    if lowered in ("key", "issuekey"):
        return lambda issue: int(issue["id"])
    return lambda issue: _values_of(lowered, issue) or [""]


__all__ = ["UTC", "JqlError", "Search", "parse", "sort_key"]
