"""Tables and columns from Dataverse's table definitions, and the read's push-down (dynamics365/catalog.py)."""

from __future__ import annotations

from typing import Any

from sluice.connectors.dynamics365.catalog import column, label, plan
from sluice.connectors.rest.client import Request
from sluice.connectors.rest.entities import Condition, Query


def attribute(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"LogicalName": name, "AttributeType": kind, "IsValidForRead": True,
            "DisplayName": {"UserLocalizedLabel": {"Label": name.title()}, "LocalizedLabels": []}, **extra}


def test_labels_prefer_the_users_language() -> None:
    assert label({"UserLocalizedLabel": {"Label": "Konto"}, "LocalizedLabels": [{"Label": "Account"}]}) == "Konto"
    assert label({"UserLocalizedLabel": None, "LocalizedLabels": [{"Label": "Account"}]}) == "Account"
    assert label(None) == ""


def test_column_types_as_the_web_api_writes_them() -> None:
    money = column(attribute("revenue", "Money"))
    assert money is not None and (money.type, money.vendor_type) == ("double", "Edm.Decimal")
    lookup = column(attribute("parentaccountid", "Lookup"))
    assert lookup is not None and (lookup.name, lookup.vendor_type) == ("_parentaccountid_value", "Edm.Guid")
    assert lookup.filters == ("EQUAL_TO", "NOT_EQUAL_TO")
    assert money.filters == ("EQUAL_TO", "LESS_THAN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN",
                             "GREATER_THAN_OR_EQUAL_TO")
    key = column(attribute("accountid", "Uniqueidentifier", IsPrimaryId=True))
    assert key is not None and key.primary_key and not key.nullable
    when = column(attribute("modifiedon", "DateTime"))
    assert when is not None and when.type == "datetime" and when.timestamp and "BETWEEN" in (when.filters or ())
    assert column(attribute("statecode", "State")).type == "integer"  # type: ignore[union-attr]


def test_columns_a_query_cannot_read_are_left_out() -> None:
    assert column(attribute("parentaccountidname", "String", AttributeOf="parentaccountid")) is None
    assert column(attribute("entityimage", "Virtual")) is None
    assert column(attribute("hidden", "String", IsValidForRead=False)) is None


def test_plan_selects_filters_and_windows() -> None:
    fields = [f for f in (column(attribute("name", "String")), column(attribute("revenue", "Money")),
                          column(attribute("modifiedon", "DateTime"))) if f is not None]
    query = Query("accounts", columns=("name", "modifiedon"),
                  conditions=(Condition("name", "EQUAL_TO", ("O'Brien",)), Condition("revenue", "BETWEEN", ("1", "2")),
                              Condition("revenue", "GREATER_THAN", ("1.5",)), Condition("name", "CONTAINS", ("x",))),
                  window_field="modifiedon", window_start=1704067200.0, window_end=1704070800.0)
    planned = plan(query, Request("GET", "accounts"), fields)
    assert planned.params["$select"] == "name,modifiedon"
    assert planned.params["$filter"] == ("modifiedon gt 2024-01-01T00:00:00Z and modifiedon le 2024-01-01T01:00:00Z "
                                         "and name eq 'O''Brien' and revenue gt 1.5")


def test_plan_without_types_pushes_only_the_projection() -> None:
    planned = plan(Query("accounts", columns=("name",), conditions=(Condition("name", "EQUAL_TO", ("x",)),)),
                   Request("GET", "accounts"), [])
    assert planned.params == {"$select": "name"}


def test_plan_of_one_time_slice_bounds_and_selects_createdon() -> None:
    fields = [f for f in (column(attribute("name", "String")), column(attribute("createdon", "DateTime")))
              if f is not None]
    query = Query("accounts", columns=("name",), slice_field="createdon", slice_lower=1704067200.0)
    planned = plan(query, Request("GET", "accounts"), fields)
    assert planned.params == {"$select": "name,createdon", "$filter": "createdon gt 2024-01-01T00:00:00Z"}
