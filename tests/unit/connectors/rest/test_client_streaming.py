"""RestClient beyond JSON pages: a body streamed into a file (through a 429), a link sent without the
profile's credentials, and notes to the run's log."""

from __future__ import annotations

import json
import tempfile
from typing import Any

from sluice.connectors.rest.api import RestApi
from sluice.connectors.rest.auth import Bearer, refresh_grant
from sluice.connectors.rest.client import Request, RestClient
from tests.unit.connectors.rest.conftest import profile

API = RestApi("Zendesk", "TestVendor", hosts=("example.com",),
              auth=Bearer(grant=refresh_grant(lambda base, creds: f"{base}/oauth/token")))


def test_a_body_is_streamed_into_a_file_and_only_the_good_answer_lands_there(vendor: Any) -> None:
    state, url = vendor
    state.throttle = 1
    view, _ = profile(url)
    with RestClient(API, view) as client, tempfile.TemporaryFile() as spool:
        spool.write(b"left over from an earlier answer")
        answer = client.call(Request("GET", "/items", {"size": 3}), into=spool)
        assert answer.response.status_code == 200 and answer.body is None
        spool.seek(0)
        assert [r["id"] for r in json.loads(spool.read())["items"]] == [0, 1, 2]
    assert len(state.log.matching("/items")) == 2  # the 429, then the streamed answer


def test_an_unauthenticated_request_carries_no_credentials(vendor: Any) -> None:
    _, url = vendor
    view, _ = profile(url)
    with RestClient(API, view) as client:
        assert client.call(Request("GET", "/items")).response.status_code == 200
        refused = client.call(Request("GET", "/items", authenticated=False), expect=(401,))
    assert refused.response.status_code == 401 and refused.body["error"] == "invalid_token"


def test_report_tells_the_run_log_only_inside_a_run(vendor: Any) -> None:
    _, url = vendor
    view, _ = profile(url)
    heard: list[tuple[str, str, str]] = []
    with RestClient(API, view, on_event=lambda *event: heard.append(event)) as client:
        client.report("warning", "sampled", "warning")
    with RestClient(API, view) as client:
        client.report("warning", "nobody listens")
    assert heard == [("warning", "sampled", "warning")]
