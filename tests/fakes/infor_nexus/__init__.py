"""A fake Infor Nexus REST API (3.1) served over https for tests: HMAC-verified requests, OQL object
queries with `limit` / `offset` paging, 429s, error bodies.

Start one with `FakeInforNexus` from `tests.fakes.infor_nexus.server`, or run
`python -m tests.fakes.infor_nexus --port N`. Public sources followed: AppFlow's Infor Nexus page
(https://docs.aws.amazon.com/appflow/latest/userguide/infor-nexus.html: HMAC with access key ID, user
ID, secret access key and data key) and Infor Nexus's REST URL shapes
(`https://network.infornexus.com/rest/3.1/OrderDetail/query?oql=poNumber='...'&dataKey=...`). The HMAC
string to sign is the one written in docs/connectors/infor-nexus.md (Infor Nexus's own signing page is
behind its developer portal's sign-in); hmac_check.py verifies it from that text, not from Sluice's code.
"""
