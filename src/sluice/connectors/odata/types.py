"""EDM primitive types as the REST layer's field types (connectors layer, shared OData).

OData CSDL (V2 and V4) names each property's type `Edm.<Name>`; Sluice's REST layer reads JSON
values into its own small set of types (`rest.entities.TYPES`). The mapping is the same for every
service except for decimals: OData V2 JSON writes `Edm.Decimal` as text (kept exact as a string),
V4 JSON as a number, which a service may read as a double (`exact_decimals=False`).
"""

from __future__ import annotations

from sluice.connectors.rest.entities import ORDERED

# What a text property takes: the ordered comparisons (OData compares strings) and `contains`.
STRING_FILTERS = (*ORDERED, "CONTAINS")

EDM_KINDS = {
    "Edm.String": "string", "Edm.Guid": "string", "Edm.Time": "string", "Edm.TimeOfDay": "string",
    "Edm.Duration": "string", "Edm.Binary": "string", "Edm.Int16": "integer", "Edm.Int32": "integer",
    "Edm.Int64": "integer", "Edm.Byte": "integer", "Edm.SByte": "integer", "Edm.Double": "double",
    "Edm.Single": "double", "Edm.Decimal": "string", "Edm.Boolean": "boolean", "Edm.DateTime": "datetime",
    "Edm.DateTimeOffset": "datetime", "Edm.Date": "date",
}


def kind_of(edm: str, exact_decimals: bool = True) -> str:
    """The REST layer type of a property of EDM type `edm` (a collection is JSON text; an unknown
    type is text)."""
    if edm == "Edm.Decimal" and not exact_decimals:
        return "double"
    return EDM_KINDS.get(edm, "json" if edm.startswith("Collection(") else "string")
