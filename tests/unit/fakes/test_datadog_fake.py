"""The fake Datadog API driven by Datadog's own client (datadog-api-client), plus its cursor and query parts."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ApiException, ForbiddenException
from datadog_api_client.v1.api.authentication_api import AuthenticationApi
from datadog_api_client.v1.api.events_api import EventsApi as EventsV1
from datadog_api_client.v1.api.metrics_api import MetricsApi
from datadog_api_client.v2.api.events_api import EventsApi as EventsV2
from datadog_api_client.v2.api.logs_api import LogsApi
from datadog_api_client.v2.model.logs_list_request import LogsListRequest
from datadog_api_client.v2.model.logs_list_request_page import LogsListRequestPage
from datadog_api_client.v2.model.logs_query_filter import LogsQueryFilter
from datadog_api_client.v2.model.logs_sort import LogsSort

from tests.fakes.datadog.search import SearchView, compile_query
from tests.fakes.datadog.server import FakeDatadog
from tests.fakes.datadog.state import DEFAULT_START, DatadogState
from tests.support.tls import certificates

LOGS, EVENTS = 450, 120
START = DEFAULT_START
DAY_END = START + dt.timedelta(days=1)
EPOCH = int(START.timestamp())


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDatadog]:
    with FakeDatadog(logs=LOGS, events=EVENTS) as server:
        yield server


def client(fake: FakeDatadog, api_key: str | None = None, app_key: str | None = None,
           retry: bool = False) -> ApiClient:
    """Datadog's client pointed at the fake, trusting the test CA."""
    config = Configuration(host=fake.url, ssl_ca_cert=certificates().ca_file, enable_retry=retry,
                           api_key={"apiKeyAuth": api_key or fake.api_key, "appKeyAuth": app_key or fake.app_key})
    return ApiClient(config)


def trust() -> ssl.SSLContext:
    """An SSL context trusting the test CA (for plain httpx calls next to the client)."""
    return ssl.create_default_context(cafile=certificates().ca_file)


def search_body(query: str = "*", limit: int = 100, cursor: str | None = None,
                to: dt.datetime = DAY_END) -> LogsListRequest:
    page = LogsListRequestPage(limit=limit, cursor=cursor) if cursor else LogsListRequestPage(limit=limit)
    return LogsListRequest(filter=LogsQueryFilter(query=query, _from=START.isoformat(), to=to.isoformat()),
                           sort=LogsSort.TIMESTAMP_ASCENDING, page=page)


def test_validate_accepts_the_api_key_and_refuses_a_bad_one(fake: FakeDatadog) -> None:
    with client(fake) as api:
        assert AuthenticationApi(api).validate().valid is True
    with client(fake, api_key="not-a-key") as api, pytest.raises(ForbiddenException) as refused:
        AuthenticationApi(api).validate()
    assert refused.value.status == 403
    assert refused.value.body == {"errors": ["Forbidden"]}


def test_validate_needs_no_application_key_but_searches_do(fake: FakeDatadog) -> None:
    with client(fake, app_key="wrong") as api:
        assert AuthenticationApi(api).validate().valid is True
        with pytest.raises(ForbiddenException) as refused:
            LogsApi(api).list_logs(body=search_body())
    assert refused.value.body == {"errors": ["Forbidden"]}


def test_post_search_pages_through_every_log_exactly_once_in_order(fake: FakeDatadog) -> None:
    with client(fake) as api:
        logs = list(LogsApi(api).list_logs_with_pagination(body=search_body(limit=100)))
    ids = [log.id for log in logs]
    assert len(ids) == LOGS and len(set(ids)) == LOGS
    stamps = [log.attributes.timestamp for log in logs]
    assert stamps == sorted(stamps) and stamps[0] == START
    pages = [e for e in fake.requests.matching("/api/v2/logs/events/search")]
    assert pages[-1]["body"]["page"]["cursor"]  # later pages carry the cursor from meta.page.after


