"""The filter expression of a custom connector query (connectors layer).

`QueryDataRequest.filterExpression` is written in AppFlow's query-filter language, the grammar
the SDK ships (`custom_connector_queryfilter`, ANTLR): `price > 100 and name contains 'Alexa'`,
`d between 2024-01-01 and 2024-02-01`, `t > 2024-01-01T00:00:00Z`. `filter_expression` builds
one from

* the incremental window `(start, end]` on the window field: `t > <start> and t <= <end>`, and
* every Filter task a connector can evaluate so that it keeps at least the records the engine
  keeps (`sluice.engine.tasks.filters`, which still applies every task - pushing down only saves
  transfer). A term is left out whenever that cannot be guaranteed:
  - the field is unknown, not queryable, or the operator is not among the field's
    `filterOperators` (the SDK's defaults per type when the connector lists none) or the
    registration's `supportedOperators`;
  - the field name is not a grammar identifier (`[a-zA-Z][A-Za-z0-9_.-]*`, no keyword);
  - DATA_TYPE makes the engine compare in another kind than the field's type;
  - String: only EQUAL_TO and CONTAINS (case and collation of orderings and != differ between
    systems; a case-insensitive `=` only keeps more), with operands quotable without escapes;
  - numbers: Byte/Short/Integer/Long and Float/Double only, operands the engine's float64 reads
    exactly; a fractional bound on an integer field is rounded outward;
  - DateTime: every comparison, to the microsecond; Date: rounded outward to whole days;
  - Boolean: EQUAL_TO / NOT_EQUAL_TO with the exact text `true` / `false`;
  - BigInteger, BigDecimal, ByteArray, Struct, Map, List: never.

Several values (VALUE plus VALUES) become `(f = a or f = b)` rather than `in (...)`, so only the
operator the field declares is needed. Every term is parenthesised, so `between ... and ...`
never meets a logical `and` unbracketed. Operands are read with the engine's own literal readers
(`sluice.literals`).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sluice.connectors.custom_connector.types import FLOAT_TYPES, INTEGER_TYPES
from sluice.connectors.pushdown import ORDERINGS, operands
from sluice.literals import EPOCH as _EPOCH
from sluice.literals import comparison_kind, parse_micros, parse_number

SYMBOL_OPERATORS = {symbol: name for name, symbol in ORDERINGS.items()} | {"=": "EQUAL_TO", "!=": "NOT_EQUAL_TO"}
NUMBER_OPERATORS = ("NOT_EQUAL_TO", "EQUAL_TO", "LESS_THAN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN",
                    "GREATER_THAN_OR_EQUAL_TO")
# The SDK's FieldDefinition defaults when a connector lists no filterOperators (connector/fields.py).
DEFAULT_OPERATORS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("Integer", "Float", "Double", "Long", "Short", "Byte", "BigInteger", "BigDecimal"),
                    NUMBER_OPERATORS),
    **dict.fromkeys(("Date", "DateTime"), ("EQUAL_TO", "LESS_THAN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN",
                                          "GREATER_THAN_OR_EQUAL_TO", "BETWEEN")),
    "String": ("CONTAINS", "EQUAL_TO", "NOT_EQUAL_TO"),
    "Boolean": ("EQUAL_TO", "NOT_EQUAL_TO"),
    "Map": ("CONTAINS",),
    "List": ("CONTAINS",),
}
KEYWORDS = frozenset({
    "AND", "and", "OR", "or", "NOT", "not", "TRUE", "True", "true", "FALSE", "False", "false", "CONTAINS",
    "contains", "BETWEEN", "between", "null", "IN", "in", "LIMIT", "limit",
})
_IDENTIFIER = re.compile(r"[a-zA-Z][A-Za-z0-9_.-]*")
_DAY = 86_400 * 1_000_000  # microseconds
_MAX_EXACT_INT = 2**53
_MIN_MICROS = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
_MAX_MICROS = (datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)


# -- literals (the grammar's tokens) ----------------------------------------------------------


def identifier(name: str) -> str | None:
    """`name` if the grammar reads it as one IDENTIFIER token, else None."""
    return name if _IDENTIFIER.fullmatch(name) and name not in KEYWORDS else None


def string_literal(text: str) -> str | None:
    """A quoted string the grammar reads back as exactly `text`; None when that needs escapes.

    The lexer's escapes (`\\'`, `\\"`, ...) are ambiguous next to a plain backslash, and connectors
    unescape differently, so text with a backslash, both quote kinds, or nothing is not pushed.
    """
    if not text or "\\" in text or ("'" in text and '"' in text):
        return None
    return f'"{text}"' if "'" in text else f"'{text}'"


def number_literal(value: Decimal | int) -> str:
    """DECIMAL / POS_INTEGER: plain digits, optional sign and fraction, no exponent."""
    value = Decimal(value)
    text = format(value.normalize() if value != value.to_integral_value() else value.to_integral_value(), "f")
    return "0" if text in ("-0", "+0") else text


def datetime_literal(micros: int) -> str | None:
    """DATETIME: `YYYY-MM-DDThh:mm:ss[.ffffff]Z` in UTC; None outside years 1-9999."""
    if not _MIN_MICROS <= micros <= _MAX_MICROS:
        return None
    moment = _EPOCH + timedelta(microseconds=micros)
    text = f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}"
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def date_literal(micros: int) -> str | None:
    """DATE: `YYYY-MM-DD` of the UTC day holding `micros`."""
    if not _MIN_MICROS <= micros <= _MAX_MICROS:
        return None
    moment = _EPOCH + timedelta(microseconds=micros)
    return f"{moment.year:04d}-{moment:%m-%d}"


# -- the engine's readings (engine/tasks/spec.py) -----------------------------------------------










def natural_kind(data_type: str) -> str:
    """The engine's kind for the Arrow column of an SDK type (`filters.column_kind`)."""
    if data_type in INTEGER_TYPES or data_type in FLOAT_TYPES or data_type in ("BigInteger", "BigDecimal"):
        return "number"
    if data_type in ("Date", "DateTime"):
        return "datetime"
    return "string"






