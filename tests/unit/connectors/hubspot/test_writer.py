"""HubSpot batch writes: inputs per operation, and 207 / 400 answers to per-record outcomes."""

from __future__ import annotations

import pytest

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.hubspot.catalog import Catalog
from sluice.connectors.hubspot.connector import CONNECTOR
from sluice.connectors.hubspot.search import read_objects
from sluice.connectors.hubspot.writer import BatchWriter, _input
from sluice.connectors.rest.destination import WritePlan
from tests.fakes.hubspot.server import FakeHubSpot

CATALOG = Catalog(read=read_objects)


def test_inputs_per_operation() -> None:
    record = {"id": "7", "email": "a@example.com", "is_public": True, "numberofemployees": 12, "createdAt": "x",
              "tags": ["a"]}
    assert _input("INSERT", None, record) == {"properties": {"email": "a@example.com", "is_public": "true",
                                                             "numberofemployees": "12", "tags": '["a"]'}}
    assert _input("UPDATE", "id", record)["id"] == "7"  # type: ignore[index]
    upsert = _input("UPSERT", "email", record)
    assert upsert is not None and upsert["idProperty"] == "email" and "email" not in upsert["properties"]
    assert _input("UPDATE", "email", {"email": None}) is None


@pytest.mark.parametrize(("operation", "ids", "ok"), [
    ("INSERT", (), True), ("UPDATE", ("id",), True), ("UPSERT", ("email",), True),
    ("UPSERT", ("id",), False), ("UPDATE", (), False), ("UPSERT", ("email", "phone"), False),
])
def test_id_fields_each_operation_takes(operation: str, ids: tuple[str, ...], ok: bool) -> None:
    plan = WritePlan(CATALOG.crm("contact"), operation, ids)
    if ok:
        BatchWriter().check(plan)
    else:
        with pytest.raises(ConnectorError):
            BatchWriter().check(plan)


def test_a_207_refuses_only_the_named_records(fake: FakeHubSpot, profile: ProfileView) -> None:
    fake.state.reject("companies", "domain", "no.example.com", "domain is blocked")
    records = [{"name": "A", "domain": "a.example.com"}, {"name": "B", "domain": "no.example.com"},
               {"name": "C", "domain": "c.example.com"}]
    with CONNECTOR.client(profile) as client:
        results = BatchWriter().send(client, WritePlan(CATALOG.crm("company"), "INSERT"), records)
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].code == "VALIDATION_ERROR" and results[1].message == "domain is blocked"
    assert results[0].id and fake.state.get("companies", results[0].id) is not None


def test_update_errors_name_their_records_and_records_without_an_id_are_not_sent(
        fake: FakeHubSpot, profile: ProfileView) -> None:
    records = [{"name": "A"}, {"bogus_property": "x"}]
    with CONNECTOR.client(profile) as client:
        results = BatchWriter().send(client, WritePlan(CATALOG.crm("company"), "UPDATE", ("id",)),
                                     [{"id": "5001", **records[0]}, {"id": "5002", **records[1]}, {"name": "no id"}])
    assert [r.ok for r in results] == [True, False, False]
    assert "does not exist" in results[1].message and results[2].code == "MISSING_ID"


def test_a_call_refused_whole_refuses_each_record(fake: FakeHubSpot, profile: ProfileView) -> None:
    records = [{"name": f"n{i}"} for i in range(101)]  # one more than HubSpot takes in a call
    with CONNECTOR.client(profile) as client:
        results = BatchWriter().send(client, WritePlan(CATALOG.crm("company"), "INSERT"), records)
    assert not any(r.ok for r in results) and len(results) == 101
    assert all("at most 100" in r.message for r in results)
