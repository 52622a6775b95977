"""A fake Veeva Vault: session sign-in, VQL queries, object and document metadata, document files.

It answers as Veeva's public docs say:
- https://developer.veevavault.com/api/24.1/#user-name-and-password - `POST /api/{version}/auth` with form
  fields `username`, `password`, answering `{"responseStatus": "SUCCESS", "sessionId", "userId", "vaultId",
  "vaultIds"}`; later calls send `Authorization: <sessionId>` (a `Bearer` prefix is accepted too);
- https://developer.veevavault.com/api/24.1/#submitting-a-query - `POST /api/{version}/query` with form field
  `q` (VQL); answers `{"responseStatus", "responseDetails": {"pagesize", "pageoffset", "size", "total",
  "next_page", "previous_page"}, "data"}`, 1000 records a page unless `PAGESIZE` says fewer, `next_page`
  a path with `pagesize` / `pageoffset` requested with GET (or POST);
- https://developer.veevavault.com/vql/ - `SELECT ... FROM <object> | documents | ALLVERSIONS documents
  [WHERE a op v AND ...] [ORDER BY f ASC|DESC] [PAGESIZE n] [PAGEOFFSET n]`, `=`, `!=`, `<`, `>`, `<=`,
  `>=`, quoted strings and dates (`'2024-01-31T00:00:00.000Z'`);
- https://developer.veevavault.com/api/24.1/#retrieve-all-object-metadata,
  #retrieve-object-metadata, #retrieve-all-document-fields, #retrieve-all-document-types - metadata;
- https://developer.veevavault.com/api/24.1/#download-document-file, #download-document-version-file,
  #retrieve-document-renditions, #download-document-rendition-file - files (`Content-Disposition:
  attachment;filename="..."`);
- https://developer.veevavault.com/docs/#api-rate-limits and #response-headers - every answer carries
  `X-VaultAPI-BurstLimit` / `X-VaultAPI-BurstLimitRemaining`; an exhausted limit is `API_LIMIT_EXCEEDED`.

Errors are Vault's envelope `{"responseStatus": "FAILURE", "errors": [{"type", "message"}]}`, answered with
HTTP 200 as Vault does (`USERNAME_OR_PASSWORD_INCORRECT`, `INVALID_SESSION_ID`, `INVALID_DATA`,
`MALFORMED_URL`), except a forced rate limit: HTTP 429 with `Retry-After` and `API_LIMIT_EXCEEDED`.

Objects: `product__v` (seed size a constructor argument) and `country__v`; documents with several versions,
placeholders without files, PDF source files and viewable renditions generated from the seed. Test controls
(not Vault's API): `state.throttle_next(...)`, `state.expire_sessions()`, `state.edit(...)`, `state.log`.
Start one with `FakeVault` from `tests.fakes.veeva.server`, or `python -m tests.fakes.veeva --port N`.
"""
