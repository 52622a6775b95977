"""EDM types as the REST layer's field types (odata/types.py)."""

from __future__ import annotations

from sluice.connectors.odata.types import kind_of


def test_primitive_types() -> None:
    assert [kind_of(t) for t in ("Edm.String", "Edm.Int64", "Edm.Double", "Edm.Boolean", "Edm.DateTimeOffset",
                                 "Edm.Date", "Edm.Guid")] == [
        "string", "integer", "double", "boolean", "datetime", "date", "string"]


def test_decimals_exact_as_text_unless_read_as_numbers() -> None:
    assert kind_of("Edm.Decimal") == "string"
    assert kind_of("Edm.Decimal", exact_decimals=False) == "double"


def test_collections_are_json_and_unknown_types_text() -> None:
    assert kind_of("Collection(Edm.String)") == "json"
    assert kind_of("Edm.Geography") == "string"
