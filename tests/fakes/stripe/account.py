"""The fake Stripe account's objects and test controls (not part of Stripe's API).

Objects are generated lazily from their index with a fixed seed, so a 500k-charge account costs
nothing until read: index i of a type was created at `start + i * spacing` (ids sort with the
index, lists answer newest first). `create` adds objects after the seed (at the account's `now`),
`throttle_next(n)` answers the next n API calls 429, `log` records every call.
"""

from __future__ import annotations

import bisect
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from tests.fakes.common.https import RequestLog
from tests.fakes.common.throttle import Throttles

PREFIXES = {"charges": "ch", "customers": "cus", "invoices": "in", "payment_intents": "pi", "subscriptions": "sub",
            "products": "prod", "prices": "price", "balance_transactions": "txn", "refunds": "re", "payouts": "po",
            "disputes": "dp", "coupons": "co", "events": "evt"}
# Each list's exact-match filters, as its API reference names them.
FILTERS = {
    "charges": ("customer", "payment_intent"), "customers": ("email",),
    "invoices": ("customer", "status", "subscription", "collection_method"), "payment_intents": ("customer",),
    "subscriptions": ("customer", "price", "status", "collection_method"), "products": ("active",),
    "prices": ("active", "currency", "product", "type"),
    "balance_transactions": ("currency", "payout", "source", "type"), "refunds": ("charge", "payment_intent"),
    "payouts": ("destination", "status"), "disputes": ("charge", "payment_intent"), "coupons": (),
    "events": ("type", "delivery_success"),
}
NAMES = ["Zoë Müller", "Håkon Ødegård", "李小龙", "José Núñez", "Amélie Poulain", "Ola Nordmann", "Анна Петрова",
         "Siobhán O'Brien", "Mateus Conceição", "Łukasz Żółć", None]
