"""Pardot's push-down: `fields=` (structs as members), id and deleted filters, and the time window."""

from __future__ import annotations

from sluice.connectors.pardot.objects import OBJECTS, fields_param, plan
from sluice.connectors.rest.client import Request
from sluice.connectors.rest.entities import Condition, Query


def test_the_projection_asks_for_struct_members_and_always_the_id() -> None:
    prospects = OBJECTS[0]
    assert fields_param(["email", "campaign", "Custom__c"], prospects.fields) == (
        "email,campaign.id,campaign.name,Custom__c")
    planned = plan(Query("prospects", columns=("email",)), Request("GET", "/api/v5/objects/prospects"))
    assert planned.params["fields"] == "id,email" and planned.params["orderBy"] == "id asc"


def test_filters_and_the_window_become_v5_parameters() -> None:
    query = Query("prospects", columns=("id", "updatedAt"), conditions=(
        Condition("id", "EQUAL_TO", ("1042",)), Condition("isDeleted", "EQUAL_TO", ("TRUE",)),
        Condition("email", "EQUAL_TO", ("a@example.com",))),
        window_field="updatedAt", window_start=1_700_000_000.5, window_end=1_700_003_600.5)
    params = plan(query, Request("GET", "/api/v5/objects/prospects", {"limit": 1000})).params
    assert params == {"limit": 1000, "fields": "id,updatedAt", "orderBy": "id asc",
                      "updatedAtAfter": "2023-11-14T22:13:20+00:00",
                      "updatedAtBeforeOrEqualTo": "2023-11-14T23:13:21+00:00",
                      "idGreaterThanOrEqualTo": "1042", "idLessThanOrEqualTo": "1042", "deleted": "true"}
