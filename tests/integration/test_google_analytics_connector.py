"""Google Analytics (Universal Analytics) -> S3 through boto3 against the fake Google back end (https, test CA).

A profile's OAuth client is checked (a wrong secret is refused; an authorization code is exchanged once);
accounts, properties and views are nested entities and a view's fields come from the Metadata API and the
property's custom definitions; a flow reads a two-page report through an expired token (refreshed) and a 429,
with its BETWEEN on ga:date as the report's date range, lands every row once in Parquet and writes the
sampling note and Universal Analytics' shutdown to the run log; a scheduled incremental flow on ga:dateHour
reads only new hours. Expected rows come from the fake, never from Sluice.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.fakes.google_analytics.backend import ACCOUNT, PROPERTY
from tests.fakes.google_analytics.server import FakeGoogleAnalytics
from tests.integration.builders import raises, unique
from tests.support import flows
from tests.support.server import ACCESS_KEY, REGION, SECRET_KEY, SluiceServer

SPEEDUP = 14400.0  # a virtual day every 6 s: Google Analytics flows run at most daily
EPOCH = time.time()
VIEW = f"{ACCOUNT}/{PROPERTY}/98765432"
HOUR, PAGE, SESSIONS = "ga:dateHour|DIMENSION", "ga:pagePath|DIMENSION", "ga:sessions|METRIC"


def virtual_now() -> float:
    """The scheduler's accelerated clock (SLUICE_SCHEDULER_SPEEDUP / EPOCH)."""
    return EPOCH + (time.time() - EPOCH) * SPEEDUP


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGoogleAnalytics]:
    # 12,000 rows over 48 hours: two pages of Google's 10,000.
    with FakeGoogleAnalytics(hours=48, rows_per_hour=250) as server:
        yield server


@pytest.fixture(scope="module")
def sluice(fake: FakeGoogleAnalytics, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    env = {"SLUICE_ENDPOINT_URL_GOOGLEANALYTICS": fake.url, **flows.scheduler_env(SPEEDUP, EPOCH)}
    with flows.saas_server(tmp_path_factory.mktemp("ga"), secrets=[fake.state.client_secret], **env) as server:
        yield server


@pytest.fixture(scope="module")
def appflow(sluice: SluiceServer) -> Any:
    return sluice.client()


def profile_request(name: str, fake: FakeGoogleAnalytics, **credentials: Any) -> dict[str, Any]:
    values = {"clientId": fake.state.client_id, "clientSecret": fake.state.client_secret, **credentials}
    return {"connectorProfileName": name, "connectorType": "Googleanalytics", "connectionMode": "Public",
            "connectorProfileConfig": {"connectorProfileProperties": {"GoogleAnalytics": {}},
                                       "connectorProfileCredentials": {"GoogleAnalytics": values}}}


@pytest.fixture(scope="module")
def profile(appflow: Any, fake: FakeGoogleAnalytics) -> str:
    name = unique("ga")
    appflow.create_connector_profile(**profile_request(name, fake, refreshToken=fake.state.refresh_token))
    return name


def projection(*fields: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": list(fields),
            "connectorOperator": {"GoogleAnalytics": "PROJECTION"}, "taskProperties": {}}


def mapped(*fields: str) -> list[dict[str, Any]]:
    return [{"taskType": "Map", "sourceFields": [f], "destinationField": f.split("|")[0].replace("ga:", ""),
             "taskProperties": {}} for f in fields]


def between(field: str, low: str, high: str) -> dict[str, Any]:
    return {"taskType": "Filter", "sourceFields": [field], "connectorOperator": {"GoogleAnalytics": "BETWEEN"},
            "taskProperties": {"DATA_TYPE": "date", "LOWER_BOUND": low, "UPPER_BOUND": high}}


def flow(name: str, profile: str, bucket: str, tasks: list[dict[str, Any]], trigger: dict[str, Any] | None = None,
         view: str = VIEW, **source: Any) -> dict[str, Any]:
    return {"flowName": name, "triggerConfig": trigger or {"triggerType": "OnDemand"},
            "sourceFlowConfig": {"connectorType": "Googleanalytics", "connectorProfileName": profile,
                                 "sourceConnectorProperties": {"GoogleAnalytics": {"object": view}}, **source},
            "destinationFlowConfigList": flows.s3_parquet_destination(bucket, preserveSourceDataTyping=True),
            "tasks": tasks}


def names(answer: dict[str, Any]) -> dict[str, bool]:
    return {e["name"]: e["hasNestedEntities"] for group in answer["connectorEntityMap"].values() for e in group}


def run_events(server: SluiceServer, flow_name: str, execution_id: str) -> list[dict[str, Any]]:
    """The run's log through /sluice/v1, signed as boto3 would sign it."""
    url = f"{server.url}/sluice/v1/flows/{quote(flow_name)}/executions/{quote(execution_id)}/events?after=0&limit=500"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "appflow", REGION).add_auth(request)
    answer = httpx.get(url, headers=dict(request.headers.items()), timeout=30)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["events"])


