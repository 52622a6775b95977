"""Parse Dynatrace selector expressions: `status("open"),severityLevel("ERROR","AVAILABILITY")`.

The syntax (problemSelector, eventSelector, entitySelector) is a comma-separated list of criteria
`name(value, ...)`; values are double-quoted strings, where a tilde escapes a quote or a tilde (`~"`, `~~`),
or bare words (`true`, `123`, `now-3h`), and some criteria take a nested selector (`not(...)`,
`fromRelationships.runsOn(type("HOST"))`, `caseSensitive(entityName.equals("x"))`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Criterion:
    """One `name(args)` term: `values` are unquoted; `raw` is the text between the parentheses."""

    name: str
    values: tuple[str, ...]
    raw: str


def parse(text: str) -> list[Criterion]:
    """All top-level criteria of `text`; ValueError on unbalanced quotes or parentheses."""
    criteria = []
    for term in split_top_level(text, ","):
        term = term.strip()
        if not term:
            continue
        if "(" not in term or not term.endswith(")"):
            raise ValueError(f"'{term}' is not a criterion of the form name(value)")
        name, _, rest = term.partition("(")
        raw = rest[:-1]
        criteria.append(Criterion(name.strip(), tuple(_value(v) for v in split_top_level(raw, ",") if v.strip()), raw))
    return criteria


def split_top_level(text: str, separator: str) -> list[str]:
    """Split on `separator` outside quotes and parentheses."""
    parts, current, depth, quoted, i = [], [], 0, False, 0
    while i < len(text):
        ch = text[i]
        if quoted and ch == "~" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth < 0:
                raise ValueError("unbalanced parentheses in selector")
        if ch == separator and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    if quoted or depth:
        raise ValueError("unterminated quote or parenthesis in selector")
    parts.append("".join(current))
    return parts


def _value(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('~"', '"').replace("~~", "~")
    return text
