"""Fit a batch to a warehouse table before it is staged (connectors layer).

A warehouse's bulk load refuses a whole file (or, with "continue" options, silently drops rows
and reports them in system tables each warehouse spells differently). Sluice checks every row
against the target's columns first, the same way for every warehouse, so the rows the table
would refuse are known by the run, with a reason, before anything is loaded:

* a value of the wrong type (text that is not a number, a date or a boolean, a number too large
  for its NUMERIC precision) - `TypeMismatch`;
* a string longer than the column (characters, or UTF-8 bytes for Redshift) - `ValueTooLong`;
* a null in a NOT NULL column - `NullNotAllowed`.

Conversions follow what the warehouses' own loaders accept: an empty string is a null in a
non-text column; timestamps with an offset are converted to UTC for columns without a time zone,
and timestamps without one are taken as UTC for columns with one; floats are rounded to a
NUMERIC column's scale; nested values (structs, lists, maps) become JSON text for JSON-like
columns (SUPER, VARIANT). Finding the offending rows costs nothing when a batch is clean: the
whole column is cast at once, and only a failing column is split in halves to find its bad rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from sluice.connectors.base import ConnectorError
from sluice.connectors.warehouse.columns import Column

if TYPE_CHECKING:
    from sluice.connectors.error_records import ErrorSink

_CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, OverflowError)
_SHOWN_CHARS = 80


@dataclass(slots=True)
class Reject:
    """One row the table would refuse: the record as it arrived and why."""

    record: dict[str, Any]
    code: str
    message: str


@dataclass(slots=True)
class Conformed:
    """A batch fitted to the table: the rows to stage (target names and types) and the rest."""

    batch: pa.RecordBatch
    rejects: list[Reject] = field(default_factory=list)


class Conformer:
    """Matches fields to a table's columns (case-insensitively) and casts each batch to them."""

    def __init__(self, target: str, columns: Sequence[Column]) -> None:
        self.target = target
        self.columns = list(columns)
        self._by_name = {column.name.lower(): column for column in self.columns}

    def plan(self, schema: pa.Schema) -> list[Column]:
        """The column each field of `schema` goes to, in field order; refuses unknown or doubled fields."""
        chosen: list[Column] = []
        seen: dict[str, str] = {}
        for name in schema.names:
            column = self._by_name.get(name.lower())
            if column is None:
                known = ", ".join(c.name for c in self.columns[:30]) or "none"
                raise ConnectorError("InvalidArgument",
                                     f"The field {name!r} is not a column of {self.target} (its columns: {known})")
            if column.name in seen:
                raise ConnectorError("InvalidArgument", f"The fields {seen[column.name]!r} and {name!r} both map to "
                                     f"the column {column.name} of {self.target}")
            seen[column.name] = name
            chosen.append(column)
        return chosen

    def conform(self, batch: pa.RecordBatch) -> Conformed:
        """The rows of `batch` the table accepts, cast to its types, and the rows it would refuse."""
        columns = self.plan(batch.schema)
        problems: dict[int, tuple[str, str]] = {}
        arrays: list[pa.Array] = []
        for array, column in zip(batch.columns, columns, strict=True):
            converted, failures = fit_column(array, column)
            for row, problem in failures.items():
                problems.setdefault(row, problem)
            arrays.append(converted)
        schema = pa.schema([pa.field(c.name, c.arrow_type, nullable=c.nullable) for c in columns])
        fitted = pa.RecordBatch.from_arrays(arrays, schema=_nullable(schema))
        if not problems:
            return Conformed(fitted)
        bad = sorted(problems)
        keep = pc.invert(pc.is_in(pa.array(range(batch.num_rows), type=pa.int64()),
                                      value_set=pa.array(bad, type=pa.int64())))
        records = batch.take(pa.array(bad)).to_pylist()
        rejects = [Reject(record, *problems[row]) for row, record in zip(bad, records, strict=True)]
        return Conformed(fitted.filter(keep), rejects)


def conform_or_refuse(conformer: Conformer, batch: pa.RecordBatch, sink: ErrorSink, untouched: str) -> pa.RecordBatch:
    """The rows of `batch` the table accepts; the refused ones go to the run's `sink`, and with
    `failOnFirstDestinationError` the first one stops the run (`untouched` says what was left as it
    was, e.g. "Nothing was loaded into schema.table")."""
    conformed = conformer.conform(batch)
    for reject in conformed.rejects:
        sink.add([reject.record], reject.code, reject.message)
    if conformed.rejects and sink.fail_fast:
        raise ConnectorError(
            "InvalidArgument",
            f"Stopped at the first refused record (failOnFirstDestinationError): {sink.messages[0]}. "
            f"{untouched}; {sink.where()}.")
    return conformed.batch


