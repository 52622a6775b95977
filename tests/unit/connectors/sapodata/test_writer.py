"""`$batch` bodies and key predicates (sapodata/changesets.py, writer.py), checked against the fake's parser."""

from __future__ import annotations

import orjson
import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.rest.destination import WritePlan
from sluice.connectors.sapodata import changesets, edmx
from sluice.connectors.sapodata.catalog import entity_of
from sluice.connectors.sapodata.writer import SapWriter, key_predicate
from tests.fakes.sapodata import batch as fake_batch
from tests.fakes.sapodata.model import build_services
from tests.fakes.sapodata.wire import metadata

SERVICES = build_services(1, 1, 1, 1)


def entity(part: str, name: str):  # type: ignore[no-untyped-def]
    path, service = next((p, s) for p, s in SERVICES.items() if part in p)
    parsed = edmx.parse(metadata(service).encode())
    return entity_of(path, parsed, parsed.sets[name])


def test_a_batch_holds_one_change_set_per_record_as_the_service_reads_it() -> None:
    operations = [changesets.Operation("POST", "SalesOrderSet", {"CustomerName": "Ä"}),
                  changesets.Operation("MERGE", "SalesOrderSet('0500000001')", {"Quantity": 2})]
    body, content_type = changesets.request_body(operations)
    parts = fake_batch.parse(body, content_type)
    assert [p.changeset for p in parts] == [True, True]
    assert [(o.method, o.url, orjson.loads(o.body)) for p in parts for o in p.operations] == [
        ("POST", "SalesOrderSet", {"CustomerName": "Ä"}), ("MERGE", "SalesOrderSet('0500000001')", {"Quantity": 2})]


def test_an_answer_gives_each_change_set_its_outcome() -> None:
    ok = fake_batch.Reply(201, "Created", {"Content-Type": "application/json"}, b'{"d": {"SalesOrderID": "1"}}')
    refused = fake_batch.Reply(400, "Bad Request", {"Content-Type": "application/json"},
                               b'{"error": {"code": "X/1", "message": {"lang": "en", "value": "no"}}}')
    updated = fake_batch.Reply(204, "No Content", {}, b"")
    parts = [fake_batch.Part([], changeset=True) for _ in range(3)]
    body, content_type = fake_batch.compose([(parts[0], [ok]), (parts[1], [refused]), (parts[2], [updated])])
    outcomes = changesets.parse_answer(body, content_type, 3)
    assert [o.status for o in outcomes] == [201, 400, 204]
    assert outcomes[0].body == {"d": {"SalesOrderID": "1"}} and outcomes[2].body is None
    assert outcomes[1].body["error"]["message"]["value"] == "no"
    short, short_type = fake_batch.compose([(parts[0], [ok]), (parts[1], [ok])])
    with pytest.raises(ValueError, match="2 change set answers for 3"):
        changesets.parse_answer(short, short_type, 3)


def test_key_predicates_follow_the_key_types() -> None:
    orders = entity("SALES", "SalesOrderSet")
    assert key_predicate(orders, {"SalesOrderID": "05'1"}) == "('05''1')"
    facts = entity("ODP", "FactsOfSalesDocument")
    assert key_predicate(facts, {"DocumentID": "1", "ItemNumber": "10"}) == "(DocumentID='1',ItemNumber='10')"


def test_updates_must_name_the_entity_key() -> None:
    orders = entity("SALES", "SalesOrderSet")
    writer = SapWriter()
    writer.check(WritePlan(orders, "UPDATE", ()))  # the key properties by default
    writer.check(WritePlan(orders, "UPSERT", ("SalesOrderID",)))
    with pytest.raises(ConnectorError, match="idFieldNames must name exactly"):
        writer.check(WritePlan(orders, "UPDATE", ("CustomerName",)))
