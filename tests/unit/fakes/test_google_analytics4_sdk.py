"""The fake GA4 back end driven with Google's own client: google-analytics-data over REST, with google-auth.

`BetaAnalyticsDataClient(transport="rest", client_options={"api_endpoint": fake}, credentials=...)` talks
to the fake over TLS (the test CA through REQUESTS_CA_BUNDLE, which requests reads), authorised by
google-auth OAuth2 `Credentials` holding a refresh token and the fake's token URI. Covers runReport paged
with `limit` / `offset` to `rowCount`, dimension and metric filters checked against counts made here from
the seeded events, ordering, metric aggregations, the property quota, getMetadata's typed fields, a 429
RESOURCE_EXHAUSTED (and the client's retry of it), an expired access token refreshed after the 401, and a
property the user cannot read (403 PERMISSION_DENIED). The Admin API's accountSummaries paging is checked
with requests (its client library is not a test dependency).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import (
    DateRange,
    Dimension,
    Filter,
    FilterExpression,
    FilterExpressionList,
    GetMetadataRequest,
    Metric,
    MetricAggregation,
    MetricType,
    MinuteRange,
    NumericValue,
    OrderBy,
    RunRealtimeReportRequest,
    RunReportRequest,
)
from google.api_core import exceptions
from google.api_core.retry import Retry, if_exception_type
from google.oauth2.credentials import Credentials

from tests.fakes.google_analytics4.server import FakeGoogleAnalytics4
from tests.fakes.google_analytics4.state import PROPERTY
from tests.support.tls import certificates

EVENTS, DAYS = 600, 6
SCOPE = "https://www.googleapis.com/auth/analytics.readonly"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGoogleAnalytics4]:
    with FakeGoogleAnalytics4(events=EVENTS, days=DAYS, extra_accounts=3) as server:
        yield server


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificates().ca_file)


def credentials(fake: FakeGoogleAnalytics4) -> Credentials:
    state = fake.state
    return Credentials(token=None, refresh_token=state.refresh_token, token_uri=f"{fake.url}/token",
                       client_id=state.client_id, client_secret=state.client_secret, scopes=[SCOPE])


@pytest.fixture(scope="module")
def client(fake: FakeGoogleAnalytics4) -> BetaAnalyticsDataClient:
    return BetaAnalyticsDataClient(transport="rest", client_options={"api_endpoint": fake.url},
                                   credentials=credentials(fake))


def every_day(fake: FakeGoogleAnalytics4) -> list[DateRange]:
    first = datetime.fromtimestamp(fake.state.start, UTC)
    last = datetime.fromtimestamp(fake.state.end, UTC)
    return [DateRange(start_date=f"{first:%Y-%m-%d}", end_date=f"{last:%Y-%m-%d}")]


def rows_of(answer: Any) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    return [(tuple(v.value for v in r.dimension_values), tuple(v.value for v in r.metric_values))
            for r in answer.rows]


def test_run_report_pages_with_limit_and_offset_to_row_count(fake: FakeGoogleAnalytics4,
                                                             client: BetaAnalyticsDataClient) -> None:
    def request(**paging: Any) -> RunReportRequest:
        return RunReportRequest(property=f"properties/{PROPERTY}", date_ranges=every_day(fake),
                                dimensions=[Dimension(name="date"), Dimension(name="pagePath"),
                                            Dimension(name="country")],
                                metrics=[Metric(name="eventCount"), Metric(name="activeUsers")],
                                order_bys=[OrderBy(dimension=OrderBy.DimensionOrderBy(dimension_name="date"))],
                                **paging)

    whole = client.run_report(request())
    assert whole.row_count == len(whole.rows) > 60 and whole.kind == "analyticsData#runReport"
    paged: list[Any] = []
    offset = 0
    while offset < whole.row_count:
        answer = client.run_report(request(limit=25, offset=offset))
        assert answer.row_count == whole.row_count and 0 < len(answer.rows) <= 25
        paged += rows_of(answer)
        offset += len(answer.rows)
    assert paged == rows_of(whole)
    assert [r[0][0] for r in paged] == sorted(r[0][0] for r in paged)  # ordered by date
    # eventCount sums to every event of the property in the range; the oracle counts the seeded events.
    assert sum(int(m[0]) for _, m in paged) == sum(1 for _ in fake.state.events(PROPERTY))
    assert [h.type_ for h in whole.metric_headers] == [MetricType.TYPE_INTEGER, MetricType.TYPE_INTEGER]
    assert {d for (_, _, d), _ in paged} >= {"Japan", "Germany", "(not set)"}
    assert {p for (_, p, _), _ in paged} >= {"/ja/ブログ", "/blog/ünïcode"}


def test_dimension_and_metric_filters_match_counts_of_the_seeded_events(
        fake: FakeGoogleAnalytics4, client: BetaAnalyticsDataClient) -> None:
    events = [e for e in fake.state.events(PROPERTY)]
    expected = Counter(e.values["pagePath"] for e in events
                       if e.values["country"] in ("Japan", "Germany") and e.values["eventName"] == "page_view")
    answer = client.run_report(RunReportRequest(
        property=f"properties/{PROPERTY}", date_ranges=every_day(fake),
        dimensions=[Dimension(name="pagePath")], metrics=[Metric(name="screenPageViews"), Metric(name="eventCount")],
        dimension_filter=FilterExpression(and_group=FilterExpressionList(expressions=[
            FilterExpression(filter=Filter(field_name="country", in_list_filter=Filter.InListFilter(
                values=["Japan", "Germany"], case_sensitive=True))),
            FilterExpression(filter=Filter(field_name="eventName", string_filter=Filter.StringFilter(
                match_type=Filter.StringFilter.MatchType.EXACT, value="page_view"))),
        ])),
        metric_aggregations=[MetricAggregation.TOTAL]))
    assert {d[0]: int(m[0]) for d, m in rows_of(answer)} == dict(expected)
    assert int(answer.totals[0].metric_values[0].value) == sum(expected.values())
    threshold = sorted(expected.values())[len(expected) // 2]
    answer = client.run_report(RunReportRequest(
        property=f"properties/{PROPERTY}", date_ranges=every_day(fake), dimensions=[Dimension(name="pagePath")],
        metrics=[Metric(name="screenPageViews")],
        dimension_filter=FilterExpression(filter=Filter(field_name="country", in_list_filter=Filter.InListFilter(
            values=["Japan", "Germany"], case_sensitive=True))),
        metric_filter=FilterExpression(filter=Filter(field_name="screenPageViews", numeric_filter=Filter.NumericFilter(
            operation=Filter.NumericFilter.Operation.GREATER_THAN_OR_EQUAL,
            value=NumericValue(int64_value=threshold)))),
        return_property_quota=True))
    assert {d[0] for d, _ in rows_of(answer)} == {p for p, n in expected.items() if n >= threshold}
    assert answer.property_quota.tokens_per_day.remaining > 0
    unicode = client.run_report(RunReportRequest(
        property=f"properties/{PROPERTY}", date_ranges=every_day(fake), dimensions=[Dimension(name="pageTitle")],
        metrics=[Metric(name="eventCount")],
        dimension_filter=FilterExpression(filter=Filter(field_name="pageTitle", string_filter=Filter.StringFilter(
            match_type=Filter.StringFilter.MatchType.CONTAINS, value="ブログ")))))
    assert [d for d, _ in rows_of(unicode)] == [("ブログ",)]


def test_metadata_lists_typed_dimensions_and_metrics(client: BetaAnalyticsDataClient) -> None:
    answer = client.get_metadata(GetMetadataRequest(name=f"properties/{PROPERTY}/metadata"))
    dimensions = {d.api_name: d for d in answer.dimensions}
    metrics = {m.api_name: m for m in answer.metrics}
    assert {"date", "country", "achievementId", "adFormat", "adSourceName"} <= set(dimensions)
    assert dimensions["customEvent:article_author"].custom_definition
    assert metrics["sessions"].type_ == MetricType.TYPE_INTEGER
    assert metrics["purchaseRevenue"].type_ == MetricType.TYPE_CURRENCY
    assert metrics["averageSessionDuration"].type_ == MetricType.TYPE_SECONDS
    common = client.get_metadata(GetMetadataRequest(name="properties/0/metadata"))
    assert "customEvent:article_author" not in {d.api_name for d in common.dimensions}


def test_a_429_is_resource_exhausted_and_retried_by_the_client(fake: FakeGoogleAnalytics4,
                                                               client: BetaAnalyticsDataClient) -> None:
    request = RunReportRequest(property=f"properties/{PROPERTY}", date_ranges=every_day(fake),
                               metrics=[Metric(name="sessions")])
    fake.state.throttle_next(1)
    with pytest.raises(exceptions.TooManyRequests) as refused:
        client.run_report(request)
    assert "Exhausted property tokens per hour" in refused.value.message
    assert refused.value.code == 429 and refused.value.response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    fake.state.throttle_next(2)
    retry = Retry(predicate=if_exception_type(exceptions.TooManyRequests), initial=0.01, maximum=0.05, timeout=30)
    answer = client.run_report(request, retry=retry)
    assert int(answer.rows[0].metric_values[0].value) > 0


def test_an_expired_token_is_refreshed_after_the_401(fake: FakeGoogleAnalytics4) -> None:
    client = BetaAnalyticsDataClient(transport="rest", client_options={"api_endpoint": fake.url},
                                     credentials=credentials(fake))
    request = GetMetadataRequest(name=f"properties/{PROPERTY}/metadata")
    client.get_metadata(request)
    fake.state.expire_tokens()
    before = len(fake.log.matching("/token"))
    assert client.get_metadata(request).name == f"properties/{PROPERTY}/metadata"
    assert len(fake.log.matching("/token")) == before + 1  # google-auth refreshed once, after the 401


def test_a_property_the_user_cannot_read_is_permission_denied(fake: FakeGoogleAnalytics4,
                                                              client: BetaAnalyticsDataClient) -> None:
    with pytest.raises(exceptions.Forbidden) as denied:
        client.run_report(RunReportRequest(property="properties/999999", date_ranges=every_day(fake),
                                           metrics=[Metric(name="sessions")]))
    assert "sufficient permissions for this property" in denied.value.message
    assert denied.value.response.json()["error"]["status"] == "PERMISSION_DENIED"


def test_account_summaries_page_with_page_token(fake: FakeGoogleAnalytics4) -> None:
    token = fake.state.issue()["access_token"]
    names: list[str] = []
    params: dict[str, Any] = {"pageSize": 2}
    while True:
        answer = requests.get(f"{fake.url}/v1beta/accountSummaries", params=params,
                              headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
        names += [p["property"] for a in answer["accountSummaries"] for p in a.get("propertySummaries", [])]
        if "nextPageToken" not in answer:
            break
        params["pageToken"] = answer["nextPageToken"]
    assert names == [f"properties/{PROPERTY}", "properties/123456790", "properties/222333444"]
    refused = requests.get(f"{fake.url}/v1beta/accountSummaries", headers={"Authorization": "Bearer nope"},
                           timeout=30)
    assert refused.status_code == 401 and refused.json()["error"]["status"] == "UNAUTHENTICATED"


def test_a_realtime_report_counts_the_last_30_minutes_by_minutes_ago(fake: FakeGoogleAnalytics4,
                                                                     client: BetaAnalyticsDataClient) -> None:
    import time

    now = time.time()
    added = fake.state.add_events(PROPERTY, now - 90, 4) + fake.state.add_events(PROPERTY, now - 3600, 3)
    recent = [e for e in fake.state.events(PROPERTY) if now - 30 * 60 < e.time <= now]
    answer = client.run_realtime_report(RunRealtimeReportRequest(
        property=f"properties/{PROPERTY}", dimensions=[Dimension(name="minutesAgo"), Dimension(name="countryId")],
        metrics=[Metric(name="eventCount"), Metric(name="keyEvents")]))
    assert answer.kind == "analyticsData#runRealtimeReport"
    counted = Counter()
    for (minutes, _), (events, _) in rows_of(answer):
        counted[minutes] += int(events)
    assert sum(counted.values()) == len(recent) and counted["01"] >= 4  # the hour-old events are out
    assert all(e.values["countryId"] in {"US", "DE", "JP", "BR", "(not set)"} for e in added)
    narrow = client.run_realtime_report(RunRealtimeReportRequest(
        property=f"properties/{PROPERTY}", dimensions=[Dimension(name="minutesAgo")],
        metrics=[Metric(name="eventCount")], minute_ranges=[MinuteRange(start_minutes_ago=1, end_minutes_ago=1)]))
    assert [d for d, _ in rows_of(narrow)] == [("01",)]
    with pytest.raises(exceptions.BadRequest) as refused:
        client.run_realtime_report(RunRealtimeReportRequest(property=f"properties/{PROPERTY}",
                                                            dimensions=[Dimension(name="pagePath")]))
    assert "realtime-api-schema" in refused.value.message
