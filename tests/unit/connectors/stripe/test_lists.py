"""Stripe list push-down: `created[...]` bounds for windows and filters, list filters, paging."""

from __future__ import annotations

import httpx

from sluice.connectors.rest.client import Answer, Request
from sluice.connectors.rest.entities import Condition, Query
from sluice.connectors.stripe.lists import StripeList, created_bounds, planner


def test_window_bounds_select_exactly_the_whole_seconds_inside() -> None:
    query = Query("charges", window_field="created", window_start=100.5, window_end=200.9)
    assert created_bounds(query) == {"created[gt]": 100, "created[lte]": 200}
    query = Query("charges", window_field="created", window_start=100.0, window_end=200.0)
    assert created_bounds(query) == {"created[gt]": 100, "created[lte]": 200}


def test_filters_on_created_tighten_the_window() -> None:
    query = Query("charges", window_field="created", window_start=100.0, window_end=900.0, conditions=(
        Condition("created", "GREATER_THAN_OR_EQUAL_TO", ("300000",)),  # epoch milliseconds: 300 s
        Condition("created", "LESS_THAN", ("800000",)),
    ))
    assert created_bounds(query) == {"created[gt]": 100, "created[gte]": 300, "created[lte]": 900,
                                      "created[lt]": 800}


def test_exact_match_filters_and_subscription_default() -> None:
    plan = planner(("customer", "status"), {"status": "all"})
    query = Query("subscriptions", conditions=(Condition("customer", "EQUAL_TO", ("cus_1",)),
                                               Condition("customer", "CONTAINS", ("cus",))))
    assert plan(query, Request("GET", "/v1/subscriptions")).params == {"status": "all", "customer": "cus_1"}
    chosen = Query("subscriptions", conditions=(Condition("status", "EQUAL_TO", ("canceled",)),))
    assert plan(chosen, Request("GET", "/v1/subscriptions")).params == {"status": "canceled"}


def test_paging_follows_the_last_id_until_has_more_is_false() -> None:
    pager = StripeList()
    first = pager.first(Request("GET", "/v1/charges"))
    assert first.params == {"limit": 100}
    response = httpx.Response(200)
    more = Answer(response, {"object": "list", "data": [{"id": "ch_1"}, {"id": "ch_2"}], "has_more": True})
    after = pager.next(first, more, 2)
    assert after is not None and after.params == {"limit": 100, "starting_after": "ch_2"}
    done = Answer(response, {"object": "list", "data": [{"id": "ch_3"}], "has_more": False})
    assert pager.next(after, done, 1) is None