CITIES = [("Berlin", "DE"), ("Oslo", "NO"), ("São Paulo", "BR"), ("Montréal", "CA"), ("東京", "JP"), ("Austin", "US")]
CURRENCIES = ["usd", "eur", "nok", "jpy", "brl"]
SUFFIX = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class Account:
    """One Stripe account's objects, keys and controls."""

    def __init__(self, charges: int = 300, seed: int = 11, spacing: float = 60.0,
                 now: Callable[[], float] = time.time) -> None:
        self.now = now
        self.seed = seed
        self.spacing = spacing
        self.sizes = {"charges": charges, "customers": max(5, charges // 4), "invoices": max(5, charges // 2),
                      "payment_intents": charges, "subscriptions": max(5, charges // 5), "products": 12,
                      "prices": 24, "balance_transactions": charges, "refunds": max(1, charges // 10),
                      "payouts": max(1, charges // 10), "disputes": max(1, charges // 20), "coupons": 15,
                      "events": charges}
        # Seeded objects end one spacing before the account was made.
        self.start = int(now() - spacing * (max(self.sizes.values()) + 1))
        self.secret_key = "sk_test_" + "".join(random.Random(seed).choice(SUFFIX) for _ in range(24))
        self.keys = {self.secret_key}
        self.added: dict[str, list[dict[str, Any]]] = {name: [] for name in PREFIXES}
        self.log = RequestLog()
        self.throttles = Throttles()
        self._lock = threading.Lock()

    # -- controls -------------------------------------------------------------------------------

    def throttle_next(self, count: int) -> None:
        """Answer the next `count` API calls 429 rate_limit."""
        self.throttles.add(count)

    def take_throttle(self) -> bool:
        """True when this call is to be throttled (and counts it)."""
        return self.throttles.take("/") is not None

    def create(self, kind: str, **values: Any) -> dict[str, Any]:
        """Add an object of `kind` created now (after every seeded one); `values` override fields."""
        with self._lock:
            index = self.sizes[kind] + len(self.added[kind])
            created = max(math.ceil(self.now()), self.created_at(kind, index - 1) + 1)
            record = {**self.generate(kind, index, created), **values}
            self.added[kind].append(record)
            return record

    # -- objects --------------------------------------------------------------------------------

    def count(self, kind: str) -> int:
        return self.sizes[kind] + len(self.added[kind])

    def created_at(self, kind: str, index: int) -> int:
        if index < 0:
            return self.start
        if index < self.sizes[kind]:
            return self.start + int(index * self.spacing)
        return int(self.added[kind][index - self.sizes[kind]]["created"])

    def object_id(self, kind: str, index: int) -> str:
        rng = random.Random(f"{kind}:{index}:{self.seed}")
        return f"{PREFIXES[kind]}_{index:08d}" + "".join(rng.choice(SUFFIX) for _ in range(8))

    @staticmethod
    def index_of(object_id: str) -> int | None:
        _, _, rest = object_id.partition("_")
        return int(rest[:8]) if rest[:8].isdigit() else None

    def get(self, kind: str, index: int) -> dict[str, Any]:
        if index >= self.sizes[kind]:
            return self.added[kind][index - self.sizes[kind]]
        return self.generate(kind, index, self.created_at(kind, index))

    def between(self, kind: str, lower: int | None, upper: int | None) -> range:
        """Indexes of the objects created in [lower, upper] (None: open), ascending."""
        total = self.count(kind)
        low = 0 if lower is None else bisect.bisect_left(range(total), lower, key=lambda i: self.created_at(kind, i))
        high = total if upper is None else bisect.bisect_right(range(total), upper,
                                                                 key=lambda i: self.created_at(kind, i))
        return range(low, high)

    def newest_first(self, kind: str, lower: int | None, upper: int | None, before: int | None) -> Iterator[int]:
        span = self.between(kind, lower, upper)
        stop = span.stop if before is None else min(span.stop, before)
        return iter(range(stop - 1, span.start - 1, -1))

    def generate(self, kind: str, index: int, created: int) -> dict[str, Any]:
        rng = random.Random(f"{kind}:{index}:{self.seed}:body")
        base = {"id": self.object_id(kind, index), "object": kind[:-1], "created": created, "livemode": False}
        return {**base, **getattr(self, f"_{kind}")(rng, index, created)}

    def _ref(self, kind: str, rng: random.Random) -> str:
        return self.object_id(kind, rng.randrange(self.sizes[kind]))

    def _metadata(self, rng: random.Random) -> dict[str, str]:
        return rng.choice([{}, {"order_id": str(rng.randrange(10**6))}, {"campaign": "été-2024", "tier": "gold"}])

    def _address(self, rng: random.Random) -> dict[str, Any] | None:
        if rng.random() < 0.15:
            return None
        city, country = rng.choice(CITIES)
        return {"city": city, "country": country, "line1": f"{rng.randrange(1, 300)} Straße", "line2": None,
                "postal_code": f"{rng.randrange(10000, 99999)}", "state": None}

    def _charges(self, rng: random.Random, index: int, created: int) -> dict[str, Any]:
        amount = rng.randrange(100, 500_000)
        status = rng.choice(["succeeded"] * 8 + ["failed", "pending"])
        refunded = status == "succeeded" and rng.random() < 0.1
        name = rng.choice(NAMES)
        return {
            "amount": amount, "amount_captured": amount if status == "succeeded" else 0,
            "amount_refunded": amount if refunded else 0, "balance_transaction": self._ref("balance_transactions", rng),
            "billing_details": {"address": self._address(rng), "email": None if name is None else
                                f"buyer{index}@example.com", "name": name, "phone": None},
            "captured": status == "succeeded", "currency": rng.choice(CURRENCIES),
            "customer": self._ref("customers", rng) if rng.random() < 0.9 else None,
            "description": rng.choice(["Abonnement — März", f"Order #{index}", None]), "disputed": False,
            "failure_code": "card_declined" if status == "failed" else None,
            "failure_message": "Your card was declined." if status == "failed" else None,
            "invoice": self._ref("invoices", rng) if rng.random() < 0.5 else None, "metadata": self._metadata(rng),
            "outcome": {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                        "risk_score": rng.randrange(0, 100), "seller_message": "Payment complete.",
                        "type": "authorized"},
            "paid": status == "succeeded", "payment_intent": self.object_id("payment_intents", index % self.sizes[
                "payment_intents"]),
            "payment_method": f"pm_{index:010d}", "receipt_email": None, "refunded": refunded,
            "statement_descriptor": None, "status": status,
        }

    def _customers(self, rng: random.Random, index: int, created: int) -> dict[str, Any]:
        name = rng.choice(NAMES)
        return {"address": self._address(rng), "balance": rng.choice([0, 0, -500, 1200]),
                "currency": rng.choice([*CURRENCIES, None]), "default_source": None, "delinquent": rng.random() < 0.05,
                "description": None, "email": f"customer{index}@example.com", "invoice_prefix": f"{index:04X}ABCD",
                "metadata": self._metadata(rng), "name": name, "phone": rng.choice([None, "+47 555 01 234"]),
                "preferred_locales": rng.choice([[], ["nb"], ["de", "en"]]), "tax_exempt": "none"}

    def _invoices(self, rng: random.Random, index: int, created: int) -> dict[str, Any]:
        total = rng.randrange(0, 90_000)
        status = rng.choice(["paid", "paid", "open", "void", "draft", "uncollectible"])
        return {"amount_due": total, "amount_paid": total if status == "paid" else 0,
                "amount_remaining": 0 if status == "paid" else total, "billing_reason": "subscription_cycle",
                "collection_method": rng.choice(["charge_automatically", "send_invoice"]),
                "currency": rng.choice(CURRENCIES), "customer": self._ref("customers", rng),
                "customer_email": f"customer{index}@example.com", "due_date": None if rng.random() < 0.6 else
                created + 30 * 86400, "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_test/{index}",
                "lines": {"object": "list", "data": [{"id": f"il_{index}", "amount": total, "description": "1 x Plan"}],
                          "has_more": False, "url": f"/v1/invoices/in_{index}/lines"},
                "metadata": self._metadata(rng), "number": f"INV-{index:05d}", "paid": status == "paid",
                "period_end": created, "period_start": created - 30 * 86400, "status": status,
                "subscription": self._ref("subscriptions", rng) if rng.random() < 0.7 else None,
                "subtotal": total, "total": total}

    def _payment_intents(self, rng: random.Random, index: int, created: int) -> dict[str, Any]:
        status = rng.choice(["succeeded"] * 6 + ["requires_payment_method", "canceled", "processing"])
        amount = rng.randrange(100, 500_000)
        return {"amount": amount, "amount_received": amount if status == "succeeded" else 0,
                "capture_method": "automatic", "confirmation_method": "automatic", "currency": rng.choice(CURRENCIES),
                "customer": self._ref("customers", rng) if rng.random() < 0.9 else None, "description": None,
                "invoice": None, "last_payment_error": None if status != "requires_payment_method" else {
                    "code": "card_declined", "message": "Your card was declined.", "type": "card_error"},
                "latest_charge": self.object_id("charges", index % self.sizes["charges"]),
                "metadata": self._metadata(rng), "payment_method": f"pm_{index:010d}",
                "payment_method_types": rng.choice([["card"], ["card", "link"], ["sepa_debit"]]), "status": status}

    def _subscriptions(self, rng: random.Random, index: int, created: int) -> dict[str, Any]:
        status = rng.choice(["active", "active", "active", "canceled", "past_due", "trialing"])
        price = self._ref("prices", rng)
        return {"billing_cycle_anchor": created, "cancel_at_period_end": False,
                "canceled_at": created + 86400 if status == "canceled" else None,
                "collection_method": "charge_automatically", "currency": rng.choice(CURRENCIES),
                "current_period_end": created + 30 * 86400, "current_period_start": created,
                "customer": self._ref("customers", rng),
                "items": {"object": "list", "data": [{"id": f"si_{index}", "price": {"id": price}, "quantity": 1}],
                          "has_more": False},
                "latest_invoice": self._ref("invoices", rng), "metadata": self._metadata(rng), "start_date": created,
                "status": status, "trial_end": created + 14 * 86400 if status == "trialing" else None}

    def _products(self, rng: random.Random, index: int, created: int) -> dict[str, Any]:
        return {"active": rng.random() < 0.85, "default_price": self.object_id("prices", index * 2 % self.sizes[
                "prices"]), "description": rng.choice(["Månedlig plan", "Premium — all features", None]),
                "images": rng.choice([[], [f"https://files.stripe.com/links/img{index}"]]),
                "metadata": self._metadata(rng), "name": f"Plan {index} ✦", "unit_label": None,
                "updated": created + 3600, "url": None}

    def _prices(self, rng: random.Random, index: int, created: int) -> dict[str, Any]:
        recurring = rng.random() < 0.7
        return {"active": rng.random() < 0.9, "billing_scheme": "per_unit", "currency": rng.choice(CURRENCIES),
                "lookup_key": None, "metadata": {}, "nickname": rng.choice([None, "Årlig", "Monthly"]),
                "product": self.object_id("products", index // 2 % self.sizes["products"]),
                "recurring": {"interval": rng.choice(["month", "year"]), "interval_count": 1,
                              "usage_type": "licensed"} if recurring else None,
                "tax_behavior": "unspecified", "type": "recurring" if recurring else "one_time",
                "unit_amount": rng.randrange(100, 10_000)}

    def _balance_transactions(self, rng: random.Random, index: int, created: int) -> dict[str, Any]:
        amount = rng.randrange(100, 500_000)
        fee = amount * 29 // 1000 + 30
        kind = rng.choice(["charge"] * 6 + ["refund", "payout", "adjustment"])
        return {"amount": amount, "available_on": created + 2 * 86400, "currency": rng.choice(CURRENCIES),
                "description": None, "exchange_rate": rng.choice([None, 1.0873, 10.52]), "fee": fee,
                "fee_details": [{"amount": fee, "currency": "usd", "description": "Stripe processing fees",
                                 "type": "stripe_fee"}],
                "net": amount - fee, "reporting_category": kind, "source": self._ref("charges", rng),
                "status": rng.choice(["available", "pending"]), "type": kind}

    def _refunds(self, rng: random.Random, index: int, created: int) -> dict[str, Any]:
        return {"amount": rng.randrange(100, 50_000), "balance_transaction": self._ref("balance_transactions", rng),
                "charge": self._ref("charges", rng), "currency": rng.choice(CURRENCIES), "metadata": {},
                "payment_intent": self._ref("payment_intents", rng),
                "reason": rng.choice(["requested_by_customer", "duplicate", None]), "status": "succeeded"}

    def _payouts(self, rng: random.Random, index: int, created: int) -> dict[str, Any]:
        status = rng.choice(["paid", "paid", "paid", "pending", "in_transit", "failed", "canceled"])
        return {"amount": rng.randrange(1_000, 5_000_000), "arrival_date": created + 2 * 86400, "automatic": True,
                "balance_transaction": self._ref("balance_transactions", rng), "currency": rng.choice(CURRENCIES),
                "description": "STRIPE PAYOUT", "destination": rng.choice(["ba_1NorskBank", "ba_2Sparkasse"]),
                "failure_code": "account_closed" if status == "failed" else None,
                "failure_message": "The bank account has been closed." if status == "failed" else None,
                "metadata": {}, "method": "standard", "reconciliation_status": "completed",
                "source_type": "card", "statement_descriptor": None, "status": status, "type": "bank_account"}

    def _disputes(self, rng: random.Random, index: int, created: int) -> dict[str, Any]:
        return {"amount": rng.randrange(100, 100_000), "charge": self._ref("charges", rng),
                "currency": rng.choice(CURRENCIES),
                "evidence": {"customer_name": rng.choice(NAMES), "product_description": None, "uncategorized_text":
                             rng.choice([None, "Kunden bekreftet levering — se vedlegg"])},
                "evidence_details": {"due_by": created + 7 * 86400, "has_evidence": rng.random() < 0.5,
                                     "past_due": False, "submission_count": rng.randrange(0, 2)},
                "is_charge_refundable": rng.random() < 0.3, "metadata": {},
                "payment_intent": self._ref("payment_intents", rng),
                "reason": rng.choice(["fraudulent", "product_not_received", "duplicate", "general"]),
                "status": rng.choice(["needs_response", "under_review", "won", "lost"])}

    def _coupons(self, rng: random.Random, index: int, created: int) -> dict[str, Any]:
        percent = rng.random() < 0.6
        duration = rng.choice(["once", "forever", "repeating"])
        return {"amount_off": None if percent else rng.choice([500, 1000, 2500]),
                "currency": None if percent else "eur", "duration": duration,
                "duration_in_months": 3 if duration == "repeating" else None,
                "max_redemptions": rng.choice([None, 100, 1000]), "metadata": self._metadata(rng),
                "name": rng.choice(["Vårsalg 25 %", "Black Friday", "Willkommen", None]),
                "percent_off": rng.choice([10.0, 25.0, 12.5]) if percent else None,
                "redeem_by": rng.choice([None, created + 60 * 86400]), "times_redeemed": rng.randrange(0, 500),
                "valid": rng.random() < 0.8}

    def _events(self, rng: random.Random, index: int, created: int) -> dict[str, Any]:
        kind = rng.choice(["charge.succeeded", "customer.created", "invoice.paid", "payment_intent.created"])
        target = {"charge": "charges", "customer": "customers", "invoice": "invoices",
                  "payment_intent": "payment_intents"}[kind.split(".")[0]]
        return {"api_version": "2024-06-20", "data": {"object": {"id": self._ref(target, rng),
                                                                  "object": kind.split(".")[0]}},
                "pending_webhooks": rng.choice([0, 0, 1]),
                "request": {"id": None if rng.random() < 0.5 else f"req_{index:014d}", "idempotency_key": None},
                "type": kind}
