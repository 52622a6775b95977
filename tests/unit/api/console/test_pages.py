"""`sluice.api.console.pages`: where sign-in may send the browser, and the template filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sluice.api.console.pages import count, duration, safe_next, size, urlpart, when


@pytest.mark.parametrize("target", ["/console/flows/a", "/console/flows?q=x", "/console/runs"])
def test_sign_in_returns_to_console_addresses(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [None, "", "//example.com/", "https://example.com/console/x", "/consoleevil",
                                    "/console", "/metrics", "/console/\\example.com", "///console/x"])
def test_anything_else_goes_to_the_flows_list(target):
    assert safe_next(target) == "/console/flows"


def test_when_writes_utc():
    assert when(0) == "1970-01-01 00:00:00 UTC"
    assert when(datetime(2026, 12, 5, 8, 20, 1, tzinfo=UTC)) == "2026-12-05 08:20:01 UTC"
    assert when(None) == "" and when("") == ""


def test_duration_size_count_and_urlpart():
    assert duration(100.0, 101.25) == "1.2 s"
    assert duration(0, 65) == "1 m 05 s"
    assert duration(0, 3 * 3600 + 7 * 60) == "3 h 07 m"
    assert duration(None) == ""
    assert duration(10.0, 5.0) == "0.0 s"
    assert size(0) == "0 B" and size(1023) == "1023 B" and size(1536) == "1.5 KiB"
    assert size(5 * 1024**3) == "5.0 GiB" and size(None) == "0 B"
    assert count(1234567) == "1,234,567" and count(None) == ""
    assert urlpart("a#b@c!d/e f") == "a%23b%40c%21d%2Fe%20f"