def test_profiles_entities_and_fields(appflow: Any, sluice: SluiceServer, fake: FakeGoogleAnalytics,
                                      profile: str) -> None:
    with raises(appflow, "ConnectorAuthenticationException", 401, "OAuth client was not found"):
        appflow.create_connector_profile(**profile_request(unique("ga-bad"), fake, clientSecret="wrong",
                                                           refreshToken=fake.state.refresh_token))
    coded = unique("ga-code")
    appflow.create_connector_profile(**profile_request(coded, fake, oAuthRequest={
        "authCode": fake.state.new_code(), "redirectUri": "https://us-east-1.console.aws.amazon.com/appflow/oauth"}))
    assert names(appflow.list_connector_entities(connectorProfileName=coded, connectorType="Googleanalytics")) == {
        ACCOUNT: True, "87654321": True}
    properties = appflow.list_connector_entities(connectorProfileName=profile, connectorType="Googleanalytics",
                                                 entitiesPath=ACCOUNT)
    assert names(properties) == {f"{ACCOUNT}/{PROPERTY}": True, f"{ACCOUNT}/UA-12345678-2": True}
    views = appflow.list_connector_entities(connectorProfileName=profile, connectorType="Googleanalytics",
                                            entitiesPath=f"{ACCOUNT}/{PROPERTY}")
    assert names(views) == {VIEW: False, f"{ACCOUNT}/{PROPERTY}/98765433": False}
    fields = appflow.describe_connector_entity(connectorProfileName=profile, connectorType="Googleanalytics",
                                               connectorEntityName=VIEW)["connectorEntityFields"]
    by_name = {f["identifier"]: f for f in fields}
    assert {SESSIONS, PAGE, "ga:bounceRate|METRIC", "ga:metric1|METRIC"} <= set(by_name)
    assert "ga:visits|METRIC" not in by_name and not any("XX" in n for n in by_name)  # deprecated, templated
    assert by_name["ga:dimension1|DIMENSION"]["label"] == "Auteur" and "ga:dimension2|DIMENSION" not in by_name
    assert by_name[HOUR]["sourceProperties"]["isTimestampFieldForIncrementalQueries"] is True
    assert by_name["ga:date|DIMENSION"]["supportedFieldTypeDetails"]["v1"]["filterOperators"] == ["BETWEEN"]
    with raises(appflow, "ValidationException", 400, "ga:noSuch|METRIC"):
        appflow.create_flow(**flow(unique("ga-bad-field"), profile, flows.new_bucket(sluice, "gab"),
                                   [projection(PAGE, "ga:noSuch|METRIC"), *mapped(PAGE, "ga:noSuch|METRIC")]))


