"""One function per AppFlow task that computes values: Mask, Truncate, Merge, Arithmetic, Map (engine layer).

Each takes whole Arrow arrays (already filtered, blanks already null) and returns one array;
`tasks.pipeline` decides which columns they read and where the results go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from sluice.engine.tasks import values
from sluice.engine.tasks.spec import Family

_ARITHMETIC: dict[str, Callable[[pa.Array, pa.Array], pa.Array]] = {
    "ADDITION": pc.add,
    "SUBTRACTION": pc.subtract,
    "MULTIPLICATION": pc.multiply,
    "DIVISION": pc.divide,
}


def mask(column: pa.Array, operator: str, length: int, mask_value: str) -> pa.Array:
    """Replace every character (MASK_ALL), the first or the last `length` characters with `mask_value`."""
    text = values.as_text(column)
    lengths = pc.utf8_length(text)
    if operator == "MASK_ALL":
        return _repeat_per_character(text, lengths, mask_value)
    if length == 0:
        return text
    masked = pc.binary_repeat(mask_value, pc.min_element_wise(lengths, length))
    if operator == "MASK_FIRST_N":
        return pc.binary_join_element_wise(masked, pc.utf8_slice_codeunits(text, length), "")
    return pc.binary_join_element_wise(pc.utf8_slice_codeunits(text, 0, -length), masked, "")


def _repeat_per_character(text: pa.Array, lengths: pa.Array, mask_value: str) -> pa.Array:
    """`mask_value` once per character of each value, built from buffers.

    Same result as `pc.binary_repeat(mask_value, lengths)`, about three times faster: every
    output byte is the same pattern, so only the offsets need computing.
    """
    unit = mask_value.encode()
    ends = pc.cumulative_sum(pc.cast(pc.fill_null(lengths, 0), pa.int64()))
    total = ends[-1].as_py() if len(ends) else 0
    if total * len(unit) >= 2**31:  # beyond 32-bit string offsets: let Arrow choose
        return pc.binary_repeat(mask_value, lengths)
    offsets = pa.concat_arrays([pa.array([0], pa.int32()), pc.cast(pc.multiply(ends, len(unit)), pa.int32())])
    validity = pc.is_valid(text).buffers()[1] if text.null_count else None
    return pa.StringArray.from_buffers(len(text), offsets.buffers()[1], pa.py_buffer(unit * (total)),
                                       validity, text.null_count)


def truncate(column: pa.Array, length: int) -> pa.Array:
    """At most the first `length` characters."""
    return pc.utf8_slice_codeunits(values.as_text(column), 0, length)


def merge(parts: Sequence[tuple[bool, str]], columns: dict[str, pa.Array], rows: int) -> pa.Array:
    """CONCAT_FORMAT filled in per record; a null field contributes an empty string."""
    pieces: list[pa.Array | str] = [values.as_text(columns[text]) if is_field else text for is_field, text in parts]
    if not any(isinstance(p, pa.Array) for p in pieces):  # pragma: no cover - read_tasks forbids it
        return pa.array([""] * rows)
    return pc.binary_join_element_wise(*pieces, "", null_handling="replace", null_replacement="")


def arithmetic(operator: str, columns: Sequence[pa.Array]) -> pa.Array:
    """A left fold of the operator over float64 readings of the fields, in order.

    Any null, non-numeric or non-finite input makes the result null; so does a division by
    zero or a result that overflows float64 (every step whose result is not finite).
    """
    function = _ARITHMETIC[operator]
    result = _finite(values.as_float(columns[0]))
    for column in columns[1:]:
        result = _finite(function(result, _finite(values.as_float(column))))
    return result


def _finite(numbers: pa.Array) -> pa.Array:
    """Infinities and NaN (an input spelled "inf", a division by zero, an overflow) as null."""
    return pc.if_else(pc.is_finite(numbers), numbers, pa.scalar(None, pa.float64()))


def map_field(column: pa.Array, cast: Family | None) -> pa.Array:
    """A Map task's value: the source value, cast when DESTINATION_DATA_TYPE names a known family."""
    return column if cast is None else values.cast_to(column, cast)
