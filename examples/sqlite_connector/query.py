"""AppFlow filter expressions -> parameterised SQLite WHERE clauses.

The expression is parsed with the SDK's grammar (`custom_connector_queryfilter`) and the parse
tree walked by a visitor (as the SDK's Salesforce example does) that returns `(sql, params)` for
every node, so no value is ever pasted into SQL. Supported: `= != < <= > >=`, `and`/`or`/`not`,
parentheses, `contains` (LIKE '%v%'), `between a and b` (inclusive), `in (...)`, `= null`/`!= null`,
`= true/false`, ISO date (`2024-01-31`) and date-time (`2024-01-31T10:00:00Z`) literals, and a
trailing `limit N`. Identifiers must be columns of the entity.
"""

from __future__ import annotations

import datetime
from typing import Any

from custom_connector_queryfilter.queryfilter.antlr.CustomConnectorQueryFilterParser import (
    CustomConnectorQueryFilterParser as Parser,
)
from custom_connector_queryfilter.queryfilter.antlr.CustomConnectorQueryFilterParserVisitor import (
    CustomConnectorQueryFilterParserVisitor,
)
from custom_connector_queryfilter.queryfilter.errors import InvalidFilterExpressionError
from custom_connector_queryfilter.queryfilter.parse_tree_builder import parse
from custom_connector_sdk.connector.fields import FieldDataType

Fragment = tuple[str, list[Any]]
NUMERIC = (FieldDataType.Integer, FieldDataType.Long, FieldDataType.Short, FieldDataType.BigInteger,
           FieldDataType.Float, FieldDataType.Double, FieldDataType.BigDecimal)
