"""A flow's Filter tasks as an OData `$filter` (connectors layer, shared OData; SAP OData, Dynamics 365).

AppFlow's operators map to OData's (V2 URI conventions 4.5, V4 URL conventions 5.1.1):
EQUAL_TO `eq`, NOT_EQUAL_TO `ne`, LESS_THAN `lt`, LESS_THAN_OR_EQUAL_TO `le`, GREATER_THAN `gt`,
GREATER_THAN_OR_EQUAL_TO `ge`, BETWEEN `(f ge a and f le b)`, CONTAINS `substringof('v',f)` (V2)
or `contains(f,'v')` (V4); several VALUES of EQUAL_TO become `(f eq a or f eq b)`. Comparisons
are joined with `and`, as the flow's Filter tasks all apply.

Literals are written by the property's EDM type: text quoted (a quote doubled), `Edm.Int64` with
`L` and `Edm.Decimal` with `M` (V2), `Edm.Double` with `d` (V2), booleans bare, instants as
`datetime'2024-01-01T00:00:00'` / `datetimeoffset'...Z'` (V2) or bare ISO text (V4), `Edm.Date`
bare, `Edm.Guid` as `guid'...'` (V2). A comparison Sluice cannot write (a value that does not
read as its type, a field the service marks not filterable, a struct) is not pushed down: the engine
still applies every Filter task, so pushing down only saves transfer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sluice.connectors.rest.entities import Condition, Field
from sluice.literals import parse_micros

COMPARISON = {"EQUAL_TO": "eq", "NOT_EQUAL_TO": "ne", "LESS_THAN": "lt", "LESS_THAN_OR_EQUAL_TO": "le",
              "GREATER_THAN": "gt", "GREATER_THAN_OR_EQUAL_TO": "ge"}
_INTEGERS = ("Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte", "Edm.SByte")


def _instant(micros: int, edm: str, v4: bool) -> str:
    moment = datetime.fromtimestamp(micros / 1_000_000, UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    if v4:
        return text + "Z"
    return f"datetimeoffset'{text}Z'" if edm == "Edm.DateTimeOffset" else f"datetime'{text}'"


def literal(field: Field, text: str, v4: bool) -> str | None:
    """The OData literal of an operand for `field`, or None when it does not read as the field's type."""
    edm = field.vendor_type or "Edm.String"
    value = text.strip()
    if edm in _INTEGERS:
        try:
            number = int(Decimal(value))
        except (InvalidOperation, ValueError):
            return None
        return f"{number}L" if edm == "Edm.Int64" and not v4 else str(number)
    if edm in ("Edm.Decimal", "Edm.Double", "Edm.Single"):
        try:
            number_text = str(Decimal(value))
        except InvalidOperation:
            return None
        if v4:
            return number_text
        return f"{number_text}M" if edm == "Edm.Decimal" else f"{number_text}d"
    if edm == "Edm.Boolean":
        lowered = value.lower()
        return lowered if lowered in ("true", "false") else None
    if edm in ("Edm.DateTime", "Edm.DateTimeOffset"):
        micros = parse_micros(value)
        return None if micros is None else _instant(micros, edm, v4)
    if edm == "Edm.Date":
        micros = parse_micros(value)
        return None if micros is None else datetime.fromtimestamp(micros / 1_000_000, UTC).strftime("%Y-%m-%d")
    if edm == "Edm.Guid" and not v4:
        return f"guid'{value}'"
    if edm == "Edm.Guid":
        return value
    return "'" + text.replace("'", "''") + "'"


def comparison(field: Field, condition: Condition, v4: bool) -> str | None:
    """One Filter task as an OData expression, or None when it is not pushed down."""
    if condition.operator not in field.operators(frozenset((*COMPARISON, "BETWEEN", "CONTAINS"))):
        return None
    name = field.name
    values = [literal(field, v, v4) for v in condition.values]
    if any(v is None for v in values) or not values:
        return None
    if condition.operator == "BETWEEN":
        if len(values) != 2:
            return None
        return f"({name} ge {values[0]} and {name} le {values[1]})"
    if condition.operator == "CONTAINS":
        if field.vendor_type != "Edm.String" or len(values) != 1:
            return None
        return f"contains({name},{values[0]})" if v4 else f"substringof({values[0]},{name})"
    operator = COMPARISON[condition.operator]
    if len(values) == 1:
        return f"{name} {operator} {values[0]}"
    if operator == "eq":
        return "(" + " or ".join(f"{name} eq {v}" for v in values) + ")"
    if operator == "ne":
        return "(" + " and ".join(f"{name} ne {v}" for v in values) + ")"
    return None


def window(field: Field, start: float | None, end: float | None, v4: bool) -> list[str]:
    """The incremental window `(start, end]` on a datetime field, as comparisons."""
    edm = field.vendor_type
    if edm not in ("Edm.DateTime", "Edm.DateTimeOffset"):
        return []
    terms = []
    if start is not None:
        terms.append(f"{field.name} gt {_instant(round(start * 1_000_000), edm, v4)}")
    if end is not None:
        terms.append(f"{field.name} le {_instant(round(end * 1_000_000), edm, v4)}")
    return terms


def build(conditions: Sequence[Condition], fields: Mapping[str, Field], v4: bool,
          extra: Sequence[str] = ()) -> str | None:
    """The `$filter` of the pushed-down comparisons (None when nothing is pushed down)."""
    terms = list(extra)
    for condition in conditions:
        field = fields.get(condition.field)
        if field is None or field.type in ("struct", "array", "json"):
            continue
        term = comparison(field, condition, v4)
        if term is not None:
            terms.append(term)
    return " and ".join(terms) if terms else None
