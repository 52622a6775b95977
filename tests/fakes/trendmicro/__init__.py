"""A fake Trend Micro Deep Security / Workload Security API served over https for tests.

Start one with `FakeTrendMicro` from `tests.fakes.trendmicro.server`, or run
`python -m tests.fakes.trendmicro --port N` for an out-of-process server. It follows the Deep Security
API reference and guides (https://automation.deepsecurity.trendmicro.com/, the `deep-security-api`
SDK's models); each module names the page it follows.
"""