# -- terms ------------------------------------------------------------------------------------


class _Field:
    """One described field as the expression builder needs it."""

    def __init__(self, name: str, definition: Mapping[str, Any], registration_operators: Collection[str] | None):
        self.name = name
        self.data_type = str(definition.get("dataType") or "")
        declared = definition.get("filterOperators")
        operators = set(DEFAULT_OPERATORS.get(self.data_type, ()) if declared is None else map(str, declared))
        if registration_operators:
            operators &= set(registration_operators)
        read = definition.get("readProperties") or {}
        if read.get("isQueryable") is False:
            operators = set()
        self.operators = operators
        self.incremental = bool(read.get("isTimestampFieldForIncrementalQueries"))

    def compare(self, symbol: str, literal: str | None) -> str | None:
        if literal is None or SYMBOL_OPERATORS[symbol] not in self.operators:
            return None
        return f"{self.name} {symbol} {literal}"


def _any_of(terms: Sequence[str | None], joiner: str) -> str | None:
    if not terms or any(t is None for t in terms):
        return None
    return terms[0] if len(terms) == 1 else "(" + f" {joiner} ".join(str(t) for t in terms) + ")"


def _range(field: _Field, low: str | None, low_symbol: str, high: str | None, high_symbol: str) -> str | None:
    """`low <(=) f <(=) high` as BETWEEN when inclusive and declared, else two comparisons."""
    if low is None or high is None:
        return None
    if low_symbol == ">=" and high_symbol == "<=" and "BETWEEN" in field.operators:
        return f"{field.name} between {low} and {high}"
    return _any_of([field.compare(low_symbol, low), field.compare(high_symbol, high)], "and")


def _ordered(field: _Field, operator: str, values: Sequence[Any], render: Any,
             bound: Any = None) -> str | None:
    """A comparison on numbers or instants; `bound(symbol, value)` rounds outward to stored units."""

    def edge(symbol: str, value: Any) -> tuple[str, str | None]:
        if bound is not None:
            symbol, value = bound(symbol, value)
            if value is None:
                return symbol, None
        return symbol, render(value)

    if operator == "BETWEEN":
        low_symbol, low = edge(">=", values[0])
        high_symbol, high = edge("<=", values[1])
        return _range(field, low, low_symbol, high, high_symbol)
    if operator in ORDERINGS:
        return field.compare(*edge(ORDERINGS[operator], values[0]))
    if bound is not None and any(bound("=", v)[1] is None for v in values):
        return None  # a value the field cannot hold: equality is for the engine to decide
    symbol = "=" if operator == "EQUAL_TO" else "!="
    return _any_of([field.compare(symbol, render(v)) for v in values], "or" if symbol == "=" else "and")


def _granular(unit: int) -> Any:
    """Round a comparison on values stored in multiples of `unit` outward (same records kept)."""

    def bound(symbol: str, value: Any) -> tuple[str, Any]:
        if value % unit == 0:
            return symbol, value
        if symbol == "=":
            return symbol, None
        low = math.floor(Fraction(value) / unit) * unit  # floor, also for negative Decimals
        return (">", low) if symbol in (">", ">=") else ("<", low + unit)

    return bound


def _exact_float(value: Decimal, data_type: str) -> bool:
    """True when `value` is exactly a float64 (and a float32 for Float): no rounding to differ on."""
    as_float = float(value)
    if not math.isfinite(as_float) or Decimal(as_float) != value:
        return False
    if data_type == "Float":
        try:
            return struct.unpack("f", struct.pack("f", as_float))[0] == as_float
        except OverflowError:
            return False
    return True


