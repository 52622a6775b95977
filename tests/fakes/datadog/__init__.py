"""A fake Datadog API served over https for tests: API key check, Logs search, Events, Metrics queries.

Start one with `FakeDatadog` from `tests.fakes.datadog.server`, or run
`python -m tests.fakes.datadog --port N` for an out-of-process server. The fake follows Datadog's public
API reference (https://docs.datadoghq.com/api/latest/); each module names the page it follows.
"""
