"""A fake ServiceNow instance served over https for tests: Table API, metadata tables, OAuth, rate limits.

Start one with `FakeServiceNow` from `tests.fakes.servicenow.server`, or run
`python -m tests.fakes.servicenow --port N` for an out-of-process server. Behaviour follows ServiceNow's
public docs: the Table API reference (developer.servicenow.com, "Table API"), "Operators available for
filters and queries" (encoded queries), "OAuth API request parameters" (`/oauth_token.do`) and "Inbound
REST API rate limiting" (429, `Retry-After`, `X-RateLimit-*`).
"""
