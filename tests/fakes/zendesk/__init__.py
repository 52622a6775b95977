"""A fake Zendesk Support account served over https for tests and benchmarks.

Start one in a thread with `FakeZendesk` from `tests.fakes.zendesk.server` (its `state` is the
`Account`: controls and request log), or run `python -m tests.fakes.zendesk --port N --tickets 500000`
for an out-of-process server. Behaviour follows Zendesk's developer documentation
(https://developer.zendesk.com/api-reference/): each module names the pages it follows.
"""
