"""Google Analytics 4 (managed label GoogleAnalytics4) -> S3 through boto3 against the fake GA4 back end.

The cdk-appflow GA4 stack's profile (refresh-token grant with the constructs' `dummyAccessToken`) is
created as CloudFormation sends it: the placeholder token is refused, renewed at the token URL and
stored. Properties come from the Admin API's accountSummaries (two pages) and the core report's fields
from the Data API's metadata; the stack's flow runs over AppFlow's default range (30daysAgo..yesterday).
A two-page report reads through an expired token and a 429 with its date BETWEEN as the date range and
its dimension/metric filters pushed down; a scheduled incremental flow on `date` reads each day once; a
property the user lost access to ends the run `Error` with Google's message and no output. Expected rows
come from the fake's seeded events, never from Sluice.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.fakes.google_analytics4.data import Event
from tests.fakes.google_analytics4.server import FakeGoogleAnalytics4
from tests.fakes.google_analytics4.state import PROPERTY
from tests.integration.builders import unique
from tests.integration.cdk_appflow_stacks import Stack, stacks
from tests.support import flows
from tests.support.server import SluiceServer

CUSTOM = "CustomConnector"
SPEEDUP = 14400.0  # a virtual day every 6 s: GA4 flows run at most daily here
EPOCH = time.time()
REPORT = f"properties/{PROPERTY}/coreReport"
OTHER = "123456790"  # the property whose access is revoked


def virtual_now() -> float:
    """The scheduler's accelerated clock (SLUICE_SCHEDULER_SPEEDUP / EPOCH)."""
    return EPOCH + (time.time() - EPOCH) * SPEEDUP


def ga4_stack(suffix: str) -> Stack:
    [stack] = [s for s in stacks(suffix) if s.name == "ga4"]
    return stack


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGoogleAnalytics4]:
    # 60,000 events over 12 days: the paged report below has more than Sluice's 10,000-row page.
    with FakeGoogleAnalytics4.for_cdk_stack(events=60_000, days=12, extra_accounts=205) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeGoogleAnalytics4, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    env = {"SLUICE_ENDPOINT_URL_GOOGLEANALYTICS4": fake.url, **flows.scheduler_env(SPEEDUP, EPOCH)}
    with flows.saas_server(tmp_path_factory.mktemp("ga4"), secrets=[fake.state.client_secret], **env) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


@pytest.fixture(scope="module")
def stack(appflow: Any, sluice: SluiceServer, fake: FakeGoogleAnalytics4) -> Stack:
    """The cdk stack's profile and flow, created as CloudFormation would."""
    created = ga4_stack(unique("s"))
    for bucket in created.buckets:
        (sluice.data_dir / "s3" / bucket).mkdir(parents=True)
    fake.log.clear()
    appflow.create_connector_profile(**created.profiles[0])
    appflow.create_flow(**created.flow)
    return created


@pytest.fixture(scope="module")
def profile(stack: Stack) -> str:
    return str(stack.profiles[0]["connectorProfileName"])


def projection(*fields: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": list(fields), "connectorOperator": {CUSTOM: "PROJECTION"},
            "taskProperties": {}}


def mapped(*fields: str) -> list[dict[str, Any]]:
    return [{"taskType": "Map", "sourceFields": [f], "destinationField": f.replace(":", "_"),
             "connectorOperator": {CUSTOM: "NO_OP"}, "taskProperties": {}} for f in fields]


def condition(field: str, operator: str, data_type: str, **props: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {CUSTOM: operator},
            "taskProperties": {"DATA_TYPE": data_type, **props}}


def flow(name: str, profile: str, bucket: str, tasks: list[dict[str, Any]], entity: str = REPORT,
         trigger: dict[str, Any] | None = None, **source: Any) -> dict[str, Any]:
    return {"flowName": name, "triggerConfig": trigger or {"triggerType": "OnDemand"},
            "sourceFlowConfig": {"connectorType": CUSTOM, "apiVersion": "v1beta", "connectorProfileName": profile,
                                 "sourceConnectorProperties": {CUSTOM: {"entityName": entity}}, **source},
            "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
            "tasks": tasks}


