"""`$metadata` documents as entities and fields (sapodata/edmx.py), on the fake's V2 and V4 documents."""

from __future__ import annotations

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.sapodata import edmx
from tests.fakes.sapodata.model import build_services
from tests.fakes.sapodata.wire import metadata

SERVICES = build_services(1, 1, 1, 1)


def service(path_part: str) -> edmx.Service:
    return edmx.parse(metadata(next(s for p, s in SERVICES.items() if path_part in p)).encode())


def test_a_v2_document_gives_typed_fields_keys_labels_and_sap_flags() -> None:
    sales = service("SALES")
    assert sales.version == "2.0" and set(sales.sets) == {"SalesOrderSet", "SalesOrderItemSet", "BusinessPartnerSet"}
    orders = sales.sets["SalesOrderSet"]
    assert orders.keys == ("SalesOrderID",) and orders.creatable and orders.updatable and not orders.odp
    fields = {f.name: f for f in orders.fields}
    assert fields["SalesOrderID"].primary_key and not fields["SalesOrderID"].nullable
    assert (fields["NetAmount"].type, fields["NetAmount"].vendor_type) == ("string", "Edm.Decimal")
    assert fields["Quantity"].type == "integer" and fields["Weight"].type == "double"
    assert fields["CreatedAt"].type == "datetime" and fields["CreatedAt"].timestamp
    assert fields["CreatedAt"].label == "Created At" and not fields["CreatedAt"].creatable
    assert fields["InternalMemo"].filters == ()
    ship = fields["ShipTo"]
    assert ship.type == "struct" and [m.name for m in ship.members] == ["Street", "City", "Country", "PostalCode"]
    assert "ToItems" not in fields


def test_an_odp_set_is_change_tracking_and_takes_no_writes() -> None:
    facts = service("ODP").sets["FactsOfSalesDocument"]
    assert facts.change_tracking and facts.odp and facts.keys == ("DocumentID", "ItemNumber")


def test_a_v4_document_is_read_as_v4() -> None:
    products = service("odata4")
    assert products.v4
    fields = {f.name: f for f in products.sets["Products"].fields}
    assert fields["ValidFrom"].type == "date" and fields["ModifiedAt"].type == "datetime"


def test_documents_with_entities_or_that_are_not_edmx_are_refused() -> None:
    with pytest.raises(ConnectorError, match="DTD"):
        edmx.parse(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    with pytest.raises(ConnectorError, match="not an EDMX"):
        edmx.parse(b"<html><body>Logon</body></html>")
    with pytest.raises(ConnectorError, match="not XML"):
        edmx.parse(b"{\"d\": {}}")
