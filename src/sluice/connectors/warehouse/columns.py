"""One column of a warehouse table, as the destination sees it (connectors layer)."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class Column:
    """A target column: its name as the database spells it and what its values must become.

    `arrow_type` is the type values are cast to before they are staged (JSON-like columns such as
    Redshift SUPER or Snowflake VARIANT take `pa.string()`: nested values are staged as JSON text).
    `max_length` bounds strings, in characters, or in UTF-8 bytes when `length_in_bytes` (Redshift
    counts VARCHAR(n) in bytes, Snowflake in characters). `db_type` is the declared type, for
    messages.
    """

    name: str
    arrow_type: pa.DataType
    db_type: str = ""
    max_length: int | None = None
    length_in_bytes: bool = False
    nullable: bool = True

    @property
    def described(self) -> str:
        """`name (type)`, as refusal messages name the column."""
        return f"{self.name} ({self.db_type})" if self.db_type else self.name