def _term(field: _Field, operator: str, texts: list[str], data_type: str | None) -> str | None:
    kind = natural_kind(field.data_type)
    wanted = comparison_kind(data_type)
    if operator == "CONTAINS":
        if field.data_type != "String" or "CONTAINS" not in field.operators or wanted not in (None, "string"):
            return None
        return _any_of([_contains(field.name, t) for t in texts], "or")
    if wanted is not None and wanted != kind:
        return None
    # Each comparison written checks its own operator against the field's (`_Field.compare`).
    if field.data_type in INTEGER_TYPES or field.data_type in FLOAT_TYPES:
        numbers = [parse_number(t) for t in texts]
        if any(n is None for n in numbers):
            return None
        values: list[Any] = [n for n in numbers if n is not None]
        if field.data_type in INTEGER_TYPES:
            if any(abs(v) >= _MAX_EXACT_INT for v in values):
                return None
            return _ordered(field, operator, values, number_literal, _granular(1))
        if not all(_exact_float(v, field.data_type) for v in values):
            return None
        return _ordered(field, operator, values, number_literal)
    if field.data_type in ("DateTime", "Date"):
        micros = [parse_micros(t) for t in texts]
        if any(m is None for m in micros):
            return None
        if field.data_type == "DateTime":
            return _ordered(field, operator, micros, datetime_literal)
        return _ordered(field, operator, micros, date_literal, _granular(_DAY))
    if field.data_type == "String" and operator == "EQUAL_TO":
        return _any_of([field.compare("=", string_literal(t)) for t in texts], "or")
    if field.data_type == "Boolean" and operator in ("EQUAL_TO", "NOT_EQUAL_TO") and len(texts) == 1 \
            and texts[0] in ("true", "false"):
        return field.compare("=" if operator == "EQUAL_TO" else "!=", texts[0])
    return None


def _contains(name: str, text: str) -> str | None:
    literal = string_literal(text)
    return None if literal is None else f"{name} contains {literal}"


def _window(field: _Field, start: float | None, end: float) -> str | None:
    """`f > start and f <= end` for the engine's window `(start, end]`, rounded outward."""
    if field.data_type not in ("DateTime", "Date"):
        return None
    if not field.incremental and not {"GREATER_THAN", "LESS_THAN_OR_EQUAL_TO"} <= field.operators:
        return None
    end_micros = math.ceil(Fraction(end) * 1_000_000)
    start_micros = None if start is None else math.floor(Fraction(start) * 1_000_000)
    # Date: midnight(d) > s  <=>  d > day(s), and midnight(d) <= e  <=>  d <= day(e).
    render = datetime_literal if field.data_type == "DateTime" else date_literal
    upper = render(end_micros)
    if upper is None:
        return None
    high = f"{field.name} <= {upper}"
    if start_micros is None:
        return high
    lower = render(start_micros)
    return None if lower is None else f"{field.name} > {lower} and {high}"


def filter_expression(
    tasks: Sequence[Mapping[str, Any]],
    fields: Mapping[str, Mapping[str, Any]],
    window_field: str | None = None,
    window_start: float | None = None,
    window_end: float | None = None,
    supported_operators: Collection[str] | None = None,
) -> str | None:
    """The query-filter expression for a run, or None when nothing can be pushed down.

    `fields` maps field names to the SDK `FieldDefinition` dicts of the entity's describe;
    `supported_operators` is the registration's `supportedOperators` (None: no restriction).
    """
    terms: list[str] = []
    if window_field and window_end is not None:
        name = identifier(window_field)
        definition = fields.get(window_field)
        if name and definition is not None:
            # The window is not a task: AppFlow sends it whatever operators the flow may use.
            window = _window(_Field(name, definition, None), window_start, window_end)
            if window is not None:
                terms.append(window)
    for task in tasks:
        if task.get("taskType") != "Filter":
            continue
        operators = [v for v in (task.get("connectorOperator") or {}).values() if v is not None]
        sources = [str(s) for s in task.get("sourceFields") or []]
        if len(operators) != 1 or operators[0] == "PROJECTION" or len(sources) != 1:
            continue
        name = identifier(sources[0])
        definition = fields.get(sources[0])
        if name is None or definition is None:
            continue
        props = task.get("taskProperties") or {}
        texts = operands(str(operators[0]), props)
        if texts is None:
            continue
        data_type = props.get("DATA_TYPE")
        term = _term(_Field(name, definition, supported_operators), str(operators[0]), texts,
                     None if data_type is None else str(data_type))
        if term is not None:
            terms.append(term)
    terms = list(dict.fromkeys(terms))
    if not terms:
        return None
    if len(terms) == 1:
        return terms[0]
    return " and ".join(f"({term})" for term in terms)
