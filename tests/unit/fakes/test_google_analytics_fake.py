"""The fake Google back end answers as Google's OAuth, Management/Metadata v3 and Reporting v4 docs say.

These tests make the REST calls with `requests`, for the wire details Google's own client hides (the token
endpoint's grants and error bodies, the status words of 400/401/403/429): refresh a token, list account
summaries and columns, page through a batchGet report, and see 401 (expired token, then refreshed), 400,
403 and 429 answers. test_google_analytics_sdk.py drives the same fake with google-api-python-client.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fakes.google_analytics.server import FakeGoogleAnalytics
from tests.support.tls import tls_env

VIEW = "98765432"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGoogleAnalytics]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in tls_env().items():
            mp.setenv(key, value)
        with FakeGoogleAnalytics(hours=30, rows_per_hour=7) as server:
            yield server


def refresh(fake: FakeGoogleAnalytics, refresh_token: str | None = None) -> requests.Response:
    state = fake.state
    return requests.post(f"{fake.url}/token", data={
        "grant_type": "refresh_token", "client_id": state.client_id, "client_secret": state.client_secret,
        "refresh_token": refresh_token or state.refresh_token}, timeout=30)


@pytest.fixture
def token(fake: FakeGoogleAnalytics) -> str:
    return str(refresh(fake).json()["access_token"])


def batch_get(fake: FakeGoogleAnalytics, token: str, **request: Any) -> requests.Response:
    return requests.post(f"{fake.url}/v4/reports:batchGet", json={"reportRequests": [{"viewId": VIEW, **request}]},
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_tokens_come_from_refresh_and_code_grants(fake: FakeGoogleAnalytics) -> None:
    answer = refresh(fake).json()
    assert answer["token_type"] == "Bearer" and answer["expires_in"] > 0 and answer["access_token"].startswith("ya29.")
    revoked = refresh(fake, "1//revoked")
    assert revoked.status_code == 400 and revoked.json()["error"] == "invalid_grant"
    code = fake.state.new_code()
    exchanged = requests.post(f"{fake.url}/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": "https://example.com/cb",
        "client_id": fake.state.client_id, "client_secret": fake.state.client_secret}, timeout=30).json()
    assert exchanged["refresh_token"] == fake.state.refresh_token
    bad_client = requests.post(f"{fake.url}/token", data={"grant_type": "refresh_token", "client_id": "x",
                                                          "client_secret": "y", "refresh_token": "z"}, timeout=30)
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"


def test_accounts_and_columns(fake: FakeGoogleAnalytics, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    summaries = requests.get(f"{fake.url}/analytics/v3/management/accountSummaries", headers=headers,
                             params={"max-results": 1}, timeout=30).json()
    assert summaries["totalResults"] == 2 and len(summaries["items"]) == 1
    assert summaries["items"][0]["webProperties"][0]["profiles"][0]["id"] == VIEW
    columns = requests.get(f"{fake.url}/analytics/v3/metadata/ga/columns", headers=headers, timeout=30).json()
    statuses = {c["id"]: c["attributes"]["status"] for c in columns["items"]}
    assert statuses["ga:sessions"] == "PUBLIC" and statuses["ga:visits"] == "DEPRECATED"


def test_a_report_pages_with_next_page_token(fake: FakeGoogleAnalytics, token: str) -> None:
    state = fake.state
    first, last = state.hour_of(0), state.hour_of(state.hours - 1)
    request = {"dateRanges": [{"startDate": f"{first:%Y-%m-%d}", "endDate": f"{last:%Y-%m-%d}"}],
               "dimensions": [{"name": "ga:dateHour"}, {"name": "ga:pagePath"}],
               "metrics": [{"expression": "ga:sessions"}, {"expression": "ga:bounceRate"}], "pageSize": 50}
    rows, token_ = [], None
    while True:
        report = batch_get(fake, token, **request, **({"pageToken": token_} if token_ else {})).json()["reports"][0]
        rows += report["data"]["rows"]
        token_ = report.get("nextPageToken")
        if not token_:
            break
    assert len(rows) == 30 * 7 == report["data"]["rowCount"]
    assert len({tuple(r["dimensions"]) for r in rows}) == len(rows)
    header = report["columnHeader"]
    assert header["dimensions"] == ["ga:dateHour", "ga:pagePath"]
    assert [m["type"] for m in header["metricHeader"]["metricHeaderEntries"]] == ["INTEGER", "PERCENT"]
    expected = {(r["ga:dateHour"], r["ga:pagePath"]): r["ga:sessions"] for r in state.all_rows(VIEW)}
    assert {tuple(r["dimensions"]): int(r["metrics"][0]["values"][0]) for r in rows} == expected
    assert "samplesReadCounts" not in report["data"]
    state.sampling = (5000, 20000)
    try:
        sampled = batch_get(fake, token, **request).json()["reports"][0]["data"]
    finally:
        state.sampling = None
    assert sampled["samplesReadCounts"] == ["5000"] and sampled["samplingSpaceSizes"] == ["20000"]


def test_errors_follow_google_shapes(fake: FakeGoogleAnalytics, token: str) -> None:
    metric = [{"expression": "ga:sessions"}]
    fake.state.expire_tokens()
    expired = batch_get(fake, token, metrics=metric)
    assert expired.status_code == 401 and expired.json()["error"]["status"] == "UNAUTHENTICATED"
    fresh = str(refresh(fake).json()["access_token"])  # what a client does after a 401
    assert batch_get(fake, fresh, metrics=metric).status_code == 200
    too_many = batch_get(fake, fresh, metrics=metric, dimensions=[{"name": "ga:source"}] * 8)
    assert too_many.status_code == 400 and too_many.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert batch_get(fake, fresh, metrics=[{"expression": "ga:nope"}]).status_code == 400
    other = requests.post(f"{fake.url}/v4/reports:batchGet", json={"reportRequests": [
        {"viewId": "1", "metrics": metric}]}, headers={"Authorization": f"Bearer {fresh}"}, timeout=30)
    assert other.status_code == 403 and other.json()["error"]["status"] == "PERMISSION_DENIED"
    fake.state.throttle_next(1)
    throttled = batch_get(fake, fresh, metrics=metric)
    assert throttled.status_code == 429 and throttled.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert batch_get(fake, fresh, metrics=metric).status_code == 200  # retried later, it passes
