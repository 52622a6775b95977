"""Trend Micro searches: ID paging and the push-down of EQUAL_TO filters and time windows."""

from __future__ import annotations

from typing import Any

import httpx

from sluice.connectors.rest.client import Answer, Request
from sluice.connectors.rest.entities import Condition, Query
from sluice.connectors.trendmicro.connector import COMPUTERS, SOFTWARE_CHANGES
from sluice.connectors.trendmicro.search import IdPages


def answer(body: Any) -> Answer:
    return Answer(httpx.Response(200), body)


def test_pages_follow_the_last_id_and_keep_the_other_criteria() -> None:
    pages = IdPages("computers", size=2)
    first = pages.first(Request("POST", "/computers/search", json={"searchCriteria": [{"fieldName": "x"}]}))
    assert first.json == {"searchCriteria": [{"fieldName": "x"}], "maxItems": 2, "sortByObjectID": True}
    assert first.idempotent is True
    second = pages.next(first, answer({"computers": [{"ID": 4}, {"ID": 9}]}), 2)
    assert second is not None
    assert second.json["searchCriteria"] == [{"fieldName": "x"}, {"idTest": "greater-than", "idValue": 9}]
    third = pages.next(second, answer({"computers": [{"ID": 10}, {"ID": 12}]}), 2)
    assert third is not None and third.json["searchCriteria"][-1] == {"idTest": "greater-than", "idValue": 12}
    assert len(third.json["searchCriteria"]) == 2
    assert pages.next(third, answer({"computers": [{"ID": 13}]}), 1) is None


def plan(entity: Any, query: Query) -> list[dict[str, Any]]:
    request = entity.plan(query, entity.paginator.first(Request("POST", entity.path, json={})))
    return list(request.json["searchCriteria"])


def test_equal_to_filters_become_typed_criteria() -> None:
    query = Query("computers", conditions=(
        Condition("hostName", "EQUAL_TO", ("web_01%",)), Condition("groupID", "EQUAL_TO", ("3",)),
        Condition("ID", "EQUAL_TO", ("7",)), Condition("platform", "EQUAL_TO", ("a", "b")),
        Condition("groupID", "EQUAL_TO", ("three",))))
    assert plan(COMPUTERS, query) == [
        {"fieldName": "hostName", "stringTest": "equal", "stringValue": "web_01%", "stringWildcards": False},
        {"fieldName": "groupID", "numericTest": "equal", "numericValue": 3.0},
        {"idTest": "equal", "idValue": 7},
    ]


def test_the_incremental_window_is_a_date_range_in_milliseconds() -> None:
    query = Query("softwareChanges", window_field="changeEventTime", window_start=1_700_000_000.1234,
                  window_end=1_700_003_600.0)
    assert plan(SOFTWARE_CHANGES, query) == [{
        "fieldName": "changeEventTime", "firstDateValue": 1_700_000_000_123, "firstDateInclusive": False,
        "lastDateValue": 1_700_003_600_000, "lastDateInclusive": True}]
