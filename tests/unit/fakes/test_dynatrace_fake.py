"""The fake Dynatrace environment answers as the Environment API v2 docs say, driven with `requests`.

Dynatrace has no maintained official Python SDK for API v2; its docs show plain HTTP calls, so these tests use
`requests` (with urllib3's Retry for 429s) the way a script following those docs would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tests.fakes.dynatrace.environment import Environment
from tests.fakes.dynatrace.server import FakeDynatrace
from tests.fakes.dynatrace.timeframe import parse_time
from tests.support.tls import tls_env


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDynatrace]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in tls_env().items():
            mp.setenv(key, value)  # requests reads REQUESTS_CA_BUNDLE, as Sluice's clients do
        with FakeDynatrace(problems=250, events=180, entities=24) as server:
            yield server


@pytest.fixture
def api(fake: FakeDynatrace) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Api-Token {fake.token}"
        yield session


def get(session: requests.Session, fake: FakeDynatrace, path: str, **params: Any) -> requests.Response:
    return session.get(f"{fake.url}/api/v2/{path}", params=params, timeout=30)


def pages(session: requests.Session, fake: FakeDynatrace, path: str, key: str, **params: Any) -> list[dict]:
    """Every record of a list, following nextPageKey with nothing else, as the docs require."""
    body = get(session, fake, path, **params).json()
    records = list(body[key])
    while body["nextPageKey"]:
        body = get(session, fake, path, nextPageKey=body["nextPageKey"]).json()
        records += body[key]
    return records


def test_problems_page_through_every_record_once(fake: FakeDynatrace, api: requests.Session) -> None:
    first = get(api, fake, "problems", **{"from": "now-6h", "pageSize": 40}).json()
    assert set(first) >= {"totalCount", "pageSize", "nextPageKey", "problems"}
    assert first["pageSize"] == 40 and len(first["problems"]) == 40 and first["totalCount"] == 250
    records = pages(api, fake, "problems", "problems", **{"from": "now-6h", "pageSize": 40})
    assert len(records) == 250 == len({p["problemId"] for p in records})
    starts = [p["startTime"] for p in records]
    assert starts == sorted(starts, reverse=True)  # newest first when no sort is given
    ascending = pages(api, fake, "problems", "problems", **{"from": "now-6h", "pageSize": 100, "sort": "startTime"})
    assert [p["problemId"] for p in ascending] == [p["problemId"] for p in reversed(records)]


def test_problem_records_are_nested_with_nulls_and_unicode(fake: FakeDynatrace, api: requests.Session) -> None:
    records = pages(api, fake, "problems", "problems", **{"from": "now-6h", "pageSize": 500})
    sample = records[0]
    assert set(sample) >= {"problemId", "displayId", "title", "impactLevel", "severityLevel", "status",
                           "affectedEntities", "impactedEntities", "rootCauseEntity", "managementZones",
                           "problemFilters", "entityTags", "startTime", "endTime"}
    assert "evidenceDetails" not in sample
    assert all(set(s) == {"entityId", "name"} and set(s["entityId"]) == {"id", "type"}
               for p in records for s in p["impactedEntities"])
    assert any(p["rootCauseEntity"] is None for p in records)
    assert any(p["managementZones"] == [] for p in records) and any(p["managementZones"] for p in records)
    assert any(not p["title"].isascii() for p in records)
    assert {p["status"] for p in records} == {"OPEN", "CLOSED"}
    assert all((p["endTime"] == -1) == (p["status"] == "OPEN") for p in records)


def test_optional_problem_fields_are_added_per_page(fake: FakeDynatrace, api: requests.Session) -> None:
    body = get(api, fake, "problems", **{"from": "now-6h", "pageSize": 5,
                                         "fields": "evidenceDetails,impactAnalysis"}).json()
    problem = body["problems"][0]
    assert problem["evidenceDetails"]["totalCount"] == len(problem["evidenceDetails"]["details"])
    assert {"impactType", "impactedEntity", "estimatedAffectedUsers"} <= set(problem["impactAnalysis"]["impacts"][0])
    # `fields` is the one parameter allowed beside nextPageKey, and it must be repeated for each page.
    second = get(api, fake, "problems", nextPageKey=body["nextPageKey"], fields="recentComments").json()
    assert "recentComments" in second["problems"][0] and "evidenceDetails" not in second["problems"][0]
    bad = get(api, fake, "problems", fields="everything")
    assert bad.status_code == 400 and bad.json()["error"]["constraintViolations"][0]["path"] == "fields"


def test_next_page_key_must_come_alone(fake: FakeDynatrace, api: requests.Session) -> None:
    key = get(api, fake, "problems", **{"from": "now-6h", "pageSize": 10}).json()["nextPageKey"]
    refused = get(api, fake, "problems", nextPageKey=key, pageSize=10)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == 400 and error["constraintViolations"][0]["parameterLocation"] == "QUERY"
    assert get(api, fake, "events", nextPageKey="not-a-key").status_code == 400


def test_page_size_limits(fake: FakeDynatrace, api: requests.Session) -> None:
    assert get(api, fake, "problems", pageSize=501).status_code == 400
    assert get(api, fake, "events", pageSize=1001).status_code == 400
    assert get(api, fake, "events", pageSize=1000).status_code == 200
    assert get(api, fake, "problems").json()["pageSize"] == 50
    assert get(api, fake, "events").json()["pageSize"] == 100


def test_timeframe_formats_select_the_same_records(fake: FakeDynatrace, api: requests.Session) -> None:
    now = fake.state.now_ms()
    start = now - 3 * 3_600_000
    iso = dt.datetime.fromtimestamp(start / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    by_epoch = get(api, fake, "problems", **{"from": str(start), "to": str(now)}).json()["totalCount"]
    by_iso = get(api, fake, "problems", **{"from": iso, "to": str(now)}).json()["totalCount"]
    assert by_epoch == by_iso > 0
    default = get(api, fake, "problems").json()["totalCount"]
    assert 0 < default < by_epoch  # the default timeframe is now-2h
    bad = get(api, fake, "problems", **{"from": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"]["constraintViolations"][0]["path"] == "from"
    assert get(api, fake, "problems", **{"from": "now-1h", "to": "now-2h"}).status_code == 400


def test_relative_timeframes_follow_the_documented_syntax() -> None:
    now = int(dt.datetime(2024, 3, 14, 15, 9, 26, tzinfo=dt.UTC).timestamp() * 1000)

    def at(text: str) -> dt.datetime:
        return dt.datetime.fromtimestamp(parse_time(text, now) / 1000, dt.UTC)

    assert at("now-2h") == dt.datetime(2024, 3, 14, 13, 9, 26, tzinfo=dt.UTC)
    assert at("now-1d/d") == dt.datetime(2024, 3, 13, tzinfo=dt.UTC)
    assert at("now/w") == dt.datetime(2024, 3, 11, tzinfo=dt.UTC)  # weeks start on Monday
    assert at("now-1M") == dt.datetime(2024, 2, 14, 15, 9, 26, tzinfo=dt.UTC)
    assert at("2021-01-25T05:57:01.123+01:00") == dt.datetime(2021, 1, 25, 4, 57, 1, 123000, tzinfo=dt.UTC)
    assert at("2021-01-25 05:57") == dt.datetime(2021, 1, 25, 5, 57, tzinfo=dt.UTC)
    with pytest.raises(ValueError):
        parse_time("now-2x", now)


def test_problem_selector_and_entity_selector(fake: FakeDynatrace, api: requests.Session) -> None:
    window = {"from": "now-6h", "pageSize": 500}
    open_ones = pages(api, fake, "problems", "problems", problemSelector='status("open")', **window)
    assert open_ones and all(p["status"] == "OPEN" for p in open_ones)
    errors = pages(api, fake, "problems", "problems", problemSelector='severityLevel("ERROR","AVAILABILITY")',
                   **window)
    assert errors and {p["severityLevel"] for p in errors} <= {"ERROR", "AVAILABILITY"}
    zone = pages(api, fake, "problems", "problems", problemSelector='managementZones("Zahlungsverkehr ⚙")', **window)
    assert zone and all(any(mz["name"] == "Zahlungsverkehr ⚙" for mz in p["managementZones"]) for p in zone)
    services = pages(api, fake, "problems", "problems", entitySelector='type("SERVICE")', **window)
    assert services and all(any(s["entityId"]["type"] == "SERVICE" for s in p["affectedEntities"] +
                                p["impactedEntities"]) for p in services)
    unknown = get(api, fake, "problems", problemSelector='colour("red")')
    assert unknown.status_code == 400 and "colour" in unknown.json()["error"]["constraintViolations"][0]["message"]


def test_events_list_with_selector(fake: FakeDynatrace, api: requests.Session) -> None:
    events = pages(api, fake, "events", "events", **{"from": "now-4h", "pageSize": 25})
    assert len(events) == 180 == len({e["eventId"] for e in events})
    assert any(e["endTime"] is None for e in events) and any(e["correlationId"] is None for e in events)
    deployments = pages(api, fake, "events", "events", eventSelector='eventType("CUSTOM_DEPLOYMENT")',
                        **{"from": "now-4h"})
    assert deployments and all(e["eventType"] == "CUSTOM_DEPLOYMENT" for e in deployments)
    assert any(p["key"] == "Änderungsnummer" for p in deployments[0]["properties"])
    two = get(api, fake, "events", eventSelector='eventType("A"),eventType("B","C")')
    assert two.status_code == 400  # only one event type per selector criterion


def test_auth_failures_use_the_error_envelope(fake: FakeDynatrace) -> None:
    url = f"{fake.url}/api/v2/problems"
    missing = requests.get(url, timeout=30)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == 401
    wrong = requests.get(url, headers={"Authorization": "Api-Token dt0c01.NOPE.NOPE"}, timeout=30)
    assert wrong.status_code == 401 and wrong.json()["error"]["message"]
    bearer = requests.get(url, headers={"Authorization": f"Bearer {fake.token}"}, timeout=30)
    assert bearer.status_code == 401
    events_only = fake.state.add_token(scopes=["events.read"], name="events only")
    forbidden = requests.get(url, headers={"Authorization": f"Api-Token {events_only}"}, timeout=30)
    assert forbidden.status_code == 403 and "problems.read" in forbidden.json()["error"]["message"]
    revoked = fake.state.add_token(name="to revoke")
    assert requests.get(url, headers={"Authorization": f"Api-Token {revoked}"}, timeout=30).status_code == 200
    fake.state.revoke_token(revoked)
    assert requests.get(url, headers={"Authorization": f"Api-Token {revoked}"}, timeout=30).status_code == 401


def test_token_lookup_needs_no_scope_and_hides_the_secret(fake: FakeDynatrace) -> None:
    token = fake.state.add_token(scopes=["metrics.read"], name="lookup")
    headers = {"Authorization": f"Api-Token {token}"}
    v2 = requests.post(f"{fake.url}/api/v2/apiTokens/lookup", json={"token": token}, headers=headers, timeout=30)
    assert v2.status_code == 200
    body = v2.json()
    assert body["scopes"] == ["metrics.read"] and body["enabled"] is True and token not in str(body)
    assert token.startswith(body["id"] + ".")
    v1 = requests.post(f"{fake.url}/api/v1/tokens/lookup", json={"token": token}, headers=headers, timeout=30)
    assert v1.json()["revoked"] is False and v1.json()["scopes"] == ["metrics.read"]
    unknown = requests.post(f"{fake.url}/api/v2/apiTokens/lookup", json={"token": "dt0c01.X.Y"}, headers=headers,
                            timeout=30)
    assert unknown.status_code == 404
    assert requests.post(f"{fake.url}/api/v2/apiTokens/lookup", json={}, headers=headers, timeout=30).status_code == 400


def test_429_carries_retry_after_and_a_retrying_client_gets_through(fake: FakeDynatrace,
                                                                     api: requests.Session) -> None:
    fake.state.throttle_next(1, retry_after=1, path="/api/v2/entityTypes")
    throttled = get(api, fake, "entityTypes")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "1" and int(throttled.headers["X-RateLimit-Reset"]) > 0
    assert throttled.json() == {"error": {"code": 429, "message": throttled.json()["error"]["message"]}}
    fake.state.throttle_next(2, retry_after=1, path="/api/v2/entityTypes")
    fake.log.clear()
    retry = Retry(total=3, status_forcelist=[429], respect_retry_after_header=True, allowed_methods=["GET"])
    api.mount("https://", HTTPAdapter(max_retries=retry))
    answer = get(api, fake, "entityTypes", pageSize=2)
    assert answer.status_code == 200 and len(answer.json()["types"]) == 2
    assert len(fake.log.matching("/api/v2/entityTypes")) == 3


def test_new_and_closed_problems_show_in_later_windows(fake: FakeDynatrace, api: requests.Session) -> None:
    before = fake.state.now_ms()
    fake.state.advance(60_000)
    added = fake.state.add_problems(3)
    recent = pages(api, fake, "problems", "problems", **{"from": str(before + 1)})
    assert {p["problemId"] for p in recent} == {p["problemId"] for p in added}
    old = pages(api, fake, "problems", "problems", **{"from": "now-6h", "to": str(before - 4 * 3_600_000),
                                                      "problemSelector": 'status("open")', "pageSize": 500})
    assert old, "some old problems are still open"
    fake.state.advance(60_000)
    mark = fake.state.now_ms()
    closed = fake.state.close_problem(old[0]["problemId"])
    changed = pages(api, fake, "problems", "problems", **{"from": str(mark)})
    assert closed["problemId"] in {p["problemId"] for p in changed}
    assert next(p for p in changed if p["problemId"] == closed["problemId"])["status"] == "CLOSED"


def test_entities_need_a_selector_and_page(fake: FakeDynatrace, api: requests.Session) -> None:
    assert get(api, fake, "entities").status_code == 400
    assert get(api, fake, "entities", entitySelector='tag("critical")').status_code == 400
    services = pages(api, fake, "entities", "entities", entitySelector='type("SERVICE")', pageSize=2,
                     fields="+properties,+fromRelationships,+lastSeenTms")
    assert services and all(set(s) >= {"entityId", "type", "displayName", "properties", "lastSeenTms"}
                            for s in services)
    plain = get(api, fake, "entities", entitySelector='type("SERVICE")').json()["entities"][0]
    assert set(plain) == {"entityId", "type", "displayName"}
    on_host = pages(api, fake, "entities", "entities",
                    entitySelector='type("SERVICE"),fromRelationships.runsOnHost(type("HOST"))')
    assert len(on_host) == len(services)
    by_name = get(api, fake, "entities", entitySelector='type("SERVICE"),entityName.startsWith("zahlungs")',
                  sort="-name").json()
    assert all(e["displayName"].lower().startswith("zahlungs") for e in by_name["entities"])
    types = pages(api, fake, "entityTypes", "types", pageSize=3)
    assert {t["type"] for t in types} == {"HOST", "SERVICE", "PROCESS_GROUP_INSTANCE", "APPLICATION"}
    assert get(api, fake, "entityTypes/NOPE").status_code == 400


def test_metric_descriptors_and_data_points(fake: FakeDynatrace, api: requests.Session) -> None:
    described = get(api, fake, "metrics", metricSelector="builtin:host.*", fields="+aggregationTypes").json()
    assert described["totalCount"] == len(described["metrics"]) == 3 and described["nextPageKey"] is None
    assert set(described["metrics"][0]) == {"metricId", "displayName", "description", "unit", "aggregationTypes"}
    everything = pages(api, fake, "metrics", "metrics", pageSize=4)
    assert len(everything) == 9 and any(not m["displayName"].isascii() for m in everything)
    data = get(api, fake, "metrics/query", metricSelector="builtin:host.cpu.(usage),builtin:service.response.time",
               resolution="10m", **{"from": "now-1h"}).json()
    assert data["resolution"] == "10m" and data["nextPageKey"] is None and len(data["result"]) == 2
    series = data["result"][0]["data"][0]
    assert len(series["timestamps"]) == len(series["values"]) and series["timestamps"][0] % 600_000 == 0
    assert set(series["dimensionMap"]) == {"dt.entity.host"} and series["dimensions"] == list(
        series["dimensionMap"].values())
    inf = get(api, fake, "metrics/query", metricSelector="builtin:host.cpu.usage", resolution="Inf").json()
    assert all(len(s["values"]) == 1 for s in inf["result"][0]["data"])
    assert get(api, fake, "metrics/query", metricSelector="builtin:nope").status_code == 404
    one = get(api, fake, "metrics/ext:custom.queue.depth").json()
    assert one["metricId"] == "ext:custom.queue.depth" and one["dimensionDefinitions"][1]["key"] == "queue"
    assert get(api, fake, "metrics/builtin:nope").status_code == 404
    assert get(api, fake, "metrics/query").status_code == 400
    too_fine = get(api, fake, "metrics/query", metricSelector="builtin:host.cpu.usage", resolution="1m",
                   **{"from": "now-30d"})
    assert too_fine.status_code == 400


def test_out_of_process_controls(fake: FakeDynatrace, api: requests.Session) -> None:
    added = requests.post(f"{fake.url}/_fake/problems", params={"count": 2}, timeout=30).json()["problemIds"]
    found = {p["problemId"] for p in pages(api, fake, "problems", "problems", **{"from": "now-5m"})}
    assert set(added) <= found
    requests.post(f"{fake.url}/_fake/throttle", params={"count": 1, "retryAfter": 7}, timeout=30)
    assert get(api, fake, "entityTypes").headers["Retry-After"] == "7"
    assert get(api, fake, "entityTypes").status_code == 200


def test_a_big_environment_is_generated_lazily() -> None:
    env = Environment(problems_count=500_000, events_count=10, spacing_ms=1_000)
    assert env.problems.record(499_999)["displayId"] == "P-2499999"
    window = env.problems.window(env.now_ms() - 60_000, env.now_ms())
    assert window.hi - window.lo < 22_000  # an hour-long scan at most, not 500k records
