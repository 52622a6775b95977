"""A fake Salesforce org served over HTTP for tests (REST, OAuth, Bulk API 2.0, Streaming/CDC).

Start one with `FakeSalesforce` from `tests.fakes.salesforce.server`, or run
`python -m tests.fakes.salesforce --port N` for an out-of-process server.
"""
