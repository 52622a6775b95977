"""A fake Google Analytics 4 back end: OAuth token endpoint, Admin API v1beta and Data API v1beta, over https.

It answers as Google's public docs say:
- https://developers.google.com/identity/protocols/oauth2/web-server#offline - `POST /token` with the
  `refresh_token` and `authorization_code` grants (client id and secret in the form); shared with the
  Universal Analytics fake (tests/fakes/google_analytics/app.py);
- https://developers.google.com/analytics/devguides/config/admin/v1/rest/v1beta/accountSummaries/list -
  `GET /v1beta/accountSummaries` with `pageSize` (default 50, at most 200) and `pageToken` /
  `nextPageToken`; each summary has `name`, `account`, `displayName` and `propertySummaries`
  (`property`, `displayName`, `propertyType`, `parent`);
- https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/getMetadata -
  `GET /v1beta/properties/{id}/metadata`: `dimensions` (`apiName`, `uiName`, `description`,
  `category`, `customDefinition`) and `metrics` (the same plus `type`: TYPE_INTEGER, TYPE_FLOAT,
  TYPE_SECONDS, TYPE_CURRENCY, TYPE_STANDARD ...); property `0` answers the common fields only;
- https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport and
  .../v1beta/RunReportResponse, .../v1beta/FilterExpression, .../v1beta/OrderBy - `dimensions` (at most 9),
  `metrics` (at most 10), `dateRanges` (`YYYY-MM-DD`, `today`, `yesterday`, `NdaysAgo`), `dimensionFilter`
  (applied to events before aggregation) and `metricFilter` (after it) with `andGroup` / `orGroup` /
  `notExpression` / `filter` (`stringFilter` EXACT, BEGINS_WITH, ENDS_WITH, CONTAINS, FULL_REGEXP,
  PARTIAL_REGEXP; `inListFilter`; `numericFilter`; `betweenFilter`; `emptyFilter`), `orderBys`
  (dimension ALPHANUMERIC / CASE_INSENSITIVE_ALPHANUMERIC / NUMERIC, metric, `desc`), `limit` (default
  10,000, at most 250,000) and `offset` (int64 members as JSON strings), `metricAggregations` (TOTAL,
  MAXIMUM, MINIMUM), `returnPropertyQuota`; answers `dimensionHeaders`, `metricHeaders` (name, type),
  `rows` (`dimensionValues` / `metricValues`, every value text, `date` as YYYYMMDD), `rowCount` (all
  rows, whatever limit and offset say), `metadata` (`currencyCode`, `timeZone`), `propertyQuota` and
  `kind: analyticsData#runReport`; proto3 JSON leaves empty members out (no `rows` nor `rowCount` when
  nothing matched);
- https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runRealtimeReport
  and .../data/v1/realtime-api-schema - `POST /v1beta/properties/{id}:runRealtimeReport`: the Realtime
  API's own dimensions (appVersion, audienceId, audienceName, city, cityId, country, countryId,
  deviceCategory, eventName, minutesAgo, platform, streamId, streamName, unifiedScreenName) and metrics
  (activeUsers, eventCount, keyEvents, screenPageViews) over the last 30 minutes (`minuteRanges`),
  filters and `limit` as above, no `offset` (realtime reports do not page);
- https://developers.google.com/analytics/devguides/reporting/data/v1/quotas and
  https://cloud.google.com/apis/design/errors - errors as `{"error": {"code", "message", "status"}}`:
  401 UNAUTHENTICATED, 403 PERMISSION_DENIED (a property the user cannot read), 400 INVALID_ARGUMENT,
  429 RESOURCE_EXHAUSTED (an exhausted token quota).

Reports are computed from seeded event-level rows (`events` of them over `days` days, each with a
user and a session), so any combination of dimensions and metrics, filters and paging is real:
eventCount counts events, totalUsers / activeUsers / sessions count distinct users and sessions,
engagementRate and averageSessionDuration are ratios over the group. One date range per request
(Google allows up to four, adding a `dateRange` dimension; Sluice sends one). Dates are UTC (the
property's `timeZone` is Etc/UTC).

The self-test drives the fake with Google's own client, google-analytics-data over REST
(tests/unit/fakes/test_google_analytics4_sdk.py). Start one with `FakeGoogleAnalytics4` from
`tests.fakes.google_analytics4.server`, or `python -m tests.fakes.google_analytics4 --port N`.
"""
