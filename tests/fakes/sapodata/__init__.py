"""A fake SAP system speaking OData V2 (and V4 for one service) as SAP Gateway does (tests only).

Layout: `model.py` (services, entity types, seeded records, the ODP delta queue), `query.py`
(`$filter` and key predicates), `wire.py` ($metadata and JSON entries), `batch.py` (`$batch`
multipart bodies), `system.py` (state, logon, CSRF, test controls), `app.py` (the Starlette app),
`server.py` (`FakeSap`, served over TLS in a thread). Each module cites the SAP / OData
documentation it follows.
"""
