"""Filter tasks as `$filter` (odata/filters.py): operators, literals by EDM type, V2 and V4."""

from __future__ import annotations

from sluice.connectors.odata import filters
from sluice.connectors.odata.types import STRING_FILTERS
from sluice.connectors.rest.entities import Condition, Field

NAME = Field("Name", "string", vendor_type="Edm.String", filters=STRING_FILTERS)
AMOUNT = Field("Amount", "string", vendor_type="Edm.Decimal", filters=("GREATER_THAN", "LESS_THAN", "BETWEEN"))
COUNT = Field("Count", "integer", vendor_type="Edm.Int64")
WHEN = Field("When", "datetime", vendor_type="Edm.DateTime")
STAMP = Field("Stamp", "datetime", vendor_type="Edm.DateTimeOffset")
FLAG = Field("Flag", "boolean", vendor_type="Edm.Boolean")
FIELDS = {f.name: f for f in (NAME, AMOUNT, COUNT, WHEN, STAMP, FLAG)}


def test_each_operator_and_literal_in_v2() -> None:
    conditions = [Condition("Name", "EQUAL_TO", ("O'Brien",)), Condition("Name", "CONTAINS", ("Mü",)),
                  Condition("Amount", "GREATER_THAN", ("12.50",)), Condition("Count", "NOT_EQUAL_TO", ("7",)),
                  Condition("When", "BETWEEN", ("2024-01-01T00:00:00Z", "1704153600000")),
                  Condition("Stamp", "LESS_THAN", ("2024-03-01T10:30:00.5+01:00",)),
                  Condition("Flag", "EQUAL_TO", ("TRUE",))]
    assert filters.build(conditions, FIELDS, v4=False) == (
        "Name eq 'O''Brien' and substringof('Mü',Name) and Amount gt 12.50M and Count ne 7L and "
        "(When ge datetime'2024-01-01T00:00:00' and When le datetime'2024-01-02T00:00:00') and "
        "Stamp lt datetimeoffset'2024-03-01T09:30:00.5Z' and Flag eq true")


def test_v4_writes_bare_literals_and_contains() -> None:
    conditions = [Condition("Name", "CONTAINS", ("x",)), Condition("Amount", "LESS_THAN", ("3",)),
                  Condition("Count", "EQUAL_TO", ("1", "2")), Condition("Stamp", "GREATER_THAN", ("2024-01-01",))]
    assert filters.build(conditions, FIELDS, v4=True) == (
        "contains(Name,'x') and Amount lt 3 and (Count eq 1 or Count eq 2) and Stamp gt 2024-01-01T00:00:00Z")


def test_what_cannot_be_written_is_left_to_the_engine() -> None:
    conditions = [Condition("Count", "GREATER_THAN", ("many",)), Condition("Amount", "CONTAINS", ("1",)),
                  Condition("Missing", "EQUAL_TO", ("x",)), Condition("When", "LESS_THAN", ("not a date",))]
    assert filters.build(conditions, FIELDS, v4=False) is None


def test_the_incremental_window_is_gt_start_and_le_end() -> None:
    assert filters.window(WHEN, 1704067200.0, 1704070800.25, v4=False) == [
        "When gt datetime'2024-01-01T00:00:00'", "When le datetime'2024-01-01T01:00:00.25'"]
    assert filters.window(NAME, 1.0, 2.0, v4=False) == []
