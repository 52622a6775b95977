"""Column conversions the task stages share: blanks, numbers, datetimes, strings (engine layer).

Every function takes and returns whole Arrow arrays and uses `pyarrow.compute` kernels. The
common case (clean data) costs one cast; only a column with values that do not parse takes a
second, regex-guarded pass, and only a datetime column whose values pass the regex but not
Arrow's parser (e.g. 2024-02-30) falls back to Python per value.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from sluice.engine.tasks.spec import Family, parse_datetime

_NUMBER = r"^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[iI][nN][fF]([iI][nN][iI][tT][yY])?|[nN][aA][nN])$"
_INTEGER = r"^[+-]?\d{1,18}$"
_EPOCH = r"^-?\d{1,15}$"
_DATE = r"\d{4}-\d{2}-\d{2}"
_TIME = r"[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
_ZONED = rf"^{_DATE}{_TIME}(Z|[+-]\d{{2}}(:?\d{{2}})?)$"
_NAIVE = rf"^{_DATE}({_TIME})?$"
_TRUE = pa.array(["true", "t", "yes", "y", "1"])
_FALSE = pa.array(["false", "f", "no", "n", "0"])


def is_text(data_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(data_type) or pa.types.is_large_string(data_type)
                or pa.types.is_string_view(data_type))


def nulls(data_type: pa.DataType, length: int) -> pa.Array:
    return pa.nulls(length, type=data_type)


def _where(condition: pa.Array, values: pa.Array) -> pa.Array:
    """`values` where `condition` holds, null elsewhere."""
    return pc.if_else(condition, values, pa.scalar(None, values.type))


def blank_to_null(column: pa.Array) -> pa.Array:
    """Empty strings become null (an empty CSV cell is a missing value); other columns as they are."""
    if not is_text(column.type) or len(column) == column.null_count:
        return column
    lengths = pc.binary_length(column)
    if pc.min(lengths).as_py() != 0:
        return column
    return _where(pc.not_equal(lengths, 0), column)


def as_text(column: pa.Array) -> pa.Array:
    """The column as `string` (numbers and booleans as Arrow writes them)."""
    if pa.types.is_string(column.type):
        return column
    if pa.types.is_null(column.type):
        return column.cast(pa.string())
    return pc.cast(column, pa.string())


def as_float(column: pa.Array) -> pa.Array:
    """float64 values; text that is not a number (after trimming spaces) and other types are null."""
    data_type = column.type
    if (pa.types.is_integer(data_type) or pa.types.is_floating(data_type) or pa.types.is_decimal(data_type)
            or pa.types.is_boolean(data_type) or pa.types.is_null(data_type)):
        return pc.cast(column, pa.float64())
    if not is_text(data_type):
        return nulls(pa.float64(), len(column))
    try:
        return pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        trimmed = pc.utf8_trim_whitespace(column)
        return pc.cast(_where(pc.match_substring_regex(trimmed, _NUMBER), trimmed), pa.float64())


def as_integer(column: pa.Array) -> pa.Array:
    """int64 values: integers, and numbers with no fractional part; anything else is null."""
    if pa.types.is_integer(column.type):
        return pc.cast(column, pa.int64())
    if is_text(column.type):
        try:
            return pc.cast(column, pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    floats = as_float(column)
    whole = pc.and_(pc.equal(pc.floor(floats), floats), pc.less(pc.abs(floats), 2.0**63))
    from_floats = pc.cast(_where(whole, floats), pa.int64())
    if not is_text(column.type):
        return from_floats
    trimmed = pc.utf8_trim_whitespace(column)
    exact = pc.cast(_where(pc.match_substring_regex(trimmed, _INTEGER), trimmed), pa.int64())
    return pc.coalesce(exact, from_floats)


def as_boolean(column: pa.Array) -> pa.Array:
    """true/t/yes/y/1 and false/f/no/n/0 (any case); anything else is null."""
    if pa.types.is_boolean(column.type):
        return column
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        return pc.not_equal(column, 0)
    words = pc.utf8_lower(pc.utf8_trim_whitespace(as_text(column)))
    return pc.if_else(pc.is_in(words, value_set=_TRUE), True,
                      pc.if_else(pc.is_in(words, value_set=_FALSE), False, pa.scalar(None, pa.bool_())))


def _parse_or_fallback(text: pa.Array, cast: Callable[[pa.Array], pa.Array]) -> pa.Array:
    try:
        return cast(text)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # The regex admitted a value Arrow cannot read (Feb 30, a 7-digit fraction...): per value.
        return pa.array([None if v is None else parse_datetime(v) for v in text.to_pylist()], pa.int64())


def as_micros(column: pa.Array) -> pa.Array:
    """int64 microseconds since the epoch, UTC.

    Timestamps and dates as they are (a zone-less timestamp is UTC); integers and all-digit
    text are epoch milliseconds; text is ISO-8601 (`2024-05-01`, `2024-05-01T10:00:00`,
    `...Z`, `...+02:00`); anything else is null.
    """
    data_type = column.type
    if pa.types.is_timestamp(data_type):
        return pc.cast(pc.cast(column, pa.timestamp("us", data_type.tz)), pa.int64())
    if pa.types.is_date(data_type):
        return pc.cast(pc.cast(column, pa.timestamp("us")), pa.int64())
    if pa.types.is_integer(data_type):
        return pc.multiply(pc.cast(column, pa.int64()), 1000)
    if pa.types.is_floating(data_type):
        return pc.cast(pc.multiply(column, 1000.0), pa.int64(), safe=False)
    if not is_text(data_type):
        return nulls(pa.int64(), len(column))
    text = pc.utf8_trim_whitespace(column)
    epoch = pc.multiply(pc.cast(_where(pc.match_substring_regex(text, _EPOCH), text), pa.int64()), 1000)
    zoned = _parse_or_fallback(
        _where(pc.match_substring_regex(text, _ZONED), text),
        lambda t: pc.cast(pc.cast(t, pa.timestamp("us", "UTC")), pa.int64()),
    )
    naive = _parse_or_fallback(
        _where(pc.match_substring_regex(text, _NAIVE), text),
        lambda t: pc.cast(pc.cast(t, pa.timestamp("us")), pa.int64()),
    )
    return pc.coalesce(epoch, zoned, naive)


def cast_to(column: pa.Array, target: Family) -> pa.Array:
    """A Map task's DESTINATION_DATA_TYPE cast; values that do not convert become null."""
    if target == "integer":
        return as_integer(column)
    if target == "float":
        return as_float(column)
    if target == "boolean":
        return as_boolean(column)
    if target == "datetime":
        return pc.cast(as_micros(column), pa.timestamp("us", "UTC"))
    if target == "date":
        return pc.cast(pc.cast(as_micros(column), pa.timestamp("us")), pa.date32())
    return as_text(column)