def test_get_search_follows_cursors_and_links_next(fake: FakeDatadog) -> None:
    with client(fake) as api:
        first = LogsApi(api).list_logs_get(filter_query="*", filter_from=START, filter_to=DAY_END,
                                           sort=LogsSort.TIMESTAMP_ASCENDING, page_limit=200)
        second = LogsApi(api).list_logs_get(filter_query="*", filter_from=START, filter_to=DAY_END,
                                            sort=LogsSort.TIMESTAMP_ASCENDING, page_limit=200,
                                            page_cursor=first.meta.page.after)
    assert len(first.data) == 200 and len(second.data) == 200
    assert first.data[-1].attributes.timestamp < second.data[0].attributes.timestamp
    headers = {"DD-API-KEY": fake.api_key, "DD-APPLICATION-KEY": fake.app_key}
    with httpx.Client(verify=trust(), headers=headers) as http:
        via_link = http.get(first.links.next).json()
    assert [d["id"] for d in via_link["data"]] == [d.id for d in second.data]


def test_query_filters_on_reserved_attributes_tags_and_facets(fake: FakeDatadog) -> None:
    query = "service:checkout status:error @http.status_code:>=500 env:prod"
    with client(fake) as api:
        logs = list(LogsApi(api).list_logs_with_pagination(body=search_body(query=query, limit=50)))
    assert logs, "the seed has checkout errors in prod"
    for log in logs:
        a = log.attributes
        assert a.service == "checkout" and a.status == "error" and "env:prod" in a.tags
        assert a.attributes["http"]["status_code"] >= 500
    assert fake.requests.matching("/api/v2/logs/events/search")[-1]["body"]["filter"]["query"] == query


def test_logs_carry_nested_attributes_nulls_and_unicode(fake: FakeDatadog) -> None:
    with client(fake) as api:
        logs = list(LogsApi(api).list_logs_with_pagination(body=search_body(limit=500)))
    attrs = [log.attributes.attributes for log in logs]
    assert any(a["usr"] is None for a in attrs)
    assert any(isinstance(a["items"], list) and a["items"] for a in attrs)
    assert any(not a.isascii() for log in logs for a in [log.attributes.message])


def test_forced_429_carries_rate_limit_headers_and_the_client_retries(fake: FakeDatadog) -> None:
    fake.state.throttle_next(1, reset=0)
    with client(fake) as api, pytest.raises(ApiException) as limited:
        LogsApi(api).list_logs(body=search_body(limit=10))
    assert limited.value.status == 429
    assert limited.value.body == {"errors": ["Too many requests"]}
    headers = {k.lower(): v for k, v in limited.value.headers.items()}
    assert headers["x-ratelimit-remaining"] == "0" and headers["x-ratelimit-reset"] == "0"
    assert {"x-ratelimit-limit", "x-ratelimit-period", "x-ratelimit-name"} <= set(headers)
    fake.state.throttle_next(2, reset=0)
    before = len(fake.requests.matching("/api/v2/logs/events/search"))
    with client(fake, retry=True) as api:
        answer = LogsApi(api).list_logs(body=search_body(limit=10))
    assert len(answer.data) == 10
    assert len(fake.requests.matching("/api/v2/logs/events/search")) == before + 3


def test_bad_arguments_answer_400_with_the_reason(fake: FakeDatadog) -> None:
    with client(fake) as api, pytest.raises(ApiException) as bad:
        LogsApi(api).list_logs(body=search_body(query="service:(checkout OR"))
    assert bad.value.status == 400 and "Invalid query" in bad.value.body["errors"][0]
    headers = {"DD-API-KEY": fake.api_key, "DD-APPLICATION-KEY": fake.app_key}
    with httpx.Client(verify=trust(), headers=headers, base_url=fake.url) as http:
        too_big = http.post("/api/v2/logs/events/search", json={"page": {"limit": 1001}})
        bad_cursor = http.get("/api/v2/logs/events", params={"page[cursor]": "nonsense!"})
        missing = http.get("/api/v1/nothing-here")
    assert too_big.status_code == 400 and too_big.json()["errors"][0].startswith("page[limit]")
    assert bad_cursor.status_code == 400 and bad_cursor.json() == {"errors": ["Invalid cursor"]}
    assert missing.status_code == 404 and missing.json() == {"errors": ["Not found"]}


def test_logs_added_later_are_found_by_a_search_over_their_window() -> None:
    with FakeDatadog(logs=50, events=0) as fake:
        seeded_end = START + dt.timedelta(seconds=50)
        at = int((seeded_end + dt.timedelta(minutes=5)).timestamp() * 1000)
        added = fake.state.add_logs(3, timestamp_ms=at, overrides={"service": "late-arrival"})
        with client(fake) as api:
            everything = list(LogsApi(api).list_logs_with_pagination(body=search_body(limit=20)))
            only_new = list(LogsApi(api).list_logs_with_pagination(
                body=LogsListRequest(filter=LogsQueryFilter(_from=seeded_end.isoformat(), to=DAY_END.isoformat()),
                                     page=LogsListRequestPage(limit=2))))
    assert len(everything) == 53
    assert sorted(log.id for log in only_new) == sorted(r["id"] for r in added)
    assert {log.attributes.service for log in only_new} == {"late-arrival"}


