"""Incremental pulls by a record field (engine layer): keep the records of one time window.

AppFlow's `incrementalPullConfig.datetimeTypeFieldName` names the field holding each record's
change time. A scheduled incremental run reads the window `(window_start, window_end]` (epoch
seconds, `RunContext`); the runner calls `window_split` (or `window_filter`) on every batch the
source yields when `RunContext.window_field` is set, before the task pipeline.

How a value becomes a time (epoch seconds, float64), column by column, with Arrow compute only:

* Arrow `timestamp` of any unit: its instant; a zone-less timestamp is read as UTC.
* `date32` / `date64`: midnight UTC of that day.
* integers, floats, decimals: epoch seconds, or epoch milliseconds when `abs(value) >= 1e11`
  (1e11 seconds is the year 5138; 1e11 milliseconds is 1973-03-03). NaN and infinities are
  unparseable.
* text (CSV fields are all text): after trimming, an all-digit number (`1710498645`,
  `1710498645123`, `-12.5`) is epoch seconds/millis as above; otherwise ISO-8601 extended
  form `YYYY-MM-DD[(T| )hh:mm[:ss[(.|,)fraction]]][Z|±hh|±hhmm|±hh:mm]`. No zone is UTC.
  Impossible dates and times (Feb 30, 25:00) are unparseable.
* anything else (booleans, binary, lists, ...) is unparseable.

Null and unparseable values are excluded from every window and counted (`WindowSplit.invalid`),
so the runner can report them. A record is in the window when `start < t <= end`: consecutive
windows `(a, b]`, `(b, c]` place every parseable record in exactly one of them, because the
record's value is converted the same way in every run and compared with the same shared bound
(the float conversion may move a value by well under a microsecond; it never splits or
duplicates a record).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["WindowFieldError", "WindowSplit", "epoch_seconds", "window_filter", "window_split"]

# Numbers at least this large (in magnitude) are epoch milliseconds, smaller ones epoch seconds.
MILLIS_THRESHOLD = 1e11

_NUMBER = r"^[+-]?\d+(\.\d+)?$"
_ISO = (
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<hm>\d{2}:\d{2})(?::(?P<sec>\d{2})(?:[.,](?P<frac>\d+))?)?)?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<zh>\d{2})(?::?(?P<zm>\d{2}))?)?$"
)
_UNIT_SECONDS = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


class WindowFieldError(ValueError):
    """The window field is missing from a batch; the message names it (for the run's error)."""


@dataclass(frozen=True, slots=True)
class WindowSplit:
    """One batch split by a window: the records inside, and counts of the others.

    `batch.num_rows + outside + invalid` is the input's row count. `invalid` counts null and
    unparseable field values (excluded from every window).
    """

    batch: pa.RecordBatch
    outside: int
    invalid: int


def window_split(batch: pa.RecordBatch, field: str, start: float | None, end: float) -> WindowSplit:
    """The records of `batch` whose `field` lies in `(start, end]` (`start` None: no lower bound)."""
    index = batch.schema.get_field_index(field)
    if index < 0:
        raise WindowFieldError(
            f"the incremental pull field {field!r} (datetimeTypeFieldName) is not in the source records"
        )
    seconds = epoch_seconds(batch.column(index))
    invalid = seconds.null_count
    keep = pc.less_equal(seconds, pa.scalar(float(end)))
    if start is not None:
        keep = pc.and_(keep, pc.greater(seconds, pa.scalar(float(start))))
    kept = batch.filter(keep)  # null mask entries (null / unparseable values) are dropped
    return WindowSplit(kept, batch.num_rows - kept.num_rows - invalid, invalid)


def window_filter(batch: pa.RecordBatch, field: str, start: float | None, end: float) -> pa.RecordBatch:
    """`window_split(...).batch`: the records of `batch` whose `field` lies in `(start, end]`."""
    return window_split(batch, field, start, end).batch


def epoch_seconds(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """float64 epoch seconds (UTC) of every value; null where the value is null or unparseable."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    data_type = column.type
    if pa.types.is_dictionary(data_type):
        column = column.dictionary_decode()
        data_type = column.type
    if pa.types.is_timestamp(data_type):
        ticks = pc.cast(pc.cast(column, pa.int64()), pa.float64(), safe=False)
        return pc.divide(ticks, _UNIT_SECONDS[data_type.unit])
    if pa.types.is_date32(data_type):
        return pc.multiply(pc.cast(pc.cast(column, pa.int32()), pa.float64()), 86_400.0)
    if pa.types.is_date64(data_type):
        return pc.divide(pc.cast(pc.cast(column, pa.int64()), pa.float64(), safe=False), 1e3)
    if pa.types.is_integer(data_type) or pa.types.is_floating(data_type) or pa.types.is_decimal(data_type):
        return _from_number(pc.cast(column, pa.float64(), safe=False))
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type) or _is_string_view(data_type):
        return _from_text(pc.cast(column, pa.string()))
    return pa.nulls(len(column), pa.float64())


def _is_string_view(data_type: pa.DataType) -> bool:
    check = getattr(pa.types, "is_string_view", None)
    return bool(check and check(data_type))


def _from_number(values: pa.Array) -> pa.Array:
    """Epoch seconds or (by magnitude) milliseconds as seconds; NaN and infinities become null."""
    finite = pc.is_finite(values)
    values = pc.if_else(finite, values, pa.scalar(None, pa.float64()))
    millis = pc.greater_equal(pc.abs(values), MILLIS_THRESHOLD)
    return pc.if_else(millis, pc.divide(values, 1e3), values)


def _from_text(text: pa.Array) -> pa.Array:
    text = pc.utf8_trim_whitespace(text)
    null_float = pa.scalar(None, pa.float64())

    is_number = pc.match_substring_regex(text, _NUMBER)
    number_text = pc.if_else(is_number, text, pa.scalar(None, text.type))
    numbers = _from_number(pc.cast(number_text, pa.float64()))

    parts = pc.extract_regex(text, _ISO)  # a struct; null where the text is not ISO-8601

    def part(name: str, default: str) -> pa.Array:
        value = pc.struct_field(parts, name)
        return pc.if_else(pc.equal(value, ""), default, value)

    clock = pc.binary_join_element_wise(part("hm", "00:00"), part("sec", "00"), ":")
    wall = pc.binary_join_element_wise(pc.struct_field(parts, "date"), clock, " ")
    base = pc.strptime(wall, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    # strptime rolls impossible dates over (Feb 30 -> Mar 1): keep only values that round-trip.
    exact = pc.equal(pc.strftime(base, format="%Y-%m-%d %H:%M:%S"), wall)
    seconds = pc.cast(pc.cast(base, pa.int64()), pa.float64())
    fraction = pc.cast(pc.binary_join_element_wise("0", part("frac", "0"), "."), pa.float64())

    sign = pc.if_else(pc.equal(pc.struct_field(parts, "sign"), "-"), -1.0, 1.0)
    zone_hours = pc.cast(part("zh", "00"), pa.float64())
    zone_minutes = pc.cast(part("zm", "00"), pa.float64())
    zone_ok = pc.and_(pc.less_equal(zone_hours, 23.0), pc.less_equal(zone_minutes, 59.0))
    offset = pc.multiply(sign, pc.add(pc.multiply(zone_hours, 3600.0), pc.multiply(zone_minutes, 60.0)))

    iso = pc.subtract(pc.add(seconds, fraction), offset)
    iso = pc.if_else(pc.and_(exact, zone_ok), iso, null_float)
    return pc.if_else(is_number, numbers, iso)