ESCAPES = {"'": "'", '"': '"', "\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
NULL = object()


class FilterError(ValueError):
    """The expression is not valid for this entity (syntax, unknown field, bad value)."""


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def unescape(text: str) -> str:
    """A grammar string literal's content: quotes removed, backslash escapes resolved."""
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body) and body[i + 1] in ESCAPES:
            out.append(ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def iso_datetime(text: str) -> str:
    """A DATETIME literal in the database's format, 'YYYY-MM-DDTHH:MM:SSZ' (fractions dropped)."""
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise FilterError(f"Bad date-time {text}") from exc
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SqlFilterVisitor(CustomConnectorQueryFilterParserVisitor):
    """Visits a parse tree; every expression node returns `(sql, params)`."""

    def __init__(self, fields: dict[str, FieldDataType]) -> None:
        self.fields = fields
        self.limit: int | None = None

    # ---- structure
    def visitQueryfilter(self, ctx: Parser.QueryfilterContext) -> Fragment:
        return self.visit(ctx.getChild(0))

    def visitLimitExpression(self, ctx: Parser.LimitExpressionContext) -> Fragment:
        self.limit = int(ctx.right.getText())
        expression = ctx.expression()
        return self.visit(expression) if expression is not None else ("1 = 1", [])

    def visitParenExpression(self, ctx: Parser.ParenExpressionContext) -> Fragment:
        sql, params = self.visit(ctx.expression())
        return f"({sql})", params

    def visitNotExpression(self, ctx: Parser.NotExpressionContext) -> Fragment:
        sql, params = self.visit(ctx.expression())
        return f"NOT ({sql})", params

    def visitANDBinaryExpression(self, ctx: Parser.ANDBinaryExpressionContext) -> Fragment:
        return self._binary(ctx, "AND")

    def visitORBinaryExpression(self, ctx: Parser.ORBinaryExpressionContext) -> Fragment:
        return self._binary(ctx, "OR")

    def _binary(self, ctx: Any, keyword: str) -> Fragment:
        left_sql, left_params = self.visit(ctx.left)
        right_sql, right_params = self.visit(ctx.right)
        return f"({left_sql}) {keyword} ({right_sql})", left_params + right_params

    # ---- comparisons
    def visitGreaterThanComparatorExpression(self, ctx: Any) -> Fragment:
        return self._compare(ctx, ">")

    def visitGreaterThanEqualToComparatorExpression(self, ctx: Any) -> Fragment:
        return self._compare(ctx, ">=")

    def visitLesserThanComparatorExpression(self, ctx: Any) -> Fragment:
        return self._compare(ctx, "<")

    def visitLesserThanEqualToComparatorExpression(self, ctx: Any) -> Fragment:
        return self._compare(ctx, "<=")

    def visitEqualToComparatorExpression(self, ctx: Any) -> Fragment:
        return self._compare(ctx, "=")

    def visitNotEqualToComparatorExpression(self, ctx: Any) -> Fragment:
        return self._compare(ctx, "!=")

    def visitBooleanEqualToComparatorExpression(self, ctx: Any) -> Fragment:
        return self._compare(ctx, "=")

    def visitBooleanNotEqualToComparatorExpression(self, ctx: Any) -> Fragment:
        return self._compare(ctx, "!=")

    def _compare(self, ctx: Any, operator: str) -> Fragment:
        column, data_type = self._field(ctx.left)
        value = self._value(ctx.right, data_type)
        if value is NULL:
            if operator not in ("=", "!="):
                raise FilterError(f"null cannot be compared with {operator}")
            return f"{column} IS {'NOT ' if operator == '!=' else ''}NULL", []
        return f"{column} {operator} ?", [value]

    def visitLikeComparatorExpression(self, ctx: Parser.LikeComparatorExpressionContext) -> Fragment:
        column, data_type = self._field(ctx.left)
        value = self._value(ctx.right, data_type)
        if value is NULL:
            raise FilterError("contains needs a value")
        pattern = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"{column} LIKE ? ESCAPE '\\'", [f"%{pattern}%"]

    def visitBetweenExpression(self, ctx: Parser.BetweenExpressionContext) -> Fragment:
        column, data_type = self._field(ctx.left)
        low, high = self._value(ctx.l1, data_type), self._value(ctx.right, data_type)
        if low is NULL or high is NULL:
            raise FilterError("between needs two values")
        return f"{column} BETWEEN ? AND ?", [low, high]

    def visitInExpression(self, ctx: Parser.InExpressionContext) -> Fragment:
        column, data_type = self._field(ctx.identifier())
        values = [self._value(v, data_type) for v in ctx.value()]
        if any(v is NULL for v in values):
            raise FilterError("in (...) cannot hold null")
        return f"{column} IN ({', '.join('?' for _ in values)})", values

    def visitIdentifierExpression(self, ctx: Parser.IdentifierExpressionContext) -> Fragment:
        column, _ = self._field(ctx.identifier())
        return f"coalesce({column}, 0) != 0", []

    def visitValueExpression(self, ctx: Parser.ValueExpressionContext) -> Fragment:
        raise FilterError(f"A bare value is not a condition: {ctx.getText()}")

    # ---- leaves
    def _field(self, ctx: Parser.IdentifierContext) -> tuple[str, FieldDataType]:
        name = ctx.getText()
        if name not in self.fields:
            raise FilterError(f"Unknown field {name}")
        return quote(name), self.fields[name]

    def _value(self, ctx: Any, data_type: FieldDataType) -> Any:
        text = ctx.getText()
        if isinstance(ctx, Parser.BooleanContext):
            return 1 if text.lower() == "true" else 0
        if isinstance(ctx, Parser.StringValueExpressionContext):
            if text == "null":
                return NULL
            value = unescape(text)
            if data_type == FieldDataType.DateTime and len(value) > 10:
                return iso_datetime(value)
            if data_type == FieldDataType.Boolean and value.lower() in ("true", "false"):
                return 1 if value.lower() == "true" else 0
            return value
        if isinstance(ctx, Parser.DecimalValueExpressionContext):
            number = float(text) if "." in text else int(text)
            return str(number) if data_type not in (*NUMERIC, FieldDataType.Boolean) else number
        if isinstance(ctx, Parser.IsoDateTimeContext):
            # A Date column's 'YYYY-MM-DD' sorts as that day's midnight against 'YYYY-MM-DDTHH:MM:SSZ'.
            return iso_datetime(text)
        if isinstance(ctx, Parser.IsoDateContext):
            return text
        raise FilterError(f"Unsupported value {text}")


def translate(expression: str | None, fields: dict[str, FieldDataType]) -> tuple[str, list[Any], int | None]:
    """(WHERE condition or '', params, limit or None) for a filter expression."""
    if not expression or not expression.strip():
        return "", [], None
    try:
        tree = parse(expression)
    except (InvalidFilterExpressionError, AssertionError) as exc:
        raise FilterError(f"Invalid filter expression {expression!r}: {' '.join(map(str, exc.args))}") from exc
    visitor = SqlFilterVisitor(fields)
    sql, params = visitor.visit(tree)
    return sql, params, visitor.limit


def select_sql(table: str, columns: list[str], where: str, order_by: list[str]) -> str:
    """SELECT of the columns with an optional WHERE, ordered (stable paging), with LIMIT/OFFSET placeholders."""
    sql = f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)}"
    if where:
        sql += f" WHERE {where}"
    return sql + f" ORDER BY {', '.join(quote(c) for c in order_by)} LIMIT ? OFFSET ?"
