"""The pushed-down SELECT: quoting, bound values, the window and which filters go down."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from sluice.connectors.jdbc.sql import build_select, condition, quote_identifier, split_entity, window_condition
from sluice.connectors.jdbc.types import sql_type

INT = sql_type("integer")
TEXT = sql_type("character varying", length=20)
TSZ = sql_type("timestamp with time zone")
TS = sql_type("timestamp without time zone")
BOOL = sql_type("boolean")


def flt(operator: str, field: str = "x", **props: Any) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"CustomConnector": operator},
            "taskProperties": {k: str(v) for k, v in props.items()}}


def test_identifiers_are_quoted_per_dialect() -> None:
    assert quote_identifier('we"ird', "postgresql") == '"we""ird"'
    assert quote_identifier("we`ird", "mysql") == "`we``ird`"
    assert split_entity("public.orders") == ("public", "orders")
    with pytest.raises(ValueError):
        split_entity("orders")


def test_values_are_bound_never_written_into_the_text() -> None:
    q = condition(flt("EQUAL_TO", VALUE="x'; DROP TABLE t; --"), "name", TEXT, "postgresql")
    assert q is not None
    assert q.text == '"name" = %s'
    assert q.params == ("x'; DROP TABLE t; --",)


def test_numbers_take_every_comparison() -> None:
    assert condition(flt("GREATER_THAN", VALUE="5"), "n", INT, "postgresql").params == (Decimal(5),)  # type: ignore[union-attr]
    between = condition(flt("BETWEEN", LOWER_BOUND="1", UPPER_BOUND="9.5"), "n", INT, "mysql")
    assert between is not None and between.text == "(`n` >= %s AND `n` <= %s)"
    assert between.params == (Decimal(1), Decimal("9.5"))
    ne = condition(flt("NOT_EQUAL_TO", VALUES='["1","2"]'), "n", INT, "postgresql")
    assert ne is not None and ne.text == '("n" NOT IN (%s, %s) AND "n" IS NOT NULL)'
    assert condition(flt("LESS_THAN", VALUE="abc"), "n", INT, "postgresql") is None


def test_text_keeps_equality_only() -> None:
    assert condition(flt("GREATER_THAN", VALUE="m"), "s", TEXT, "postgresql") is None
    assert condition(flt("NOT_EQUAL_TO", VALUE="m"), "s", TEXT, "postgresql") is None
    assert condition(flt("CONTAINS", VALUE="m"), "s", TEXT, "postgresql") is None
    assert condition(flt("EQUAL_TO", VALUE="m", DATA_TYPE="integer"), "s", TEXT, "postgresql") is None
    assert condition(flt("EQUAL_TO", VALUE="not-a-uuid"), "u", sql_type("uuid"), "postgresql") is None
    assert condition(flt("EQUAL_TO", VALUE="{"), "j", sql_type("jsonb"), "postgresql") is None


def test_datetimes_read_epoch_millis_and_iso_text() -> None:
    q = condition(flt("GREATER_THAN_OR_EQUAL_TO", VALUE="1609459200000"), "t", TSZ, "postgresql")
    assert q is not None and q.params == (datetime(2021, 1, 1, tzinfo=UTC),)
    naive = condition(flt("LESS_THAN", VALUE="2021-01-01T01:00:00+01:00"), "t", TS, "postgresql")
    assert naive is not None and naive.params == (datetime(2021, 1, 1),)


def test_booleans() -> None:
    q = condition(flt("NOT_EQUAL_TO", VALUE="true"), "b", BOOL, "postgresql")
    assert q is not None and q.text == '"b" <> %s' and q.params == (True,)
    assert condition(flt("GREATER_THAN", VALUE="true"), "b", BOOL, "postgresql") is None


def test_window_is_open_below_and_closed_above() -> None:
    q = window_condition("updated", TSZ, 1_600_000_000.0, 1_600_003_600.5, "postgresql")
    assert q.text == '("updated" > %s AND "updated" <= %s)'
    assert q.params == (datetime.fromtimestamp(1_600_000_000, UTC), datetime.fromtimestamp(1_600_003_600.5, UTC))
    first = window_condition("updated", TS, None, 1_600_003_600.0, "mysql")
    assert first.text == "`updated` <= %s" and first.params[0].tzinfo is None


def test_build_select_projects_and_filters() -> None:
    types = {"id": INT, "name": TEXT, "updated": TSZ}
    tasks = [flt("PROJECTION", "id"), flt("GREATER_THAN", "id", VALUE="10"), flt("CONTAINS", "name", VALUE="a")]
    q = build_select("postgresql", "public", "people", ["id", "updated"], types, tasks,
                     ("updated", 0.0, 60.0))
    assert q.text == ('SELECT "id", "updated" FROM "public"."people" WHERE ("updated" > %s AND "updated" <= %s) '
                      'AND "id" > %s')
    assert q.params[2] == Decimal(10)


def test_type_mapping() -> None:
    assert sql_type("numeric", precision=12, scale=3).arrow == pa.decimal128(12, 3)
    assert sql_type("numeric").arrow == pa.string()  # unbounded NUMERIC keeps every digit as text
    assert sql_type("timestamp with time zone").arrow == pa.timestamp("us", tz="UTC")
    assert sql_type("timestamp without time zone").arrow == pa.timestamp("us")
    assert sql_type("jsonb").arrow == pa.string()
    assert sql_type("bytea").arrow == pa.binary()
    assert sql_type("tinyint", column_type="tinyint(1)").arrow == pa.bool_()
    assert sql_type("int", column_type="int(10) unsigned").arrow == pa.int64()
    assert sql_type("bigint", column_type="bigint(20) unsigned").arrow == pa.uint64()
    assert sql_type("timestamp", column_type="timestamp").arrow == pa.timestamp("us", tz="UTC")  # MySQL's, UTC
    assert sql_type("datetime", column_type="datetime").arrow == pa.timestamp("us")
    assert sql_type("uuid").arrow == pa.string()
