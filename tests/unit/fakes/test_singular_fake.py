"""The fake Singular account answers as the Reporting API Reference says, driven with `requests`.

Singular publishes no Python client; its docs show plain HTTP calls with the `api_key` parameter (or an
`Authorization` header). These tests follow the documented flow - create an async report, poll its
status, download it - and check the envelope, auth failure, 429 and the metadata endpoints.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tests.fakes.singular.server import FakeSingular
from tests.support.tls import tls_env


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSingular]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in tls_env().items():
            mp.setenv(key, value)
        with FakeSingular(rows_per_day=30, days=3) as server:
            yield server


def call(fake: FakeSingular, method: str, path: str, **kwargs: Any) -> requests.Response:
    params = {"api_key": fake.state.api_key, **kwargs.pop("params", {})}
    return requests.request(method, f"{fake.url}{path}", params=params, timeout=30, **kwargs)


def run_report(fake: FakeSingular, **form: str) -> list[dict[str, Any]]:
    """Create -> poll get_report_status until DONE -> download, as the docs describe."""
    created = call(fake, "POST", "/api/v2.0/create_async_report", data=form).json()
    assert created["status"] == 0 and created["substatus"] == 0
    report_id = created["value"]["report_id"]
    seen = []
    while True:
        status = call(fake, "GET", "/api/v2.0/get_report_status", params={"report_id": report_id}).json()["value"]
        seen.append(status["status"])
        if status["status"] in ("DONE", "FAILED"):
            break
        time.sleep(0.01)
    assert seen[0] == "QUEUED" and seen[-1] == "DONE"
    download = requests.get(status["download_url"], timeout=30)  # the link needs no API key
    assert download.status_code == 200
    return list(download.json()["value"]["results"])


def test_a_report_is_created_polled_and_downloaded(fake: FakeSingular) -> None:
    day = fake.state.seeded_days[0].isoformat()
    rows = run_report(fake, start_date=day, end_date=day, time_breakdown="day", format="json",
                      dimensions="app,source,adn_campaign_id,adn_campaign_name", metrics="adn_cost,adn_clicks")
    assert len(rows) == 30 and {r["start_date"] for r in rows} == {day}
    expected = {r["adn_campaign_id"]: r for r in fake.state.rows_of(fake.state.seeded_days[0])}
    for row in rows:
        assert row["adn_cost"] == pytest.approx(expected[row["adn_campaign_id"]]["adn_cost"])
    assert any("🚀" in r["adn_campaign_name"] for r in rows)
    # Aggregated by the dimensions asked for: per source only, the sums over the day.
    by_source = run_report(fake, start_date=day, end_date=day, format="json", dimensions="source",
                           metrics="adn_clicks")
    totals: dict[str, int] = {}
    for row in expected.values():
        totals[row["source"]] = totals.get(row["source"], 0) + row["adn_clicks"]
    assert {r["source"]: r["adn_clicks"] for r in by_source} == totals


def test_filters_narrow_a_report(fake: FakeSingular) -> None:
    day = fake.state.seeded_days[1].isoformat()
    rows = run_report(fake, start_date=day, end_date=day, format="json", dimensions="source,os,adn_campaign_id",
                      metrics="custom_installs", source="Facebook",
                      filters=json.dumps([{"dimension": "os", "operator": "in", "values": ["iOS"]}]))
    assert rows and {(r["source"], r["os"]) for r in rows} == {("Facebook", "iOS")}


def test_errors_are_enveloped_and_auth_is_checked(fake: FakeSingular) -> None:
    bad = requests.get(f"{fake.url}/api/v2.0/reporting/filters", params={"api_key": "nope"}, timeout=30)
    assert bad.status_code == 401 and bad.json()["status"] != 0 and "API key" in bad.json()["value"]
    header = requests.get(f"{fake.url}/api/v2.0/reporting/filters", headers={"Authorization": fake.state.api_key},
                          timeout=30)
    assert header.status_code == 200 and header.json()["value"]["dimensions"]
    invalid = call(fake, "POST", "/api/v2.0/create_async_report",
                   data={"start_date": "2024-01-01", "end_date": "2024-01-01", "dimensions": "nope",
                         "metrics": "adn_cost"})
    assert invalid.status_code == 400 and "nope" in invalid.json()["value"]
    assert call(fake, "GET", "/api/custom_dimensions").json()["value"]["custom_dimensions"][0]["id"] == "cd_3f9a"
    assert call(fake, "GET", "/api/conversion_metrics").json()["value"]["metrics"][0]["name"] == "purchase_event"


def test_a_429_with_retry_after_is_retried(fake: FakeSingular) -> None:
    fake.state.throttle_next(1, path="/api/v2.0/reporting/filters", retry_after=1)
    with requests.Session() as session:
        session.mount("https://", HTTPAdapter(max_retries=Retry(total=2, status_forcelist=[429],
                                                                respect_retry_after_header=True)))
        fake.log.clear()
        answer = session.get(f"{fake.url}/api/v2.0/reporting/filters", params={"api_key": fake.state.api_key},
                             timeout=30)
    assert answer.status_code == 200 and len(fake.log.matching("/reporting/filters")) == 2
