"""The fake Google back end driven with Google's own client: google-api-python-client and google-auth.

Services are built from the discovery documents the client ships (`static_discovery=True`: no network),
pointed at the fake with `client_options={"api_endpoint": ...}`, over an `httplib2.Http` trusting the test
CA, authorised by google-auth OAuth2 `Credentials` holding a refresh token and the fake's token URI. Covers
`reports().batchGet` paged with `pageToken` to the end, google-auth refreshing an expired access token
(before a call, and after the API's 401), a revoked refresh token, a 429 quota error as `HttpError` with
Google's error JSON (and the client's own retry of it), the Management API's account summaries and custom
dimensions, the Metadata API's columns, and a v3 403 whose `errors` list the client reads as details.
test_google_analytics_fake.py keeps the raw-wire checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import google_auth_httplib2
import googleapiclient
import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from tests.fakes.google_analytics.backend import ACCOUNT, ACCOUNTS, COLUMNS, PROPERTY
from tests.fakes.google_analytics.server import FakeGoogleAnalytics
from tests.support.tls import certificates

VIEW = "98765432"
HOURS, ROWS_PER_HOUR = 30, 7
SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGoogleAnalytics]:
    with FakeGoogleAnalytics(hours=HOURS, rows_per_hour=ROWS_PER_HOUR) as server:
        yield server


def credentials(fake: FakeGoogleAnalytics, refresh_token: str | None = None, **token: Any) -> Credentials:
    """google-auth user credentials for the fake's OAuth client (no access token unless `token` gives one)."""
    state = fake.state
    return Credentials(token=token.get("token"), expiry=token.get("expiry"),
                       refresh_token=refresh_token or state.refresh_token, token_uri=f"{fake.url}/token",
                       client_id=state.client_id, client_secret=state.client_secret, scopes=[SCOPE])


def service(fake: FakeGoogleAnalytics, creds: Credentials, name: str = "analyticsreporting",
            version: str = "v4", path: str = "") -> Any:
    """A client for one Google API, from the shipped discovery document, reaching the fake over TLS."""
    assert (DOCUMENTS / f"{name}.{version}.json").is_file()
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(ca_certs=certificates().ca_file,
                                                                           timeout=30))
    return build(name, version, http=http, static_discovery=True,
                 client_options={"api_endpoint": f"{fake.url}{path}"})


def report_request(fake: FakeGoogleAnalytics, **extra: Any) -> dict[str, Any]:
    first, last = fake.state.hour_of(0), fake.state.hour_of(HOURS - 1)
    return {"viewId": VIEW, "dateRanges": [{"startDate": f"{first:%Y-%m-%d}", "endDate": f"{last:%Y-%m-%d}"}],
            "dimensions": [{"name": "ga:dateHour"}, {"name": "ga:pagePath"}],
            "metrics": [{"expression": "ga:sessions"}, {"expression": "ga:bounceRate"}], **extra}


def calls(fake: FakeGoogleAnalytics, since: int) -> list[str]:
    """The paths the fake was asked for since entry `since` of its log."""
    return [entry["path"] for entry in fake.log.entries[since:]]