def test_events_v1_lists_newest_first_within_start_and_end(fake: FakeDatadog) -> None:
    with client(fake) as api:
        answer = EventsV1(api).list_events(start=EPOCH, end=EPOCH + 3600)
        low = EventsV1(api).list_events(start=EPOCH, end=EPOCH + 7200, priority="low")
    happened = [e.date_happened for e in answer.events]
    assert len(happened) == 61 and happened == sorted(happened, reverse=True)
    assert all(EPOCH <= t <= EPOCH + 3600 for t in happened)
    assert low.events and all(str(e.priority) == "low" for e in low.events)


def test_events_v2_pages_with_cursor(fake: FakeDatadog) -> None:
    with client(fake) as api:
        events = list(EventsV2(api).list_events_with_pagination(
            filter_from=str(EPOCH * 1000), filter_to=str(int(DAY_END.timestamp()) * 1000), page_limit=25))
    assert len(events) == EVENTS and len({e.id for e in events}) == EVENTS
    assert len(fake.requests.matching("/api/v2/events")) >= EVENTS // 25


def test_metrics_query_returns_series_with_pointlists(fake: FakeDatadog) -> None:
    with client(fake) as api:
        metrics = MetricsApi(api)
        active = metrics.list_active_metrics(_from=EPOCH)
        grouped = metrics.query_metrics(_from=EPOCH, to=EPOCH + 3600, query="avg:system.cpu.idle{env:prod} by {host}")
        unknown = metrics.query_metrics(_from=EPOCH, to=EPOCH + 3600, query="avg:no.such.metric{*}")
        with pytest.raises(ApiException) as bad:
            metrics.query_metrics(_from=EPOCH, to=EPOCH + 3600, query="avg:system.cpu.idle")
    assert "system.cpu.idle" in active.metrics
    assert grouped.series and all(s.scope.startswith("env:prod,host:") for s in grouped.series)
    points = grouped.series[0].pointlist
    assert len(points) == grouped.series[0].length == 181
    assert points[0].value[0] == EPOCH * 1000.0
    assert unknown.series == []
    assert bad.value.status == 400 and bad.value.body["errors"][0].startswith("Error parsing query")


def _view(message: str, **attributes: Any) -> SearchView:
    return SearchView(message, {"service": "web", "status": "error"}, ["env:prod", "team:sre"], attributes)


@pytest.mark.parametrize(("query", "expected"), [
    ("*", True), ("timeout", True), ("-timeout", False), ('"talking to"', True), ("service:web", True),
    ("service:(api OR web)", True), ("service:api OR env:prod", True), ("env:staging", False),
    ("@http.status_code:[500 TO 599]", True), ("@http.status_code:<500", False), ("@usr.email:*@example.com", True),
    ("NOT (team:sre AND status:error)", False), ("@usr.name:Zoë", True), ("@missing.path:x", False),
])
def test_search_syntax(query: str, expected: bool) -> None:
    view = _view("Timeout talking to db", http={"status_code": 503}, usr={"email": "a@example.com", "name": "Zoë"})
    assert compile_query(query)(view) is expected


def test_timeline_cursor_stays_right_when_records_arrive_between_pages() -> None:
    state = DatadogState(logs=10, events=0, log_spacing_ms=1000)
    base = state.start_ms
    first = list(state.logs.scan(base, base + 60_000))[:4]
    state.add_logs(1, timestamp_ms=base + 1500)   # behind the cursor: a later page must not return it
    state.add_logs(1, timestamp_ms=base + 5000)   # ahead: ties with seeded log 5, ordered after it
    rest = list(state.logs.scan(base, base + 60_000, after=first[-1][0]))
    keys = [k for k, _ in first + rest]
    assert keys == sorted(keys) and len(set(keys)) == len(keys) == 11
    down = [k for k, _ in state.logs.scan(base, base + 60_000, descending=True)]
    assert down == sorted(down, reverse=True) and len(down) == 12
