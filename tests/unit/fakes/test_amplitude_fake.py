"""The fake Amplitude project answers as the Export API and Dashboard REST docs say, driven with `requests`.

Amplitude's docs show curl calls with basic auth (`-u API_KEY:SECRET_KEY`); these tests make the same
calls with `requests` (and urllib3's Retry for the 429), reading the zip of gzipped JSON lines as a
script following the docs would.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tests.fakes.amplitude.server import FakeAmplitude
from tests.support.tls import tls_env


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAmplitude]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in tls_env().items():
            mp.setenv(key, value)
        with FakeAmplitude(events=300, spacing=120.0) as server:
            yield server


@pytest.fixture
def api(fake: FakeAmplitude) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.auth = (fake.state.api_key, fake.state.secret_key)
        yield session


def hour(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y%m%dT%H")


def export(session: requests.Session, fake: FakeAmplitude, start: str, end: str) -> requests.Response:
    return session.get(f"{fake.url}/api/2/export", params={"start": start, "end": end}, timeout=30)


def events_of(response: requests.Response) -> tuple[list[str], list[dict]]:
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    events = [json.loads(line) for name in names for line in gzip.decompress(archive.read(name)).splitlines() if line]
    return names, events


def test_an_export_is_a_zip_of_gzipped_json_lines_one_file_per_hour(fake: FakeAmplitude,
                                                                     api: requests.Session) -> None:
    state = fake.state
    first, last = state.upload_time(0), state.upload_time(state.count - 1)
    response = export(api, fake, hour(first), hour(last))
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    names, events = events_of(response)
    assert len(events) == 300 == len({e["uuid"] for e in events})
    assert len(names) == len({hour(state.upload_time(i)) for i in range(state.count)})
    assert all(n.endswith("#0.json.gz") for n in names)
    purchase = next(e for e in events if e["event_type"] == "Purchase")
    assert isinstance(purchase["event_properties"]["items"], list)  # nested, as sent
    assert any(e["event_type"] == "検索" for e in events) and any(e["user_id"] is None for e in events)
    # Both hours are inclusive: one hour alone holds exactly that hour's uploads.
    one = hour(state.upload_time(40))
    _, some = events_of(export(api, fake, one, one))
    assert some and {e["server_upload_time"][:13].replace("-", "").replace(" ", "T") for e in some} == {one}


def test_no_data_is_404_and_bad_or_too_large_ranges_are_400(fake: FakeAmplitude, api: requests.Session) -> None:
    past = fake.state.upload_time(0) - 10 * 86400
    assert export(api, fake, hour(past), hour(past + 3600)).status_code == 404
    assert export(api, fake, "2024-01-01", "20240102T00").status_code == 400
    assert export(api, fake, "20240102T00", "20240101T00").status_code == 400
    start = datetime.fromtimestamp(past, UTC)
    assert export(api, fake, hour(past), (start + timedelta(days=366)).strftime("%Y%m%dT%H")).status_code == 400
    fake.state.max_export_events = 10
    try:
        too_big = export(api, fake, hour(fake.state.upload_time(0)), hour(fake.state.upload_time(299)))
        assert too_big.status_code == 400 and "too large" in too_big.text
    finally:
        fake.state.max_export_events = None


def test_wrong_keys_are_401_and_the_event_list_needs_none_of_the_export(fake: FakeAmplitude,
                                                                       api: requests.Session) -> None:
    wrong = requests.get(f"{fake.url}/api/2/events/list", auth=(fake.state.api_key, "nope"), timeout=30)
    assert wrong.status_code == 401
    assert requests.get(f"{fake.url}/api/2/export", timeout=30).status_code == 401
    listed = api.get(f"{fake.url}/api/2/events/list", timeout=30).json()["data"]
    assert {e["value"] for e in listed if not e["deleted"]} >= {"Purchase", "検索"}


def test_a_429_is_retried_by_a_client_that_follows_the_rate_limit(fake: FakeAmplitude) -> None:
    fake.state.throttle_next(2, path="/api/2/events/list")
    with requests.Session() as session:
        session.auth = (fake.state.api_key, fake.state.secret_key)
        session.mount("https://", HTTPAdapter(max_retries=Retry(total=3, backoff_factor=0.01,
                                                                status_forcelist=[429])))
        fake.log.clear()
        assert session.get(f"{fake.url}/api/2/events/list", timeout=30).status_code == 200
    assert len(fake.log.matching("/api/2/events/list")) == 3
