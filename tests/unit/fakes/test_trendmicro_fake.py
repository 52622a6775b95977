"""The fake Deep Security API driven with `requests`, as Trend Micro's guides show: ID paging, search criteria,
auth failures, 429s, and wire details the SDK hides (error bodies, `api-version`, `expand`).
test_trendmicro_sdk.py drives the same fake with Trend Micro's own `deep-security-api` client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fakes.trendmicro.records import START_MS, STEP_MS
from tests.fakes.trendmicro.server import FakeTrendMicro
from tests.support.tls import certificates

RECORDS = 230


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTrendMicro]:
    with FakeTrendMicro(records=RECORDS) as server:
        yield server


def call(fake: FakeTrendMicro, path: str, body: dict[str, Any] | None = None, key: str | None = None,
         version: str | None = "v1") -> requests.Response:
    headers = {"api-secret-key": key or fake.key, "Content-Type": "application/json"}
    if version:
        headers["api-version"] = version
    method = "POST" if body is not None else "GET"
    return requests.request(method, f"{fake.api_url}{path}", json=body, headers=headers,
                            verify=certificates().ca_file, timeout=10)


def test_paging_by_id_reads_every_computer_once(fake: FakeTrendMicro) -> None:
    seen: list[int] = []
    last = 0
    while True:
        answer = call(fake, "/computers/search", {"maxItems": 100, "sortByObjectID": True,
                                                  "searchCriteria": [{"idTest": "greater-than", "idValue": last}]})
        assert answer.status_code == 200
        page = answer.json()["computers"]
        seen += [c["ID"] for c in page]
        if len(page) < 100:
            break
        last = page[-1]["ID"]
    assert seen == list(range(1, RECORDS + 1))


def test_records_are_nested_with_nulls_and_unicode(fake: FakeTrendMicro) -> None:
    computers = call(fake, "/computers/search", {"maxItems": RECORDS}).json()["computers"]
    assert all(isinstance(c["computerStatus"]["agentStatusMessages"], list) for c in computers)
    assert any(c["ec2VirtualMachineSummary"] is None for c in computers)
    assert any(not c["hostName"].isascii() for c in computers)


def test_expand_chooses_the_computer_extensions(fake: FakeTrendMicro) -> None:
    def first(expand: list[str]) -> dict[str, Any]:
        answer = requests.post(f"{fake.api_url}/computers/search", params={"expand": expand},
                               json={"maxItems": 1}, headers={"api-secret-key": fake.key, "api-version": "v1"},
                               verify=certificates().ca_file, timeout=10)
        assert answer.status_code == 200, answer.text
        return dict(answer.json()["computers"][0])

    assert {"computerStatus", "antiMalware"} <= set(first([]))
    assert not {"computerStatus", "antiMalware", "ec2VirtualMachineSummary"} & set(first(["none"]))
    assert "computerStatus" in first(["computerStatus"]) and "antiMalware" not in first(["computerStatus"])


def test_criteria_string_numeric_boolean_and_dates(fake: FakeTrendMicro) -> None:
    rules = call(fake, "/intrusionpreventionrules/search", {"maxItems": 5000}).json()["intrusionPreventionRules"]
    high = call(fake, "/intrusionpreventionrules/search", {"searchCriteria": [
        {"fieldName": "severity", "stringTest": "equal", "stringValue": "high", "stringWildcards": False},
        {"fieldName": "detectOnly", "booleanTest": False}]}).json()["intrusionPreventionRules"]
    assert [r["ID"] for r in high] == [r["ID"] for r in rules if r["severity"] == "high" and not r["detectOnly"]]
    like = call(fake, "/intrusionpreventionrules/search", {"searchCriteria": [
        {"fieldName": "name", "stringValue": "%Log4j%"}]}).json()["intrusionPreventionRules"]
    assert like and all("Log4j" in r["name"] for r in like)
    lo, hi = START_MS + 10 * STEP_MS, START_MS + 20 * STEP_MS
    window = call(fake, "/softwarechanges/search", {"searchCriteria": [
        {"fieldName": "changeEventTime", "firstDateValue": lo, "firstDateInclusive": False,
         "lastDateValue": hi, "lastDateInclusive": True}]}).json()["softwareChanges"]
    assert [c["ID"] for c in window] == list(range(12, 22))
    groups = call(fake, "/computers/search", {"searchCriteria": [
        {"fieldName": "groupID", "numericTest": "equal", "numericValue": 3}]}).json()["computers"]
    assert groups and {c["groupID"] for c in groups} == {3}


def test_bad_criteria_and_unknown_objects(fake: FakeTrendMicro) -> None:
    bad = call(fake, "/computers/search", {"searchCriteria": [{"fieldName": "HostName", "stringValue": "x"}]})
    assert bad.status_code == 400 and "HostName" in bad.json()["message"]
    assert call(fake, "/nosuchthings/search", {}).status_code == 404


def test_auth_and_version_failures(fake: FakeTrendMicro) -> None:
    refused = call(fake, "/apikeys/current", key="2:not-a-key")
    assert refused.status_code == 401 and refused.json() == {"message": "Invalid API Key"}
    assert call(fake, "/apikeys/current", version=None).status_code == 400
    assert call(fake, "/apikeys/current").json()["active"] is True


def test_rate_limit_answers_429_then_recovers(fake: FakeTrendMicro) -> None:
    fake.state.throttle_next(1)
    limited = call(fake, "/policies/search", {"maxItems": 1})
    assert limited.status_code == 429 and limited.json() == {"message": "Too many API requests"}
    assert "Retry-After" not in limited.headers
    assert call(fake, "/policies/search", {"maxItems": 1}).status_code == 200


def test_added_changes_come_after_the_seeded_ones(fake: FakeTrendMicro) -> None:
    added = fake.state.add_software_changes(2, at_ms=START_MS + 10**9)
    assert [a["ID"] for a in added] == [RECORDS + 1, RECORDS + 2]
    found = call(fake, "/softwarechanges/search", {"searchCriteria": [
        {"fieldName": "changeEventTime", "firstDateValue": START_MS + 10**9}]}).json()["softwareChanges"]
    assert [c["ID"] for c in found] == [RECORDS + 1, RECORDS + 2]
    assert fake.requests.matching("/softwarechanges/search")[-1]["body"]["searchCriteria"]
