"""The Stripe connector: objects, fields and push-down (connectors layer, Stripe).

Objects are the Stripe resources AppFlow's Stripe connector reads, named as Stripe's API names
them (`charges`, `payment_intents`, ...; the label is the guide's wording), each read through its
list endpoint (`lists.py`) and incremental by `created` - the one time every Stripe list filters
by (Stripe has no "updated since" filter). Field names and nesting are Stripe's, per its API
reference (https://docs.stripe.com/api); times are epoch seconds. `metadata` and other open-ended
hashes are kept whole as JSON text.
"""

from __future__ import annotations

from sluice.connectors.managed.catalog import BY_LABEL
from sluice.connectors.managed.rest_adapter import ManagedRestConnector
from sluice.connectors.rest.client import Request
from sluice.connectors.rest.entities import Entity, Field, Static

from .api import API
from .lists import StripeList, planner


def _time(name: str, **options: object) -> Field:
    return Field(name, "datetime", format="epoch_s", **options)  # type: ignore[arg-type]


def _int(name: str) -> Field:
    return Field(name, "integer")


def _bool(name: str) -> Field:
    return Field(name, "boolean")


def _json(name: str) -> Field:
    return Field(name, "json")


def _text(*names: str) -> tuple[Field, ...]:
    return tuple(Field(n) for n in names)


ADDRESS = Field("address", "struct", members=_text("city", "country", "line1", "line2", "postal_code", "state"))
COMMON = (Field("id", primary_key=True, nullable=False), Field("object"),
          _time("created", timestamp=True), _bool("livemode"))


def _entity(name: str, label: str, filters: tuple[str, ...], fields: tuple[Field, ...],
            defaults: dict[str, str] | None = None) -> Entity:
    return Entity(name, label=label, description=f"Stripe {label.lower()}", path=f"/v1/{name}", records="data",
                  paginator=StripeList(), plan=planner(filters, defaults), fields=COMMON + fields)


CHARGES = _entity("charges", "Charges", ("customer", "payment_intent"), (
    _int("amount"), _int("amount_captured"), _int("amount_refunded"), Field("balance_transaction"),
    Field("billing_details", "struct", members=(ADDRESS, *_text("email", "name", "phone"))),
    _bool("captured"), Field("currency"), Field("customer"), Field("description"), _bool("disputed"),
    Field("failure_code"), Field("failure_message"), Field("invoice"), _json("metadata"),
    Field("outcome", "struct", members=(*_text("network_status", "reason", "risk_level", "seller_message", "type"),
                                        _int("risk_score"))),
    _bool("paid"), Field("payment_intent"), Field("payment_method"), Field("receipt_email"), _bool("refunded"),
    Field("statement_descriptor"), Field("status")))

CUSTOMERS = _entity("customers", "Customers", ("email",), (
    ADDRESS, _int("balance"), Field("currency"), Field("default_source"), _bool("delinquent"), Field("description"),
    Field("email"), Field("invoice_prefix"), _json("metadata"), Field("name"), Field("phone"),
    Field("preferred_locales", "array", item=Field("locale")), Field("tax_exempt")))

INVOICES = _entity("invoices", "Invoices", ("customer", "status", "subscription", "collection_method"), (
    _int("amount_due"), _int("amount_paid"), _int("amount_remaining"), Field("billing_reason"),
    Field("collection_method"), Field("currency"), Field("customer"), Field("customer_email"), _time("due_date"),
    Field("hosted_invoice_url"), _json("lines"), _json("metadata"), Field("number"), _bool("paid"),
    _time("period_end"), _time("period_start"), Field("status"), Field("subscription"), _int("subtotal"),
    _int("total")))

PAYMENT_INTENTS = _entity("payment_intents", "Payment Intents", ("customer",), (
    _int("amount"), _int("amount_received"), Field("capture_method"), Field("confirmation_method"),
    Field("currency"), Field("customer"), Field("description"), Field("invoice"), _json("last_payment_error"),
    Field("latest_charge"), _json("metadata"), Field("payment_method"),
    Field("payment_method_types", "array", item=Field("type")), Field("status")))

