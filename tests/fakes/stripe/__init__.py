"""A fake Stripe account (API v1 list endpoints) served over https for tests and benchmarks.

It answers as Stripe's API reference says:
- https://docs.stripe.com/api/authentication (secret key as bearer, or as the basic-auth user)
- https://docs.stripe.com/api/errors (`{"error": {"type", "code", "message", "param"}}`; 401 for a bad key)
- https://docs.stripe.com/api/pagination (`limit` 1-100, `starting_after` / `ending_before`, list envelope)
- https://docs.stripe.com/api/charges/list, /customers/list, /invoices/list, /payment_intents/list,
  /subscriptions/list (canceled ones only with `status=all` or `status=canceled`), /products/list,
  /prices/list, /balance_transactions/list, /refunds/list, /payouts/list, /disputes/list,
  /coupons/list, /events/list: the `created[gt|gte|lt|lte]` filter and
  each list's own exact-match filters; unknown parameters are refused as Stripe refuses them
- https://docs.stripe.com/rate-limits (429, code `rate_limit`; no Retry-After header)
- https://docs.stripe.com/api/versioning (the `Stripe-Version` request header, echoed back)

Start one in a thread with `FakeStripe` from `tests.fakes.stripe.server` (its `state` is the
`Account`: seeded objects, controls, request log), or `python -m tests.fakes.stripe --port N --charges 100000`.
"""