def day_of(e: Event) -> datetime:
    return datetime.strptime(e.values["date"], "%Y%m%d").replace(tzinfo=UTC)


def report_bodies(fake: FakeGoogleAnalytics4, since: int = 0) -> list[dict[str, Any]]:
    return [json.loads(c["query"]["body"][0]) for c in fake.log.matching(":runReport")[since:]]


def test_the_cdk_profile_lists_properties_and_describes_the_core_report(
        appflow: Any, fake: FakeGoogleAnalytics4, stack: Stack, profile: str) -> None:
    # The stack's placeholder access token was refused (401) and renewed once at the token URL.
    assert len(fake.log.matching("/token")) == 1
    summaries = fake.log.matching("/v1beta/accountSummaries")
    answer = appflow.list_connector_entities(connectorProfileName=profile, connectorType=CUSTOM)
    entities = {e["name"]: e for group in answer["connectorEntityMap"].values() for e in group}
    assert set(entities) == {f"properties/{PROPERTY}", f"properties/{OTHER}", "properties/222333444"}
    assert entities[f"properties/{PROPERTY}"]["hasNestedEntities"] is True
    assert entities[f"properties/{PROPERTY}"]["label"] == "Acme Web » GA4 (Acme Ünïcode GmbH)"
    pages = fake.log.matching("/v1beta/accountSummaries")[len(summaries):]
    assert [p["query"].get("pageToken") for p in pages] == [None, ["200"]]  # 208 accounts, 200 a page
    reports = appflow.list_connector_entities(connectorProfileName=profile, connectorType=CUSTOM,
                                              entitiesPath=f"properties/{PROPERTY}")
    assert [e["name"] for group in reports["connectorEntityMap"].values() for e in group] == [
        REPORT, f"properties/{PROPERTY}/realtimeReport"]
    fields = appflow.describe_connector_entity(connectorProfileName=profile, connectorType=CUSTOM,
                                               connectorEntityName=REPORT)["connectorEntityFields"]
    by_name = {f["identifier"]: f for f in fields}
    assert {"achievementId", "adFormat", "adSourceName", "customEvent:article_author"} <= set(by_name)
    assert by_name["date"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert by_name["date"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "date"
    assert by_name["sessions"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "integer"
    assert by_name["purchaseRevenue"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "double"
    assert "TYPE_CURRENCY" in by_name["purchaseRevenue"]["description"]
    assert by_name["country"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == [
        "EQUAL_TO", "NOT_EQUAL_TO", "CONTAINS"]


def test_the_cdk_flow_reads_the_default_range(appflow: Any, sluice: SluiceServer, fake: FakeGoogleAnalytics4,
                                              stack: Stack) -> None:
    name, bucket = stack.flow["flowName"], stack.buckets[0]
    since = len(fake.log.matching(":runReport"))
    record = flows.start_and_wait(appflow, name, timeout=120)
    assert record["executionStatus"] == "Successful", record
    [body] = report_bodies(fake, since)
    assert body["dateRanges"] == [{"startDate": "30daysAgo", "endDate": "yesterday"}]
    assert [d["name"] for d in body["dimensions"]] == ["achievementId", "adFormat", "adSourceName"]
    assert body["metrics"] == []
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    expected = {(e.values["achievementId"], e.values["adFormat"], e.values["adSourceName"])
                for e in fake.state.events(PROPERTY) if today - timedelta(days=30) <= day_of(e) < today}
    rows = flows.json_lines(sluice.data_dir / "s3" / bucket)
    assert Counter((r["achievementId"], r["adFormat"], r["adSourceName"]) for r in rows) == Counter(
        {k: 1 for k in expected})
    assert ("(not set)", "Rewarded", "AdMob Network") in expected


def test_a_two_page_report_through_an_expired_token_and_a_429_lands_every_row_once(
        appflow: Any, sluice: SluiceServer, fake: FakeGoogleAnalytics4, profile: str) -> None:
    state = fake.state
    first = (datetime.fromtimestamp(state.start, UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                                                   microsecond=0)
    last = (datetime.fromtimestamp(state.end, UTC) - timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                                                microsecond=0)
    dims = ("date", "pagePath", "city", "deviceCategory", "browser", "sessionSource")
    metrics = ("eventCount", "sessions", "purchaseRevenue")
    bucket, name = flows.new_bucket(sluice, "ga4"), unique("ga4-report")
    appflow.create_flow(**flow(name, profile, bucket, [
        projection(*dims, *metrics),
        condition("date", "BETWEEN", "date", LOWER_BOUND=f"{first:%Y-%m-%d}", UPPER_BOUND=f"{last:%Y-%m-%d}"),
        condition("city", "NOT_EQUAL_TO", "string", VALUE="(not set)"),
        condition("eventCount", "GREATER_THAN", "integer", VALUE="0"),
        *mapped(*dims, *metrics)]))
    state.expire_tokens()  # the stored access token is refused: renewed, then the run goes on
    state.throttle_next(1, after=1, path=f"/v1beta/properties/{PROPERTY}:runReport")  # page two, first try
    tokens = len(fake.log.matching("/token"))
    since = len(fake.log.matching(":runReport"))
    record = flows.start_and_wait(appflow, name, timeout=180)
    assert record["executionStatus"] == "Successful", record

    groups: dict[tuple[str, ...], list[Any]] = defaultdict(lambda: [0, set(), 0.0])
    for e in state.events(PROPERTY):
        if first <= day_of(e) <= last and e.values["city"] != "(not set)":
            group = groups[tuple(e.values[d] for d in dims)]
            group[0] += 1
            group[1].add(e.session)
            group[2] += e.revenue
    rows = flows.published_rows(sluice, bucket)
    landed = Counter((f"{r['date']:%Y%m%d}", *(r[d] for d in dims[1:])) for r in rows)
    assert landed == Counter({k: 1 for k in groups}) and len(groups) > 10_000
    for r in rows[:300]:
        count, sessions, revenue = groups[(f"{r['date']:%Y%m%d}", *(r[d] for d in dims[1:]))]
        assert (r["eventCount"], r["sessions"]) == (count, len(sessions))
        assert r["purchaseRevenue"] == pytest.approx(revenue, abs=1e-6)

    bodies = report_bodies(fake, since)
    assert len(bodies) == 3  # page one, the 429, page two again
    assert bodies[0]["dateRanges"] == [{"startDate": f"{first:%Y-%m-%d}", "endDate": f"{last:%Y-%m-%d}"}]
    assert bodies[0]["dimensionFilter"] == {"notExpression": {"filter": {"fieldName": "city", "stringFilter": {
        "matchType": "EXACT", "value": "(not set)", "caseSensitive": True}}}}
    assert bodies[0]["metricFilter"] == {"filter": {"fieldName": "eventCount", "numericFilter": {
        "operation": "GREATER_THAN", "value": {"int64Value": "0"}}}}
    assert "offset" not in bodies[0] and bodies[1] == bodies[2] and bodies[2]["offset"] == "10000"
    assert bodies[0]["limit"] == "10000" and bodies[0]["returnPropertyQuota"] is True
    assert len(fake.log.matching("/token")) == tokens + 1  # the expired token, renewed once


def test_a_scheduled_incremental_flow_reads_each_day_once(appflow: Any, sluice: SluiceServer,
                                                         fake: FakeGoogleAnalytics4, profile: str) -> None:
    state = fake.state
    name, bucket = unique("ga4-inc"), flows.new_bucket(sluice, "ga4")
    midnight = datetime.fromtimestamp(virtual_now(), UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start_from = (midnight - timedelta(days=3, hours=1)).timestamp()
    dims = ("date", "pagePath")
    since = len(fake.log.matching(":runReport"))
    appflow.create_flow(**flow(name, profile, bucket, [projection(*dims, "eventCount"), *mapped(*dims, "eventCount")],
                               trigger=flows.incremental_schedule(virtual_now() + 60, start_from, "rate(1days)"),
                               incrementalPullConfig={"datetimeTypeFieldName": "date"}))
    appflow.start_flow(flowName=name)

    def landed() -> Counter[tuple[str, str]]:
        return Counter((f"{r['date']:%Y%m%d}", r["pagePath"]) for r in flows.published_rows(sluice, bucket))

    def keys(events: list[Event]) -> set[tuple[str, str]]:
        return {(e.values["date"], e.values["pagePath"]) for e in events}

    seeded = [e for e in state.events(PROPERTY) if day_of(e).timestamp() > start_from]
    flows.wait_for(lambda: set(landed()) >= keys(seeded), 60)
    later_day = datetime.fromtimestamp(virtual_now(), UTC) + timedelta(days=1)
    later = state.add_events(PROPERTY, later_day.timestamp(), 5)
    flows.wait_for(lambda: set(landed()) >= keys(later), 60)
    appflow.stop_flow(flowName=name)
    records = flows.wait_until_idle(appflow, name)
    assert {r["executionStatus"] for r in records} == {"Successful"}
    ranges = [b["dateRanges"][0] for b in report_bodies(fake, since)]
    assert ranges[0]["startDate"] == f"{midnight - timedelta(days=3):%Y-%m-%d}"  # the first midnight after start
    # Each run asks for the days after the previous run's: none twice, none skipped.
    for a, b in itertools.pairwise(ranges):
        previous_end = datetime.strptime(a["endDate"], "%Y-%m-%d")
        assert b["startDate"] == f"{previous_end + timedelta(days=1):%Y-%m-%d}"
    last_day = ranges[-1]["endDate"].replace("-", "")
    expected = {k for k in keys(list(state.events(PROPERTY))) if k[0] <= last_day
                and datetime.strptime(k[0], "%Y%m%d").replace(tzinfo=UTC).timestamp() > start_from}
    assert landed() == Counter({k: 1 for k in expected})


def test_a_property_the_user_lost_ends_the_run_error_with_googles_message(
        appflow: Any, sluice: SluiceServer, fake: FakeGoogleAnalytics4, profile: str) -> None:
    bucket, name = flows.new_bucket(sluice, "ga4"), unique("ga4-denied")
    appflow.create_flow(**flow(name, profile, bucket, [projection("country", "sessions"),
                                                       *mapped("country", "sessions")],
                               entity=f"properties/{OTHER}/coreReport"))
    fake.state.revoke(OTHER)
    try:
        record = flows.start_and_wait(appflow, name, timeout=120)
    finally:
        fake.state.revoke(OTHER, revoked=False)
    assert record["executionStatus"] == "Error", record
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "User does not have sufficient permissions for this property" in message
    assert "PERMISSION_DENIED" in message and fake.state.client_secret not in message
    assert flows.published_rows(sluice, bucket) == []


def test_a_quota_google_keeps_refusing_ends_the_run_error_after_the_retries(
        appflow: Any, sluice: SluiceServer, fake: FakeGoogleAnalytics4, profile: str) -> None:
    bucket, name = flows.new_bucket(sluice, "ga4"), unique("ga4-quota")
    appflow.create_flow(**flow(name, profile, bucket, [projection("country", "sessions"),
                                                       *mapped("country", "sessions")],
                               entity="properties/222333444/coreReport"))
    since = len(fake.log.matching(":runReport"))
    fake.state.throttle_next(50, path="/v1beta/properties/222333444:runReport")
    try:
        record = flows.start_and_wait(appflow, name, timeout=120)
    finally:
        fake.state.throttles = type(fake.state.throttles)()  # drop what is left of the rule
    assert record["executionStatus"] == "Error", record
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "RESOURCE_EXHAUSTED" in message and "Exhausted property tokens per hour" in message
    assert len(fake.log.matching(":runReport")) - since == 5  # SLUICE_REST_MAX_ATTEMPTS' default
    assert flows.published_rows(sluice, bucket) == []


def test_a_revoked_refresh_token_ends_the_run_error_with_googles_reason(
        appflow: Any, sluice: SluiceServer, fake: FakeGoogleAnalytics4, profile: str) -> None:
    bucket, name = flows.new_bucket(sluice, "ga4"), unique("ga4-revoked")
    appflow.create_flow(**flow(name, profile, bucket, [projection("country", "eventCount"),
                                                       *mapped("country", "eventCount")],
                               entity="properties/222333444/coreReport"))
    state = fake.state
    kept = set(state.refresh_tokens)
    state.refresh_tokens.clear()  # the user revoked Sluice's access in their Google account
    state.expire_tokens()
    try:
        record = flows.start_and_wait(appflow, name, timeout=120)
    finally:
        state.refresh_tokens.update(kept)
    assert record["executionStatus"] == "Error", record
    message = record["executionResult"]["errorInfo"]["executionMessage"]
    assert "Token has been expired or revoked" in message
    assert state.refresh_token not in message and state.client_secret not in message
    assert flows.published_rows(sluice, bucket) == []


def test_a_realtime_report_reads_the_last_30_minutes(appflow: Any, sluice: SluiceServer,
                                                     fake: FakeGoogleAnalytics4, profile: str) -> None:
    entity = "properties/222333444/realtimeReport"
    fields = appflow.describe_connector_entity(connectorProfileName=profile, connectorType=CUSTOM,
                                               connectorEntityName=entity)["connectorEntityFields"]
    assert {"minutesAgo", "unifiedScreenName", "keyEvents"} <= {f["identifier"] for f in fields}
    now = time.time()
    added = fake.state.add_events("222333444", now - 120, 30)
    bucket, name = flows.new_bucket(sluice, "ga4"), unique("ga4-realtime")
    columns = ("countryId", "eventName", "eventCount", "activeUsers")
    since = len(fake.log.matching(":runRealtimeReport"))
    real_clock = fake.state.clock
    fake.state.clock = lambda: now  # Google's "now" for the report, so the expected rows are exact
    try:
        record, rows = flows.run_to_s3(appflow, sluice, flow(
            name, profile, bucket, [projection(*columns), condition("countryId", "NOT_EQUAL_TO", "string", VALUE="US"),
                                    *mapped(*columns)], entity=entity))
    finally:
        fake.state.clock = real_clock
    assert record["executionStatus"] == "Successful", record
    recent = [e for e in fake.state.events("222333444")
              if e.time <= now and (now - e.time) // 60 <= 29 and e.values["countryId"] != "US"]
    expected = Counter((e.values["countryId"], e.values["eventName"]) for e in recent)
    assert {(r["countryId"], r["eventName"]): r["eventCount"] for r in rows} == dict(expected)
    assert all(e in recent for e in added if e.values["countryId"] != "US")  # two minutes ago: inside
    bodies = [json.loads(c["query"]["body"][0]) for c in fake.log.matching(":runRealtimeReport")[since:]]
    body = bodies[-1]  # one report (asked again only after a token renewal)
    assert all(b == body for b in bodies)
    assert body["limit"] == "250000" and "offset" not in body and "dateRanges" not in body
    assert body["dimensionFilter"] == {"notExpression": {"filter": {"fieldName": "countryId", "stringFilter": {
        "matchType": "EXACT", "value": "US", "caseSensitive": True}}}}
