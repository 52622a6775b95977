"""Filter comparisons and Validate checks as Arrow boolean masks (engine layer).

A comparison mask is true where the record matches, null where the value is null or does not
read as the comparison's kind (null never matches). A validation mask is true where the record
fails the check. `tasks.pipeline` combines the masks; nothing here loops over records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from sluice.engine.tasks import values
from sluice.engine.tasks.spec import Comparison, Kind, comparison_kind, parse_datetime, parse_number

_ORDER: dict[str, Callable[[pa.Array, pa.Scalar], pa.Array]] = {
    "LESS_THAN": pc.less,
    "GREATER_THAN": pc.greater,
    "LESS_THAN_OR_EQUAL_TO": pc.less_equal,
    "GREATER_THAN_OR_EQUAL_TO": pc.greater_equal,
}


def column_kind(data_type: pa.DataType) -> Kind:
    """The comparison kind a column's own type suggests (for a Filter without DATA_TYPE)."""
    if pa.types.is_integer(data_type) or pa.types.is_floating(data_type) or pa.types.is_decimal(data_type):
        return "number"
    if pa.types.is_timestamp(data_type) or pa.types.is_date(data_type):
        return "datetime"
    return "string"


@dataclass(frozen=True, slots=True)
class BoundComparison:
    """A Filter comparison fixed to one column type: how to read the column, and the operands."""

    task: Comparison
    kind: Kind
    operands: pa.Array

    def mask(self, column: pa.Array) -> pa.Array:
        operator = self.task.operator
        if operator == "CONTAINS":
            text = values.as_text(column)
            matches = [pc.match_substring(text, v.as_py()) for v in self.operands]
            result = matches[0]
            for more in matches[1:]:
                result = pc.or_(result, more)
            return result
        read = self.read(column)
        if operator == "BETWEEN":
            return pc.and_(pc.greater_equal(read, self.operands[0]), pc.less_equal(read, self.operands[1]))
        if operator in _ORDER:
            return _ORDER[operator](read, self.operands[0])
        if len(self.operands) == 1:
            equal = pc.equal(read, self.operands[0])
        else:
            equal = _where_valid(read, pc.is_in(read, value_set=self.operands))
        return equal if operator == "EQUAL_TO" else pc.invert(equal)

    def read(self, column: pa.Array) -> pa.Array:
        if self.kind == "number":
            return values.as_float(column)
        if self.kind == "datetime":
            return values.as_micros(column)
        return values.as_text(column)


def _where_valid(read: pa.Array, result: pa.Array) -> pa.Array:
    return pc.if_else(pc.is_valid(read), result, pa.scalar(None, pa.bool_()))


def bind_comparison(task: Comparison, data_type: pa.DataType) -> BoundComparison:
    """Fix how `task` compares a column of `data_type` (DATA_TYPE first, else the column's type)."""
    kind = comparison_kind(task.data_type) or column_kind(data_type)
    if task.operator == "CONTAINS":
        kind = "string"
    if kind == "number":
        numbers = [parse_number(v) for v in task.values]
        if None not in numbers:
            return BoundComparison(task, kind, pa.array(numbers, pa.float64()))
    elif kind == "datetime":
        micros = [parse_datetime(v) for v in task.values]
        if None not in micros:
            return BoundComparison(task, kind, pa.array(micros, pa.int64()))
    # Operands that do not read as the column's kind (only possible without DATA_TYPE): compare text.
    return BoundComparison(task, "string", pa.array(task.values, pa.string()))


def failures(operator: str, column: pa.Array) -> pa.Array:
    """True where a record fails a Validate check; nulls fail only VALIDATE_NON_NULL."""
    if operator == "VALIDATE_NON_NULL":
        return pc.is_null(column)
    numbers = values.as_float(column)
    if operator == "VALIDATE_NUMERIC":
        return pc.and_(pc.is_valid(column), pc.is_null(numbers))
    failed = pc.equal(numbers, 0.0) if operator == "VALIDATE_NON_ZERO" else pc.less(numbers, 0.0)
    return pc.fill_null(failed, False)
