"""A fake Singular account (the asynchronous Reporting API and its metadata endpoints) served over https.

It answers as Singular's public docs say:
- https://support.singular.net/hc/en-us/articles/360045245692-Reporting-API-Reference - the API key in the
  `api_key` parameter or the `Authorization` header; `POST /api/v2.0/create_async_report` (start_date,
  end_date, time_breakdown, dimensions, metrics, format, app, source, filters) answering a `report_id`;
  `GET /api/v2.0/get_report_status` (QUEUED, STARTED, DONE with a `download_url`, FAILED);
  `GET /api/v2.0/reporting/filters`, `GET /api/custom_dimensions`, `GET /api/conversion_metrics`; answers
  in the `{"status": 0, "substatus": 0, "value": ...}` envelope; limits of 100 concurrent async reports and
  200K rows per report;
- https://support.singular.net/hc/en-us/articles/360056293692-How-to-Query-the-Singular-Reporting-API - the
  create -> poll -> download flow, one day per query recommended.

The docs do not spell out error bodies; the fake answers errors in the same envelope with a non-zero
`status` and the message as `value` (401 for a bad key, 400 for a bad request, 429 over the concurrency
limit). A report's rows aggregate (sum) the seeded rows by the requested dimensions.

Singular publishes no Python client; the self-test drives the fake with `requests`, as the docs' samples do.
Start one with `FakeSingular` from `tests.fakes.singular.server`, or `python -m tests.fakes.singular --port N`.
"""
