"""V4 server-driven paging as a REST paginator (odata/paging.py)."""

from __future__ import annotations

import httpx
import orjson
import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.odata.paging import NextLink
from sluice.connectors.rest.client import Answer, Request

URL = "https://org.crm.dynamics.com/api/data/v9.2/accounts"


def answer(body: dict[str, object]) -> Answer:
    response = httpx.Response(200, content=orjson.dumps(body), request=httpx.Request("GET", URL + "?$select=name"))
    return Answer(response, body)


def test_first_request_prefers_the_page_size_and_keeps_other_preferences() -> None:
    first = NextLink(100).first(Request("GET", "accounts", headers={"Prefer": 'odata.include-annotations="*"'}))
    assert first.headers["Prefer"] == 'odata.include-annotations="*",odata.maxpagesize=100'


def test_next_link_is_followed_with_the_same_headers_and_no_extra_params() -> None:
    paging = NextLink(100)
    request = paging.first(Request("GET", "accounts", {"$select": "name"}))
    following = paging.next(request, answer({"value": [{}], "@odata.nextLink": URL + "?$skiptoken=abc"}), 1)
    assert following is not None
    assert following.path == URL + "?$skiptoken=abc" and following.params == {}
    assert following.headers["Prefer"] == "odata.maxpagesize=100"
    assert paging.next(following, answer({"value": [{}]}), 1) is None


def test_a_next_link_elsewhere_is_refused() -> None:
    with pytest.raises(ConnectorError, match="another host"):
        NextLink(10, "Dataverse").next(Request("GET", "accounts"),
                                       answer({"value": [], "@odata.nextLink": "https://other.example.com/x"}), 0)
