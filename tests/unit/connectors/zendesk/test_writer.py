"""Records to Zendesk objects, key checks, and job results to per-record outcomes."""

from __future__ import annotations

import pytest

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.rest.destination import WritePlan
from sluice.connectors.rest.entities import Entity
from sluice.connectors.zendesk.connector import CATALOG, CONNECTOR
from sluice.connectors.zendesk.writer import ZendeskWriter, _result, to_object
from tests.fakes.zendesk.server import FakeZendesk


def entity(name: str) -> Entity:
    return next(e for e in CATALOG.items if e.name == name)


def test_custom_field_columns_go_back_into_custom_fields_and_text_is_typed() -> None:
    types = {f.name: f.type for f in entity("tickets").fields}
    ticket = to_object("tickets", {"id": "7", "subject": "Hi", "description": "Body", "requester_id": "361000000001",
                                   "custom_field_360010000001": "42", "updated_at": "2024-01-01T00:00:00Z",
                                   "tags": '["a", "b"]', "is_public": "false"}, True, types)
    assert ticket == {"subject": "Hi", "description": "Body", "requester_id": 361000000001, "tags": ["a", "b"],
                      "is_public": False, "custom_fields": [{"id": 360010000001, "value": "42"}],
                      "comment": {"body": "Body"}}
    user = to_object("users", {"id": 5, "name": "Zoë", "user_field_plan": "growth"}, False)
    assert user == {"id": 5, "name": "Zoë", "user_fields": {"plan": "growth"}}


@pytest.mark.parametrize(("name", "operation", "ids", "ok"), [
    ("tickets", "INSERT", (), True),
    ("tickets", "UPDATE", ("id",), True),
    ("tickets", "UPSERT", ("external_id",), False),  # tickets are matched by id only
    ("users", "UPSERT", ("email",), True),
    ("users", "UPDATE", ("email",), False),  # only create_or_update_many matches by e-mail
    ("organizations", "UPDATE", ("external_id",), True),
    ("organizations", "UPSERT", ("id", "external_id"), False),
])
def test_key_fields_zendesk_can_match_by(name: str, operation: str, ids: tuple[str, ...], ok: bool) -> None:
    plan = WritePlan(entity(name), operation, ids)
    if ok:
        ZendeskWriter().check(plan)
    else:
        with pytest.raises(ConnectorError, match="idFieldNames"):
            ZendeskWriter().check(plan)


def test_job_results_become_record_outcomes() -> None:
    assert _result({"index": 0, "id": 12, "status": "Updated", "success": True}).id == "12"
    failed = _result({"index": 1, "status": "Failed", "error": "RecordInvalid", "details": "Name: too short"})
    assert (failed.ok, failed.code, failed.message) == (False, "RecordInvalid", "Name: too short")
    assert not _result({"id": 3, "error": "UserUpdateError", "details": {"email": "taken"}}).ok
    assert _result(None).code == "NoResult"


def test_upsert_updates_what_exists_and_creates_the_rest(fake: FakeZendesk, profile: ProfileView) -> None:
    tickets = fake.state.collections["tickets"]
    open_id = next(i for i in range(1, 40) if tickets.get(i, "")["status"] != "closed")
    closed_id = next(i for i in range(1, 40) if tickets.get(i, "")["status"] == "closed")
    writer = ZendeskWriter(sleep=lambda s: None)
    with CONNECTOR.client(profile) as client:
        results = writer.send(client, WritePlan(entity("tickets"), "UPSERT", ("id",)), [
            {"id": open_id, "subject": "kept"}, {"id": 424242, "subject": "new", "description": "made"},
            {"subject": "no id", "description": "also made"}, {"id": closed_id, "subject": "closed"}])
    assert [r.ok for r in results] == [True, True, True, False]
    assert results[0].id == str(open_id) and int(results[1].id) > 40 and "closed" in results[3].message
    assert tickets.get(open_id, "")["subject"] == "kept"
    calls = [(e["method"], e["path"]) for e in fake.state.log.entries if "many" in e["path"]]
    assert calls == [("PUT", "/api/v2/tickets/update_many.json"), ("POST", "/api/v2/tickets/create_many.json")]