SUBSCRIPTIONS = _entity("subscriptions", "Subscriptions", ("customer", "price", "status", "collection_method"), (
    _time("billing_cycle_anchor"), _bool("cancel_at_period_end"), _time("canceled_at"), Field("collection_method"),
    Field("currency"), _time("current_period_end"), _time("current_period_start"), Field("customer"),
    _json("items"), Field("latest_invoice"), _json("metadata"), _time("start_date"), Field("status"),
    _time("trial_end")), defaults={"status": "all"})

PRODUCTS = _entity("products", "Products", ("active",), (
    _bool("active"), Field("default_price"), Field("description"), Field("images", "array", item=Field("url")),
    _json("metadata"), Field("name"), Field("unit_label"), _time("updated"), Field("url")))

PRICES = _entity("prices", "Prices", ("active", "currency", "product", "type"), (
    _bool("active"), Field("billing_scheme"), Field("currency"), Field("lookup_key"), _json("metadata"),
    Field("nickname"), Field("product"),
    Field("recurring", "struct", members=(Field("interval"), _int("interval_count"), Field("usage_type"))),
    Field("tax_behavior"), Field("type"), _int("unit_amount")))

BALANCE_TRANSACTIONS = _entity("balance_transactions", "Balance Transactions",
                               ("currency", "payout", "source", "type"), (
    _int("amount"), _time("available_on"), Field("currency"), Field("description"), Field("exchange_rate", "double"),
    _int("fee"), _json("fee_details"), _int("net"), Field("reporting_category"), Field("source"), Field("status"),
    Field("type")))

REFUNDS = _entity("refunds", "Refunds", ("charge", "payment_intent"), (
    _int("amount"), Field("balance_transaction"), Field("charge"), Field("currency"), _json("metadata"),
    Field("payment_intent"), Field("reason"), Field("status")))

PAYOUTS = _entity("payouts", "Payouts", ("destination", "status"), (
    _int("amount"), _time("arrival_date"), _bool("automatic"), Field("balance_transaction"), Field("currency"),
    Field("description"), Field("destination"), Field("failure_code"), Field("failure_message"), _json("metadata"),
    Field("method"), Field("reconciliation_status"), Field("source_type"), Field("statement_descriptor"),
    Field("status"), Field("type")))

DISPUTES = _entity("disputes", "Disputes", ("charge", "payment_intent"), (
    _int("amount"), Field("charge"), Field("currency"), _json("evidence"),
    Field("evidence_details", "struct", members=(_time("due_by"), _bool("has_evidence"), _bool("past_due"),
                                                 _int("submission_count"))),
    _bool("is_charge_refundable"), _json("metadata"), Field("payment_intent"), Field("reason"), Field("status")))

COUPONS = _entity("coupons", "Coupons", (), (
    _int("amount_off"), Field("currency"), Field("duration"), _int("duration_in_months"), _int("max_redemptions"),
    _json("metadata"), Field("name"), Field("percent_off", "double"), _time("redeem_by"), _int("times_redeemed"),
    _bool("valid")))

EVENTS = _entity("events", "Events", ("type",), (
    Field("api_version"), _json("data"), _int("pending_webhooks"), _json("request"), Field("type")))

CATALOG = Static((BALANCE_TRANSACTIONS, CHARGES, COUPONS, CUSTOMERS, DISPUTES, EVENTS, INVOICES, PAYMENT_INTENTS,
                  PAYOUTS, PRICES, PRODUCTS, REFUNDS, SUBSCRIPTIONS), vendor="Stripe")

CONNECTOR = ManagedRestConnector(
    API, CATALOG, operators=frozenset(BY_LABEL["Stripe"].configuration["supportedOperators"]),
    # Any list proves the key; a restricted key needs read access to customers for this one.
    check=Request("GET", "/v1/customers", {"limit": 1}),
)