def _nullable(schema: pa.Schema) -> pa.Schema:
    """Staged files keep every field nullable: NOT NULL is the table's to enforce, checked above."""
    return pa.schema([f.with_nullable(True) for f in schema])


def fit_column(array: pa.Array, column: Column) -> tuple[pa.Array, dict[int, tuple[str, str]]]:
    """`array` cast to `column.arrow_type` (refused rows null) and {row: (code, message)} for refusals."""
    target = column.arrow_type
    prepared = _prepare(array, target)
    failures: dict[int, tuple[str, str]] = {}
    try:
        converted = _cast(prepared, target)
    except _CAST_ERRORS:
        chunks: list[pa.Array] = []
        bad: list[int] = []
        _bisect(prepared, target, 0, chunks, bad)
        converted = pa.concat_arrays(chunks) if chunks else pa.array([], type=target)
        for row in bad:
            value = array[row].as_py()
            failures[row] = ("TypeMismatch", f"{column.described}: {_show(value)} is not a valid {_kind(column)}")
    if column.max_length is not None and (pa.types.is_string(target) or pa.types.is_large_string(target)):
        lengths = pc.binary_length(converted) if column.length_in_bytes else pc.utf8_length(converted)
        unit = "bytes" if column.length_in_bytes else "characters"
        for row in pc.indices_nonzero(pc.fill_null(pc.greater(lengths, column.max_length), False)).to_pylist():
            failures.setdefault(row, ("ValueTooLong", f"{column.described}: a value of {lengths[row].as_py()} {unit} "
                                      f"does not fit (at most {column.max_length})"))
    if not column.nullable and converted.null_count:
        for row in pc.indices_nonzero(pc.is_null(converted)).to_pylist():
            failures.setdefault(row, ("NullNotAllowed", f"{column.described}: the column does not accept nulls"))
    return converted, failures


def _prepare(array: pa.Array, target: pa.DataType) -> pa.Array:
    """The loaders' conventions applied before casting (empty text is null, nested values as JSON)."""
    kind = array.type
    text_target = pa.types.is_string(target) or pa.types.is_large_string(target)
    if text_target and (pa.types.is_struct(kind) or pa.types.is_list(kind) or pa.types.is_large_list(kind)
                        or pa.types.is_map(kind)):
        return pa.array([None if v is None else orjson.dumps(v, default=str).decode() for v in array.to_pylist()],
                        type=pa.string())
    if not text_target and (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return pc.if_else(pc.equal(pc.utf8_trim_whitespace(array), ""), pa.scalar(None, kind), array)
    if pa.types.is_decimal(target) and pa.types.is_floating(kind):
        return pc.round(array, ndigits=target.scale)
    return array


def _cast(array: pa.Array, target: pa.DataType) -> pa.Array:
    """A safe cast, except that sub-unit time digits may be dropped; text timestamps either way round."""
    if array.type == target:
        return array
    if pa.types.is_integer(target) and (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        # Arrow also reads hexadecimal ("0x1f"); the warehouses' loaders take decimal digits only.
        decimal = pc.match_substring_regex(array, r"^[+-]?[0-9]+$")
        if pc.any(pc.invert(decimal)).as_py():
            raise pa.ArrowInvalid("integer text must be decimal digits")
    options = pc.CastOptions(target_type=target, allow_time_truncate=True)
    try:
        return pc.cast(array, options=options)
    except _CAST_ERRORS:
        if not (pa.types.is_timestamp(target) and pa.types.is_string(array.type)):
            raise
    # Text with an offset into a column without a time zone (kept as UTC), or text without one into
    # a column with a time zone (taken as UTC).
    if target.tz is None:
        aware = pc.cast(array, options=pc.CastOptions(target_type=pa.timestamp(target.unit, tz="UTC"),
                                                      allow_time_truncate=True))
        return pc.cast(aware, target)
    naive = pc.cast(array, options=pc.CastOptions(target_type=pa.timestamp(target.unit), allow_time_truncate=True))
    return pc.cast(pc.assume_timezone(naive, "UTC"), target)


def _bisect(array: pa.Array, target: pa.DataType, offset: int, chunks: list[pa.Array], bad: list[int]) -> None:
    """Cast `array` in halves until every failing row is found; refused rows become nulls in order."""
    try:
        chunks.append(_cast(array, target))
        return
    except _CAST_ERRORS:
        pass
    if len(array) == 1:
        bad.append(offset)
        chunks.append(pa.nulls(1, type=target))
        return
    half = len(array) // 2
    _bisect(array.slice(0, half), target, offset, chunks, bad)
    _bisect(array.slice(half), target, offset + half, chunks, bad)


def _kind(column: Column) -> str:
    return column.db_type or str(column.arrow_type)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"
