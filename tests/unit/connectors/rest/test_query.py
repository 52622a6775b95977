"""`Query` helpers vendors push down with."""

from __future__ import annotations

from sluice.connectors.rest.entities import Condition, Query


def test_equal_to_is_the_one_value_every_equality_names() -> None:
    def query(*conditions: Condition) -> Query:
        return Query("charges", conditions=conditions)

    assert query(Condition("status", "EQUAL_TO", ("paid",))).equal_to("status") == "paid"
    assert query(Condition("status", "EQUAL_TO", ("paid",)), Condition("status", "EQUAL_TO", ("paid",)),
                 Condition("status", "NOT_EQUAL_TO", ("open",))).equal_to("status") == "paid"
    assert query(Condition("status", "EQUAL_TO", ("paid",)),
                 Condition("status", "EQUAL_TO", ("open",))).equal_to("status") is None  # nothing matches both
    assert query(Condition("status", "GREATER_THAN", ("a",))).equal_to("status") is None
    assert query(Condition("other", "EQUAL_TO", ("x",))).equal_to("status") is None
