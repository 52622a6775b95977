"""A fake Google Analytics (Universal Analytics) back end: OAuth token endpoint, Management and Metadata API v3,
Analytics Reporting API v4, served over https.

It answers as Google's public docs say:
- https://developers.google.com/identity/protocols/oauth2/web-server - `POST /token` with the
  `authorization_code` and `refresh_token` grants (client id and secret in the form); `invalid_grant` /
  `invalid_client` errors; access tokens that expire (`expires_in`);
- https://developers.google.com/analytics/devguides/config/mgmt/v3/mgmtReference/management/accountSummaries/list
  and .../customDimensions/list, .../customMetrics/list - `start-index` / `max-results` paging;
- https://developers.google.com/analytics/devguides/reporting/metadata/v3/reference/metadata/columns/list -
  `GET /analytics/v3/metadata/ga/columns` (PUBLIC / DEPRECATED columns, templated `XX` columns);
- https://developers.google.com/analytics/devguides/reporting/core/v4/rest/v4/reports/batchGet and
  https://developers.google.com/analytics/devguides/reporting/core/v4/limits-quotas - `reportRequests` with
  viewId, dateRanges (YYYY-MM-DD, `today`, `yesterday`, `NdaysAgo`), at most 7 dimensions and 10 metrics,
  pageSize (at most 100,000) and pageToken / nextPageToken; `samplesReadCounts` / `samplingSpaceSizes` on
  sampled reports; errors as `{"error": {"code", "message", "status"}}` (401 UNAUTHENTICATED, 403
  PERMISSION_DENIED, 400 INVALID_ARGUMENT, 429 RESOURCE_EXHAUSTED);
- https://developers.google.com/analytics/devguides/config/mgmt/v3/errors - the v3 APIs' errors add an
  `errors` list of `{domain, reason, message}` (insufficientPermissions, invalidCredentials, ...).

Rows are generated per hour; a report sums them over the requested dimensions (ratios are summed too: the
fake does not recompute averages). The self-tests drive the fake with Google's own client
(google-api-python-client with google-auth, tests/unit/fakes/test_google_analytics_sdk.py) and with
`requests` for the details the client hides (tests/unit/fakes/test_google_analytics_fake.py).

Start one with `FakeGoogleAnalytics` from `tests.fakes.google_analytics.server`, or
`python -m tests.fakes.google_analytics --port N`.
"""