def test_two_pages_through_an_expired_token_and_a_429_land_every_row_once(
        appflow: Any, sluice: SluiceServer, fake: FakeGoogleAnalytics, profile: str) -> None:
    state = fake.state
    bucket, name = flows.new_bucket(sluice, "gab"), unique("ga-report")
    first, last = state.hour_of(0), state.hour_of(state.hours - 1)
    columns = (HOUR, PAGE, SESSIONS, "ga:bounceRate|METRIC", "ga:dimension1|DIMENSION")
    appflow.create_flow(**flow(name, profile, bucket, [
        projection(*columns), between("ga:date|DIMENSION", f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}"),
        *mapped(*columns)]))
    state.expire_tokens()  # the profile's stored access token is refused: refreshed, then the run goes on
    state.throttle_next(1, after=1)  # the second page's first try
    state.sampling = (250_000, 1_000_000)
    fake.log.clear()
    try:
        started = appflow.start_flow(flowName=name)["executionId"]
        record = flows.wait_for_run(appflow, name, started, timeout=120)
    finally:
        state.sampling = None
    assert record["executionStatus"] == "Successful", record
    expected = Counter((r["ga:dateHour"], r["ga:pagePath"]) for r in state.all_rows("98765432"))
    rows = flows.published_rows(sluice, bucket)
    landed = Counter((r["dateHour"].strftime("%Y%m%d%H"), r["pagePath"]) for r in rows)
    assert landed == expected and len(expected) == 12_000
    sessions = {(r["ga:dateHour"], r["ga:pagePath"]): r["ga:sessions"] for r in state.all_rows("98765432")}
    assert all(r["sessions"] == sessions[(r["dateHour"].strftime("%Y%m%d%H"), r["pagePath"])] for r in rows[:200])
    calls = fake.log.matching("/v4/reports:batchGet")
    assert len(calls) == 3  # page one, the 429, page two
    bodies = [json.loads(c["query"]["body"][0])["reportRequests"][0] for c in calls]
    assert bodies[0]["dateRanges"] == [{"startDate": f"{first:%Y-%m-%d}", "endDate": f"{last:%Y-%m-%d}"}]
    assert [d["name"] for d in bodies[0]["dimensions"]] == ["ga:dateHour", "ga:pagePath", "ga:dimension1",
                                                           "ga:date"]  # the filtered field is read too
    assert "pageToken" not in bodies[0] and bodies[1] == bodies[2] and bodies[2]["pageToken"] == "10000"
    assert len(fake.log.matching("/token")) == 1  # the expired token, refreshed once
    log = " ".join(e["message"] for e in run_events(sluice, name, started))
    assert "sampled the report of view 98765432" in log and "25.0%" in log
    assert "2023-07-01" in log and "2024-07-01" in log and "Google Analytics 4" in log


def test_a_scheduled_incremental_flow_reads_only_new_hours(appflow: Any, sluice: SluiceServer,
                                                           fake: FakeGoogleAnalytics, profile: str) -> None:
    state = fake.state
    name, bucket = unique("ga-inc"), flows.new_bucket(sluice, "gab")
    now = datetime.fromtimestamp(virtual_now(), UTC).replace(minute=0, second=0, microsecond=0)
    start_from = (now - timedelta(hours=6)).timestamp()
    earlier = state.add_rows("98765433", now - timedelta(hours=3), 4)  # in the first window
    appflow.create_flow(**flow(name, profile, bucket, [projection(HOUR, PAGE, SESSIONS), *mapped(HOUR, PAGE)],
                               trigger=flows.incremental_schedule(virtual_now() + 60, start_from, "rate(1days)"),
                               view=f"{ACCOUNT}/{PROPERTY}/98765433",
                               incrementalPullConfig={"datetimeTypeFieldName": HOUR}))
    fake.log.clear()
    appflow.start_flow(flowName=name)

    def landed() -> Counter[tuple[str, str]]:
        rows = flows.published_rows(sluice, bucket)
        return Counter((r["dateHour"].strftime("%Y%m%d%H"), r["pagePath"]) for r in rows)

    def keys(rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
        return {(r["ga:dateHour"], r["ga:pagePath"]) for r in rows}

    flows.wait_for(lambda: set(landed()) >= keys(earlier), 60)
    hour_now = datetime.fromtimestamp(virtual_now(), UTC).replace(minute=0, second=0, microsecond=0)
    later = state.add_rows("98765433", hour_now + timedelta(hours=2), 3)
    flows.wait_for(lambda: set(landed()) >= keys(earlier + later), 60)
    appflow.stop_flow(flowName=name)
    records = flows.wait_until_idle(appflow, name)
    expected = {k for k in keys(state.all_rows("98765433"))
                if datetime.strptime(k[0], "%Y%m%d%H").replace(tzinfo=UTC).timestamp() > start_from}
    assert keys(earlier + later) <= expected
    assert landed() == Counter({k: 1 for k in expected})
    assert {r["executionStatus"] for r in records} == {"Successful"}
    ranges = [json.loads(c["query"]["body"][0])["reportRequests"][0]["dateRanges"][0]
              for c in fake.log.matching("/v4/reports:batchGet")]
    assert ranges[0]["startDate"] == datetime.fromtimestamp(start_from, UTC).strftime("%Y-%m-%d")
    # Each window asks for its own days only: it starts on the day the window before it ended.
    assert len(ranges) >= 2 and all(b["startDate"] == a["endDate"] < b["endDate"]
                                    for a, b in itertools.pairwise(ranges))
