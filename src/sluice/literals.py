"""How a task property's text reads: a number, a datetime, a list, a type's kind (below every layer).

The engine applies Filter tasks with these readings (`engine/tasks/spec.py` imports them), and
connectors that push filters down to their system (Salesforce SOQL, custom connectors' filter
expressions) must read the same text the same way, or a pushed-down filter could keep different
records. One definition serves both, so it sits below both layers and imports neither.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

NUMBER_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
EPOCH_TEXT = re.compile(r"^-?\d{1,15}$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Kind = Literal["number", "datetime", "string"]
Family = Literal["integer", "float", "boolean", "datetime", "date", "string"]

_INTEGER_NAMES = frozenset({"integer", "int", "long", "short", "byte", "bigint", "smallint", "tinyint"})
_FLOAT_NAMES = frozenset({"double", "float", "number", "numeric", "decimal", "currency", "percent", "real"})
_STRING_NAMES = frozenset({
    "string", "str", "text", "textarea", "varchar", "char", "id", "email", "phone", "url", "picklist",
    "multipicklist", "reference", "combobox",
})


def parse_number(text: str) -> Decimal | None:
    """The exact decimal written in `text` (no NaN, infinity or digit separators), else None."""
    text = text.strip()
    if not NUMBER_TEXT.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def parse_micros(text: str) -> int | None:
    """Microseconds since the epoch (UTC) for ISO-8601 text or integer epoch milliseconds, else None.

    A datetime without a zone is taken as UTC; a bare date is its midnight UTC.
    """
    text = text.strip()
    if EPOCH_TEXT.match(text):
        return int(text) * 1000
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def family(type_name: str | None) -> Family | None:
    """The value family a connector data type name belongs to (liberal); None if unknown."""
    if not type_name:
        return None
    name = re.sub(r"[^a-z0-9]", "", type_name.lower())
    if name in _INTEGER_NAMES or name.startswith(("int", "uint")):
        return "integer"
    if name in _FLOAT_NAMES or name.startswith(("float", "double", "decimal", "numeric")):
        return "float"
    if name in {"boolean", "bool"}:
        return "boolean"
    if name == "date":
        return "date"
    if name.startswith(("datetime", "timestamp")):
        return "datetime"
    if name in _STRING_NAMES:
        return "string"
    return None


def comparison_kind(type_name: str | None) -> Kind | None:
    """How a Filter compares: numbers, datetimes or strings; None lets the column's type decide."""
    fam = family(type_name)
    if fam in ("integer", "float"):
        return "number"
    if fam in ("datetime", "date"):
        return "datetime"
    return None if type_name is None else "string"


def parse_list(text: str) -> list[str]:
    """A list property: a JSON array (`["a","b"]`, as AppFlow's console writes) or `a,b`."""
    stripped = text.strip()
    if stripped.startswith(("[", "{")):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(f"is not a valid JSON array ({exc.msg})") from None
        if not isinstance(items, list) or not all(isinstance(i, str | int | float) for i in items):
            raise ValueError("must be a JSON array of field names")
        return [str(i) for i in items]
    return [part.strip() for part in stripped.split(",") if part.strip()]
