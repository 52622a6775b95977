"""A fake Dynatrace environment (Environment API v2) served over https for tests and benchmarks.

It answers as Dynatrace's public reference says (docs.dynatrace.com, "Dynatrace API > Environment API";
the shapes follow Dynatrace's own OpenAPI description of API v2):
- https://docs.dynatrace.com/docs/dynatrace-api/basics/dynatrace-api-authentication (`Authorization: Api-Token`)
- https://docs.dynatrace.com/docs/dynatrace-api/basics/dynatrace-api-response-codes (401 / 404 / 429, error envelope)
- https://docs.dynatrace.com/docs/dynatrace-api/basics/access-limit (429 when the request pool is full)
- https://docs.dynatrace.com/docs/shortlink/api-problems-v2-get-list (`GET /api/v2/problems`)
- https://docs.dynatrace.com/docs/dynatrace-api/environment-api/events-v2/get-events-list (`GET /api/v2/events`)
- https://docs.dynatrace.com/docs/dynatrace-api/environment-api/metric-v2 (`/api/v2/metrics`, `/metrics/query`)
- https://docs.dynatrace.com/docs/dynatrace-api/environment-api/entity-v2 (`/api/v2/entities`, `/entityTypes`)
- https://docs.dynatrace.com/docs/dynatrace-api/environment-api/tokens-v2/api-tokens/post-token-lookup

Dynatrace publishes no maintained official Python SDK for API v2; its docs show plain HTTP calls (curl), so the
self-test drives this fake with `requests` exactly as those calls are written.

Start one with `FakeDynatrace` from `tests.fakes.dynatrace.server`, or `python -m tests.fakes.dynatrace --port N`.
"""
