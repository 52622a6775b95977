"""Which API host an instanceUrl means, and a flow's filters as Datadog search arguments."""

from __future__ import annotations

import pytest

from sluice.connectors.base import ConnectorError
from sluice.connectors.datadog.pushdown import search_text, time_bounds_ms, user_query
from sluice.connectors.datadog.site import api_url
from sluice.connectors.rest.entities import Condition, Query


@pytest.mark.parametrize(("given", "expected"), [
    ("https://api.datadoghq.com", "https://api.datadoghq.com"),
    ("https://app.datadoghq.com/", "https://api.datadoghq.com"),
    ("datadoghq.eu", "https://api.datadoghq.eu"),
    ("https://us3.datadoghq.com", "https://api.us3.datadoghq.com"),
    ("https://app.ddog-gov.com", "https://api.ddog-gov.com"),
    ("https://api.us5.datadoghq.com", "https://api.us5.datadoghq.com"),
    ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
])
def test_api_url(given: str, expected: str) -> None:
    assert api_url(given) == expected


def _query(*conditions: Condition, **window: object) -> Query:
    return Query("logs", conditions=conditions, **window)  # type: ignore[arg-type]


def test_search_text_ands_the_users_query_with_attribute_terms() -> None:
    query = _query(Condition("query", "EQUAL_TO", ("@http.status_code:>=500 OR timeout",)),
                   Condition("service", "EQUAL_TO", ("checkout",)),
                   Condition("host", "EQUAL_TO", ("web 01", "db-proxy-3")))
    text = search_text(query, {"service": "service", "host": "host", "status": "status"})
    assert text == '(@http.status_code:>=500 OR timeout) service:checkout host:("web 01" OR db-proxy-3)'


def test_search_text_without_filters_is_everything() -> None:
    assert search_text(_query(), {"service": "service"}) == "*"
    assert user_query(_query(Condition("query", "EQUAL_TO", ("  ",)))) == "*"


def test_one_query_only() -> None:
    with pytest.raises(ConnectorError) as refused:
        user_query(_query(Condition("query", "EQUAL_TO", ("a", "b"))))
    assert refused.value.code == "InvalidArgument"


def test_time_bounds_cover_the_window_end_inclusively() -> None:
    window = _query(window_field="timestamp", window_start=1_800_000_000.0, window_end=1_800_000_060.5)
    assert time_bounds_ms(window, "timestamp") == (1_800_000_000_000, 1_800_000_060_501)
    between = _query(Condition("timestamp", "BETWEEN", ("1800000000000", "1800000030000")))
    assert time_bounds_ms(between, "timestamp") == (1_800_000_000_000, 1_800_000_030_001)
    assert time_bounds_ms(_query(), "timestamp") == (None, None)
    # 1800000059.9999999 * 1000 is 1800000059999.9998 in floats: still the millisecond 1800000060000.
    noisy = _query(window_field="timestamp", window_start=1_700_000_000.0, window_end=1_800_000_059.9999999)
    assert time_bounds_ms(noisy, "timestamp")[1] == 1_800_000_060_001


def test_only_datadog_hosts_are_called(monkeypatch: pytest.MonkeyPatch) -> None:
    from sluice.connectors.base import ProfileView
    from sluice.connectors.datadog.connector import API

    monkeypatch.delenv("SLUICE_ALLOW_PRIVATE_ENDPOINTS", raising=False)
    monkeypatch.delenv("SLUICE_ENDPOINT_URL_DATADOG", raising=False)

    def url(instance_url: str) -> str:
        return API.url_of(ProfileView(name="p", connector_type="Datadog", properties={"instanceUrl": instance_url}))

    assert url("https://us5.datadoghq.com") == "https://api.us5.datadoghq.com"
    assert url("") == "https://api.datadoghq.com"
    for refused in ("https://datadoghq.com.evil.example", "https://127.0.0.1:8443", "http://api.datadoghq.com"):
        with pytest.raises(ConnectorError) as caught:
            url(refused)
        assert caught.value.code == "InvalidArgument"