def test_batch_get_pages_with_page_token_to_the_end(fake: FakeGoogleAnalytics) -> None:
    reports = service(fake, credentials(fake)).reports()
    rows: list[dict[str, Any]] = []
    page_token: str | None = None
    pages = 0
    while True:
        request = report_request(fake, pageSize=40, **({"pageToken": page_token} if page_token else {}))
        report = reports.batchGet(body={"reportRequests": [request]}).execute()["reports"][0]
        rows += report["data"]["rows"]
        pages += 1
        page_token = report.get("nextPageToken")
        if not page_token:
            break
    assert pages == -(-HOURS * ROWS_PER_HOUR // 40)
    assert len(rows) == HOURS * ROWS_PER_HOUR == report["data"]["rowCount"]
    header = report["columnHeader"]
    assert header["dimensions"] == ["ga:dateHour", "ga:pagePath"]
    assert [m["name"] for m in header["metricHeader"]["metricHeaderEntries"]] == ["ga:sessions", "ga:bounceRate"]
    expected = {(r["ga:dateHour"], r["ga:pagePath"]): r["ga:sessions"] for r in fake.state.all_rows(VIEW)}
    assert {tuple(r["dimensions"]): int(r["metrics"][0]["values"][0]) for r in rows} == expected


def test_an_expired_token_is_refreshed_before_the_call(fake: FakeGoogleAnalytics) -> None:
    stale = credentials(fake, token="ya29.stale", expiry=(datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None))
    since = len(fake.log.entries)
    body = {"reportRequests": [report_request(fake, pageSize=1)]}
    assert service(fake, stale).reports().batchGet(body=body).execute()["reports"][0]["data"]["rows"]
    assert calls(fake, since) == ["/token", "/v4/reports:batchGet"]
    assert stale.token != "ya29.stale" and stale.valid


def test_a_token_the_api_refuses_is_refreshed_and_the_call_retried(fake: FakeGoogleAnalytics) -> None:
    creds = credentials(fake)
    reports = service(fake, creds).reports()
    body = {"reportRequests": [report_request(fake, pageSize=1)]}
    reports.batchGet(body=body).execute()
    first = creds.token
    fake.state.expire_tokens()  # an hour passes at Google: the token is refused with 401 UNAUTHENTICATED
    since = len(fake.log.entries)
    assert reports.batchGet(body=body).execute()["reports"][0]["data"]["rows"]
    assert calls(fake, since) == ["/v4/reports:batchGet", "/token", "/v4/reports:batchGet"]
    assert creds.token != first


def test_a_revoked_refresh_token_fails_the_refresh(fake: FakeGoogleAnalytics) -> None:
    reports = service(fake, credentials(fake, refresh_token="1//revoked")).reports()
    with pytest.raises(RefreshError, match="invalid_grant"):
        reports.batchGet(body={"reportRequests": [report_request(fake)]}).execute()


def test_a_quota_error_is_an_http_error_with_google_error_json(fake: FakeGoogleAnalytics) -> None:
    reports = service(fake, credentials(fake)).reports()
    body = {"reportRequests": [report_request(fake, pageSize=1)]}
    fake.state.throttle_next(1)
    with pytest.raises(HttpError) as refused:
        reports.batchGet(body=body).execute()
    error = json.loads(refused.value.content)["error"]
    assert refused.value.status_code == 429 == error["code"] and error["status"] == "RESOURCE_EXHAUSTED"
    assert error["message"].startswith("Quota Error") and refused.value.reason == error["message"]
    # The client retries a 429 itself when asked to (num_retries, with its own back-off).
    fake.state.throttle_next(1)
    since = len(fake.log.entries)
    assert reports.batchGet(body=body).execute(num_retries=1)["reports"][0]["data"]["rows"]
    assert calls(fake, since) == ["/v4/reports:batchGet", "/v4/reports:batchGet"]


def test_management_api_account_summaries_and_custom_dimensions(fake: FakeGoogleAnalytics) -> None:
    management = service(fake, credentials(fake), "analytics", "v3", "/analytics/v3/").management()
    items, start = [], 1
    while True:  # start-index / max-results paging, as the Management API pages
        page = management.accountSummaries().list(max_results=1, start_index=start).execute()
        assert page["kind"] == "analytics#accountSummaries" and page["startIndex"] == start
        items += page["items"]
        start += page["itemsPerPage"]
        if start > page["totalResults"]:
            break
    assert [a["id"] for a in items] == [a["id"] for a in ACCOUNTS]
    profiles = {v["id"]: v["name"] for p in items[0]["webProperties"] for v in p["profiles"]}
    assert profiles[VIEW] == "All Web Site Data" and profiles["98765433"] == "Filtré 日本"
    assert fake.log.matching("/analytics/v3/management/accountSummaries")[-1]["query"]["start-index"] == ["2"]
    dimensions = management.customDimensions().list(accountId=ACCOUNT, webPropertyId=PROPERTY).execute()
    assert [(d["id"], d["active"]) for d in dimensions["items"]] == [("ga:dimension1", True), ("ga:dimension2", False)]
    with pytest.raises(HttpError) as denied:
        management.customDimensions().list(accountId="1", webPropertyId="UA-1-1").execute()
    assert denied.value.status_code == 403
    # The v3 APIs' error details are their `errors` list (Google's client exposes it as error_details).
    details = denied.value.error_details
    assert isinstance(details, list) and [e["reason"] for e in details] == ["insufficientPermissions"]


def test_metadata_api_columns(fake: FakeGoogleAnalytics) -> None:
    metadata = service(fake, credentials(fake), "analytics", "v3", "/analytics/v3/").metadata()
    columns = metadata.columns().list(reportType="ga").execute()
    assert columns["kind"] == "analytics#columns" and columns["totalResults"] == len(COLUMNS)
    attributes = {c["id"]: c["attributes"] for c in columns["items"]}
    assert attributes["ga:sessions"]["type"] == "METRIC" and attributes["ga:sessions"]["status"] == "PUBLIC"
    assert attributes["ga:visits"]["status"] == "DEPRECATED" and attributes["ga:source"]["type"] == "DIMENSION"
