"""Redshift column types as Arrow types (connectors/redshift/types.py)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from sluice.connectors.redshift.types import redshift_type


@pytest.mark.parametrize(("data_type", "args", "arrow", "sql"), [
    ("smallint", (), pa.int16(), "smallint"),
    ("integer", (), pa.int32(), "integer"),
    ("bigint", (), pa.int64(), "bigint"),
    ("numeric", (None, 12, 2), pa.decimal128(12, 2), "numeric(12,2)"),
    ("real", (), pa.float32(), "real"),
    ("double precision", (), pa.float64(), "double precision"),
    ("boolean", (), pa.bool_(), "boolean"),
    ("character", (10,), pa.string(), "char(10)"),
    ("character varying", (256,), pa.string(), "varchar(256)"),
    ("date", (), pa.date32(), "date"),
    ("timestamp without time zone", (), pa.timestamp("us"), "timestamp"),
    ("timestamp with time zone", (), pa.timestamp("us", tz="UTC"), "timestamptz"),
    ("time without time zone", (), pa.time64("us"), "time"),
    ("super", (), pa.string(), "super"),
])
def test_mapping(data_type: str, args: tuple[int | None, ...], arrow: pa.DataType, sql: str) -> None:
    column = redshift_type(data_type, *args)
    assert column.arrow == arrow
    assert column.sql == sql


def test_lengths_only_for_text() -> None:
    assert redshift_type("integer", 32).length is None
    assert redshift_type("character varying", 65535).length == 65535
    assert redshift_type("numeric", None, 50, 60).arrow == pa.decimal128(38, 38)
