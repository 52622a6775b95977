"""Filter expressions: every term parses with the SDK's grammar and keeps what the engine keeps."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from custom_connector_queryfilter.queryfilter.errors import InvalidFilterExpressionError
from custom_connector_queryfilter.queryfilter.parse_tree_builder import parse

from sluice.connectors.custom_connector import filters

FIELDS: dict[str, dict[str, Any]] = {
    "name": {"fieldName": "name", "dataType": "String"},
    "amount": {"fieldName": "amount", "dataType": "Double"},
    "ratio": {"fieldName": "ratio", "dataType": "Float"},
    "count": {"fieldName": "count", "dataType": "Integer"},
    "big": {"fieldName": "big", "dataType": "Long"},
    "active": {"fieldName": "active", "dataType": "Boolean"},
    "modified": {"fieldName": "modified", "dataType": "DateTime",
                 "readProperties": {"isTimestampFieldForIncrementalQueries": True}},
    "day": {"fieldName": "day", "dataType": "Date"},
    "price": {"fieldName": "price", "dataType": "BigDecimal"},
    "tags": {"fieldName": "tags", "dataType": "List"},
    "hidden": {"fieldName": "hidden", "dataType": "String", "readProperties": {"isQueryable": False}},
    "eqonly": {"fieldName": "eqonly", "dataType": "Integer", "filterOperators": ["EQUAL_TO"]},
    "_odd": {"fieldName": "_odd", "dataType": "String"},
    "in": {"fieldName": "in", "dataType": "String"},
    "a.b-c": {"fieldName": "a.b-c", "dataType": "Integer"},
}


def task(field: str, operator: str, **props: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"CustomConnector": operator},
            "taskProperties": props}


def expr(*tasks: dict[str, Any], **kwargs: Any) -> str | None:
    result = filters.filter_expression(list(tasks), FIELDS, **kwargs)
    if result is not None:
        parse(result)  # the SDK's grammar must read every expression Sluice writes
    return result


@pytest.mark.parametrize(
    ("field", "operator", "props", "expected"),
    [
        ("amount", "GREATER_THAN", {"VALUE": "10"}, "amount > 10"),
        ("amount", "LESS_THAN", {"VALUE": "-2.5"}, "amount < -2.5"),
        ("amount", "GREATER_THAN_OR_EQUAL_TO", {"VALUE": "1e3"}, "amount >= 1000"),
        ("amount", "LESS_THAN_OR_EQUAL_TO", {"VALUE": ".5"}, "amount <= 0.5"),
        ("amount", "EQUAL_TO", {"VALUE": "7"}, "amount = 7"),
        ("amount", "NOT_EQUAL_TO", {"VALUE": "7"}, "amount != 7"),
        ("amount", "EQUAL_TO", {"VALUE": "1", "VALUES": "[\"2\", \"3\"]"}, "(amount = 1 or amount = 2 or amount = 3)"),
        ("amount", "NOT_EQUAL_TO", {"VALUES": "1,2"}, "(amount != 1 and amount != 2)"),
        ("amount", "BETWEEN", {"LOWER_BOUND": "1", "UPPER_BOUND": "20"}, "(amount >= 1 and amount <= 20)"),
        ("ratio", "GREATER_THAN", {"VALUE": "0.25"}, "ratio > 0.25"),
        ("count", "GREATER_THAN", {"VALUE": "2.5"}, "count > 2"),
        ("count", "GREATER_THAN_OR_EQUAL_TO", {"VALUE": "2.5"}, "count > 2"),
        ("count", "LESS_THAN", {"VALUE": "2.5"}, "count < 3"),
        ("count", "LESS_THAN_OR_EQUAL_TO", {"VALUE": "-2.5"}, "count < -2"),
        ("count", "EQUAL_TO", {"VALUE": "10"}, "count = 10"),
        ("count", "EQUAL_TO", {"VALUE": "0"}, "count = 0"),
        ("a.b-c", "EQUAL_TO", {"VALUE": "3"}, "a.b-c = 3"),
        ("name", "EQUAL_TO", {"VALUE": "Acme"}, "name = 'Acme'"),
        ("name", "EQUAL_TO", {"VALUE": "O'Brien"}, "name = \"O'Brien\""),
        ("name", "EQUAL_TO", {"VALUES": "[\"a b\", \"c\"]"}, "(name = 'a b' or name = 'c')"),
        ("name", "CONTAINS", {"VALUE": "cm"}, "name contains 'cm'"),
        ("name", "CONTAINS", {"VALUES": "x,y"}, "(name contains 'x' or name contains 'y')"),
        ("active", "EQUAL_TO", {"VALUE": "true"}, "active = true"),
        ("active", "NOT_EQUAL_TO", {"VALUE": "false"}, "active != false"),
        ("modified", "GREATER_THAN", {"VALUE": "2024-01-02T03:04:05Z"}, "modified > 2024-01-02T03:04:05Z"),
        ("modified", "LESS_THAN", {"VALUE": "2024-01-02T03:04:05.25+02:00"}, "modified < 2024-01-02T01:04:05.25Z"),
        ("modified", "EQUAL_TO", {"VALUE": "1704067200000"}, "modified = 2024-01-01T00:00:00Z"),
        ("modified", "BETWEEN", {"LOWER_BOUND": "2024-01-01", "UPPER_BOUND": "2024-02-01"},
         "modified between 2024-01-01T00:00:00Z and 2024-02-01T00:00:00Z"),
        ("day", "GREATER_THAN", {"VALUE": "2024-01-05"}, "day > 2024-01-05"),
        ("day", "GREATER_THAN_OR_EQUAL_TO", {"VALUE": "2024-01-05T12:00:00"}, "day > 2024-01-05"),
        ("day", "LESS_THAN_OR_EQUAL_TO", {"VALUE": "2024-01-05T12:00:00"}, "day < 2024-01-06"),
        ("day", "EQUAL_TO", {"VALUE": "2024-01-05"}, "day = 2024-01-05"),
        ("day", "BETWEEN", {"LOWER_BOUND": "2024-01-05", "UPPER_BOUND": "2024-01-09"},
         "day between 2024-01-05 and 2024-01-09"),
    ],
)
def test_each_operator_and_literal_parses(field: str, operator: str, props: dict[str, str], expected: str) -> None:
    assert expr(task(field, operator, **props)) == expected


@pytest.mark.parametrize(
    ("field", "operator", "props"),
    [
        ("name", "LESS_THAN", {"VALUE": "m"}),  # collation differs between systems
        ("name", "NOT_EQUAL_TO", {"VALUE": "m"}),  # a case-insensitive != drops records the engine keeps
        ("name", "EQUAL_TO", {"VALUE": "back\\slash"}),
        ("name", "EQUAL_TO", {"VALUE": "both ' and \""}),
        ("name", "EQUAL_TO", {"VALUE": ""}),
        ("name", "EQUAL_TO", {"VALUE": "7", "DATA_TYPE": "integer"}),  # the engine compares numbers
        ("amount", "CONTAINS", {"VALUE": "5"}),  # the engine matches the text form
        ("amount", "GREATER_THAN", {"VALUE": "0.1"}),  # not a float64: rounding could differ
        ("amount", "GREATER_THAN", {"VALUE": "abc"}),  # the engine falls back to text
        ("ratio", "EQUAL_TO", {"VALUE": "0.1"}),
        ("count", "EQUAL_TO", {"VALUE": "2.5"}),  # no integer equals it: the engine decides
        ("big", "EQUAL_TO", {"VALUE": str(2**53)}),
        ("price", "GREATER_THAN", {"VALUE": "1"}),
        ("tags", "CONTAINS", {"VALUE": "x"}),
        ("active", "EQUAL_TO", {"VALUE": "True"}),
        ("hidden", "EQUAL_TO", {"VALUE": "x"}),
        ("eqonly", "GREATER_THAN", {"VALUE": "1"}),
        ("_odd", "EQUAL_TO", {"VALUE": "x"}),
        ("in", "EQUAL_TO", {"VALUE": "x"}),
        ("missing", "EQUAL_TO", {"VALUE": "x"}),
        ("modified", "GREATER_THAN", {"VALUE": "0001-01-01T00:00:00+01:00"}),  # before year 1 in UTC
    ],
)
def test_terms_that_could_drop_records_are_not_pushed(field: str, operator: str, props: dict[str, str]) -> None:
    assert expr(task(field, operator, **props)) is None


def test_registration_operators_limit_what_is_pushed() -> None:
    assert expr(task("count", "GREATER_THAN", VALUE="1"), supported_operators=["EQUAL_TO"]) is None
    assert expr(task("count", "EQUAL_TO", VALUE="1"), supported_operators=["EQUAL_TO"]) == "count = 1"


def test_terms_are_joined_and_parenthesised() -> None:
    result = expr(task("day", "BETWEEN", LOWER_BOUND="2024-01-01", UPPER_BOUND="2024-01-31"),
                  task("name", "CONTAINS", VALUE="a"), task("name", "CONTAINS", VALUE="a"),
                  {"taskType": "Filter", "sourceFields": ["name"],
                   "connectorOperator": {"CustomConnector": "PROJECTION"}},
                  {"taskType": "Map", "sourceFields": ["name"], "connectorOperator": {"CustomConnector": "NO_OP"}})
    assert result == "(day between 2024-01-01 and 2024-01-31) and (name contains 'a')"


def _epoch(year: int, month: int, day: int) -> float:
    return datetime(year, month, day, tzinfo=UTC).timestamp()


def test_window_datetime_and_date() -> None:
    start, end = _epoch(2024, 1, 1), _epoch(2024, 1, 2)
    assert expr(window_field="modified", window_start=start, window_end=end) == (
        "modified > 2024-01-01T00:00:00Z and modified <= 2024-01-02T00:00:00Z")
    assert expr(window_field="modified", window_start=None, window_end=end + 0.5) == (
        "modified <= 2024-01-02T00:00:00.5Z")
    # Date: midnight(d) > start <=> d > day(start); midnight(d) <= end <=> d <= day(end)
    assert expr(window_field="day", window_start=start + 3600, window_end=end + 3600) == (
        "day > 2024-01-01 and day <= 2024-01-02")
    combined = expr(task("count", "EQUAL_TO", VALUE="3"), window_field="modified", window_start=start, window_end=end)
    assert combined == "(modified > 2024-01-01T00:00:00Z and modified <= 2024-01-02T00:00:00Z) and (count = 3)"


def test_window_on_other_types_is_left_to_the_engine() -> None:
    assert expr(window_field="name", window_start=0.0, window_end=10.0) is None
    assert expr(window_field="missing", window_start=0.0, window_end=10.0) is None


def test_fraction_window_bounds_round_outward() -> None:
    # (start, end] with sub-microsecond bounds: floor the start, ceil the end.
    result = filters.filter_expression([], FIELDS, "modified", 1.0000004, 2.0000004)
    assert result == "modified > 1970-01-01T00:00:01Z and modified <= 1970-01-01T00:00:02.000001Z"


def test_literal_helpers() -> None:
    assert filters.identifier("and") is None and filters.identifier("And") == "And"
    assert filters.number_literal(Decimal("-0")) == "0"
    assert filters.number_literal(Decimal("100.0")) == "100"
    assert filters.number_literal(Decimal("0.000001")) == "0.000001"
    assert filters.datetime_literal(0) == "1970-01-01T00:00:00Z"
    for literal in ("'x'", '"y"', "10", "5", "-3.25", "2024-01-01", "2024-01-01T00:00:00.5Z", "true", "null"):
        parse(f"f = {literal}")
    with pytest.raises(InvalidFilterExpressionError):
        parse("f = 2024-01-01T00:00:00+01:00")  # why every datetime is written in UTC with Z
