"""Filter comparisons and windows as ServiceNow encoded queries (service_now/query.py)."""

from __future__ import annotations

import pytest

from sluice.connectors.rest.entities import Condition, Field, Query
from sluice.connectors.service_now.query import ZONE_SLACK, condition_term, encoded_query, instant

TEXT = Field("short_description")
NUMBER = Field("priority", "integer")
FLAG = Field("active", "boolean")
WHEN = Field("sys_updated_on", "datetime", format="%Y-%m-%d %H:%M:%S", timestamp=True)
DAY = Field("purchase_date", "date")
JAN = "1704067200000"  # 2024-01-01T00:00:00Z in epoch milliseconds, as AppFlow sends datetimes


@pytest.mark.parametrize(("field", "operator", "values", "term"), [
    (TEXT, "EQUAL_TO", ("VPN down",), "short_description=VPN down"),
    (TEXT, "EQUAL_TO", ("a", "b"), "short_descriptionINa,b"),
    (TEXT, "CONTAINS", ("x^y",), "short_descriptionLIKEx^^y"),
    (TEXT, "NOT_EQUAL_TO", ("a",), None),  # ServiceNow's != also drops empty values
    (TEXT, "LESS_THAN", ("a",), None),
    (NUMBER, "LESS_THAN_OR_EQUAL_TO", ("2",), "priority<=2"),
    (NUMBER, "GREATER_THAN", ("2",), "priority>2"),
    (NUMBER, "BETWEEN", ("1", "3"), "priorityBETWEEN1@3"),
    (NUMBER, "EQUAL_TO", ("1", "2"), "priorityIN1,2"),
    (NUMBER, "EQUAL_TO", ("high",), None),
    (FLAG, "EQUAL_TO", ("TRUE",), "active=true"),
    (WHEN, "GREATER_THAN", (JAN,), "sys_updated_on>=2023-12-31 10:00:00"),
    (WHEN, "LESS_THAN", ("2024-01-01T00:00:00Z",), "sys_updated_on<=2024-01-01 14:00:00"),
    (WHEN, "BETWEEN", (JAN, JAN), "sys_updated_onBETWEEN2023-12-31 10:00:00@2024-01-01 14:00:00"),
    (WHEN, "GREATER_THAN", ("yesterday",), None),
    (DAY, "GREATER_THAN_OR_EQUAL_TO", (JAN,), "purchase_date>=2024-01-01"),
])
def test_condition_terms(field: Field, operator: str, values: tuple[str, ...], term: str | None) -> None:
    assert condition_term(field, Condition(field.name, operator, values)) == term


def test_encoded_query_joins_filters_window_and_stable_order() -> None:
    fields = {f.name: f for f in (TEXT, NUMBER, WHEN, Field("sys_id"), Field("sys_created_on", "datetime"))}
    query = Query("incident", conditions=(Condition("priority", "EQUAL_TO", ("1",)),
                                          Condition("missing", "EQUAL_TO", ("1",))),
                  window_field="sys_updated_on", window_start=1_704_067_200.0, window_end=1_704_153_600.0)
    assert encoded_query(query, fields) == (
        f"priority=1^sys_updated_on>={instant(1_704_067_200 - ZONE_SLACK)}"
        f"^sys_updated_on<={instant(1_704_153_600 + ZONE_SLACK)}^ORDERBYsys_created_on^ORDERBYsys_id")
    assert encoded_query(Query("x"), {}) == ""
