"""Custom fields as columns: typed from the account's ticket and user fields, read from records."""

from __future__ import annotations

from sluice.connectors.base import ProfileView
from sluice.connectors.rest.records import RecordConverter
from sluice.connectors.zendesk.connector import CONNECTOR
from sluice.connectors.zendesk.fields import flatten_ticket, ticket_custom, user_custom
from tests.fakes.zendesk.server import FakeZendesk


def test_custom_field_types_and_system_fields() -> None:
    columns = ticket_custom([{"id": 1, "type": "subject", "title": "Subject", "removable": False},
                             {"id": 2, "type": "decimal", "title": "Refund"},
                             {"id": 3, "type": "multiselect", "title": "Topics"},
                             {"id": 4, "type": "tagger", "title": "Product"}])
    assert [(c.name, c.type, c.vendor_type) for c in columns] == [
        ("custom_field_2", "double", "decimal"), ("custom_field_3", "array", "multiselect"),
        ("custom_field_4", "string", "tagger")]
    users = user_custom([{"key": "signup", "type": "date", "title": "Signed up"}])
    assert (users[0].name, users[0].type, users[0].source) == ("user_field_signup", "date", "user_fields.signup")


def test_records_carry_custom_values_as_typed_columns(fake: FakeZendesk, profile: ProfileView) -> None:
    with CONNECTOR.client(profile) as client:
        tickets = CONNECTOR.catalog.entity(client, "tickets")
        fields = tickets.fields_for(client)
        users = CONNECTOR.catalog.entity(client, "users").fields_for(client)
    ticket = fake.state.collections["tickets"].get(3, fake.url)
    row = RecordConverter(fields).batch([flatten_ticket(ticket)]).to_pylist()[0]
    values = {c["id"]: c["value"] for c in ticket["custom_fields"]}
    assert row["custom_field_360010000001"] == values[360010000001]
    assert row["custom_field_360010000007"] == values[360010000007]  # multiselect: a list of tags
    user = fake.state.collections["users"].get(361000000002, fake.url)
    user_row = RecordConverter(users).batch([user]).to_pylist()[0]
    assert user_row["user_field_plan"] == user["user_fields"]["plan"]
