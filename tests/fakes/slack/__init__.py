"""A fake Slack workspace (Web API) served over https for tests and benchmarks.

Follows Slack's public docs (https://docs.slack.dev/apis/web-api/ and the method pages under
https://docs.slack.dev/reference/methods/): `auth.test`, `conversations.list|info|history|replies`,
`users.list|info`, `oauth.v2.access` (codes and token rotation), `ok: false` error bodies, cursor
pagination, tiered rate limits answered with 429 + `Retry-After`. Start one with `FakeSlack` from
`tests.fakes.slack.server`, or `python -m tests.fakes.slack --port N` for a separate process.
"""
