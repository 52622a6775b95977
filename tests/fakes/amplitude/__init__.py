"""A fake Amplitude project (Export API and Dashboard REST event list) served over https.

It answers as Amplitude's public docs say:
- https://amplitude.com/docs/apis/analytics/export - `GET /api/2/export?start=YYYYMMDDTHH&end=YYYYMMDDTHH`,
  HTTP basic auth (API key : secret key); the answer is a zip archive of gzipped JSON-lines files, one per
  hour of `server_upload_time` holding data; 400 when the export is too large (over 4 GB: here over
  `Project.max_export_events` events) or the range is malformed or longer than 365 days; 404 when the range
  holds no data; both hours inclusive, in UTC;
- https://amplitude.com/docs/apis/analytics/dashboard-rest - `GET /api/2/events/list` (the project's event
  types, `{"data": [...]}`), and the Dashboard APIs' rate limit: 429 once too many requests run.

Amplitude publishes no Python client for these endpoints (its docs show curl), so the self-test drives the
fake with `requests`, as those curl calls are written.

Start one with `FakeAmplitude` from `tests.fakes.amplitude.server`, or `python -m tests.fakes.amplitude --port N`.
"""
