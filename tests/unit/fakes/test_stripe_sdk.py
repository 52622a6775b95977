"""The fake Stripe account driven with Stripe's own Python library (`stripe.StripeClient`).

The client reaches the fake through `base_addresses={"api": fake.url}`, trusting the test CA
(`stripe.ca_bundle_path`). Covers auto-paging iteration (`limit` + `starting_after`) to the end
in newest-first order, `created` range filters and a list's own filter, subscriptions leaving
canceled ones out unless `status=all`, a bad key as `AuthenticationError` with Stripe's message, a
429 as `RateLimitError` (code `rate_limit`), an unknown parameter refused, and the pinned
`Stripe-Version` echoed back.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from tests.fakes.stripe.server import FakeStripe
from tests.support.tls import certificates

CHARGES = 230


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeStripe]:
    previous = stripe.ca_bundle_path
    stripe.ca_bundle_path = certificates().ca_file
    with FakeStripe(charges=CHARGES) as server:
        yield server
    stripe.ca_bundle_path = previous


def client(fake: FakeStripe, key: str | None = None) -> stripe.StripeClient:
    return stripe.StripeClient(key or fake.state.secret_key, base_addresses={"api": fake.url},
                               max_network_retries=0)


def test_auto_paging_reads_every_charge_newest_first(fake: FakeStripe) -> None:
    fake.state.log.clear()
    charges = list(client(fake).v1.charges.list(params={"limit": 100}).auto_paging_iter())
    assert len(charges) == CHARGES
    assert len({c.id for c in charges}) == CHARGES
    created = [c.created for c in charges]
    assert created == sorted(created, reverse=True)
    assert charges[0].billing_details is not None and charges[0].outcome["risk_level"] == "normal"
    pages = fake.state.log.matching("/v1/charges")
    assert len(pages) == 3 and "starting_after" in pages[1]["query"]


def test_created_range_and_list_filters(fake: FakeStripe) -> None:
    everything = list(client(fake).v1.charges.list(params={"limit": 100}).auto_paging_iter())
    low, high = everything[150].created, everything[50].created
    inside = list(client(fake).v1.charges.list(params={"created": {"gt": low, "lte": high}}).auto_paging_iter())
    assert {c.id for c in inside} == {c.id for c in everything if low < c.created <= high}
    customer = next(c.customer for c in everything if c.customer)
    theirs = list(client(fake).v1.charges.list(params={"customer": customer}).auto_paging_iter())
    assert theirs and all(c.customer == customer for c in theirs)
    assert {c.id for c in theirs} == {c.id for c in everything if c.customer == customer}


def test_subscriptions_leave_canceled_out_unless_all(fake: FakeStripe) -> None:
    default = list(client(fake).v1.subscriptions.list().auto_paging_iter())
    every = list(client(fake).v1.subscriptions.list(params={"status": "all"}).auto_paging_iter())
    assert all(s.status != "canceled" for s in default)
    assert any(s.status == "canceled" for s in every) and len(every) > len(default)


def test_bad_key_is_an_authentication_error(fake: FakeStripe) -> None:
    with pytest.raises(stripe.AuthenticationError) as caught:
        client(fake, "sk_test_wrongwrongwrong1234").v1.customers.list()
    assert caught.value.http_status == 401
    assert "Invalid API Key provided" in str(caught.value.user_message)
    assert "wrongwrongwrong" not in str(caught.value.user_message)


def test_rate_limit_is_a_rate_limit_error(fake: FakeStripe) -> None:
    fake.state.throttle_next(1)
    with pytest.raises(stripe.RateLimitError) as caught:
        client(fake).v1.customers.list()
    assert caught.value.http_status == 429 and caught.value.json_body["error"]["code"] == "rate_limit"
    assert "Retry-After" not in (caught.value.headers or {})
    assert client(fake).v1.customers.list().data  # the next call goes through


def test_unknown_parameter_and_limit_are_refused(fake: FakeStripe) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client(fake).v1.charges.list(params={"updated": {"gt": 1}})  # type: ignore[typeddict-unknown-key]
    assert caught.value.param == "updated[gt]" and "unknown parameter" in str(caught.value.user_message)
    with pytest.raises(stripe.InvalidRequestError) as too_many:
        client(fake).v1.charges.list(params={"limit": 101})
    assert too_many.value.param == "limit"


def test_pinned_version_is_echoed(fake: FakeStripe) -> None:
    answer = stripe.StripeClient(fake.state.secret_key, base_addresses={"api": fake.url},
                                 stripe_version="2024-06-20").v1.customers.list()
    assert answer.last_response.headers["Stripe-Version"] == "2024-06-20"


def test_every_object_lists_through_the_sdk(fake: FakeStripe) -> None:
    client_ = client(fake).v1
    lists = {"balance_transactions": client_.balance_transactions, "coupons": client_.coupons,
             "customers": client_.customers, "disputes": client_.disputes, "events": client_.events,
             "invoices": client_.invoices, "payment_intents": client_.payment_intents, "payouts": client_.payouts,
             "prices": client_.prices, "products": client_.products, "refunds": client_.refunds}
    for kind, service in lists.items():
        found = list(service.list(params={"limit": 100}).auto_paging_iter())
        assert len(found) == fake.state.count(kind), kind
        assert found[0].object == kind[:-1]
