"""Marketo's error envelope, its classification, and the 31-day spans of bulk extracts."""

from __future__ import annotations

import datetime as dt
import itertools

import httpx

from sluice.connectors.marketo import api, windows
from sluice.connectors.rest.api import VendorError


def envelope(code: str, message: str = "m") -> VendorError | None:
    body = {"requestId": "a#b", "success": False, "errors": [{"code": code, "message": message}]}
    return api.envelope(httpx.Response(200, json=body), body)


def test_a_successful_envelope_is_no_error() -> None:
    body = {"requestId": "a#b", "success": True, "result": []}
    assert api.envelope(httpx.Response(200, json=body), body) is None


def test_codes_map_to_appflow_errors_and_retries() -> None:
    for code, kind in (("601", "InvalidCredentials"), ("603", "AccessDenied"), ("606", "ThrottlingError"),
                       ("607", "ThrottlingError"), ("610", "ResourceNotFound"), ("1003", "InvalidArgument"),
                       ("701", "InvalidArgument"), ("611", "ServerError")):
        error = envelope(code)
        assert error is not None and api.classify(error) == kind, code
    assert api.throttled(envelope("606")) and api.throttled(envelope("615"))  # type: ignore[arg-type]
    assert not api.throttled(envelope("607"))  # type: ignore[arg-type]
    assert api.throttled(envelope("1029", "Too many jobs in queue"))  # type: ignore[arg-type]
    assert not api.throttled(envelope("1029", "Export daily quota exceeded"))  # type: ignore[arg-type]
    assert api.expired(envelope("602")) and not api.expired(envelope("603"))  # type: ignore[arg-type]
    transient = envelope("604")
    assert transient is not None and transient.status == 503  # retried like an unavailable service
    quota = envelope("607", "Daily quota reached")
    assert quota is not None and "midnight US Central" in quota.message


def test_identity_refusals_keep_the_description() -> None:
    body = {"error": "unauthorized", "error_description": "Bad client credentials"}
    error = api.errors(httpx.Response(401, json=body), body)
    assert (error.code, error.message, api.classify(error)) == ("unauthorized", "Bad client credentials",
                                                                "InvalidCredentials")


def test_a_429_with_an_envelope_body_is_throttling() -> None:
    body = {"requestId": "a#b", "success": False, "errors": [{"code": "606", "message": "Max rate limit"}]}
    error = api.errors(httpx.Response(429, json=body), body)
    assert error.status == 429 and api.throttled(error) and api.classify(error) == "ThrottlingError"


def test_spans_cover_a_range_once_in_31_day_pieces() -> None:
    low = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    high = dt.datetime(2024, 4, 15, 12, tzinfo=dt.UTC)
    pieces = list(windows.spans(low, high))
    assert pieces[0] == (low, low + dt.timedelta(days=31)) and pieces[-1][1] == high
    assert all(b - a <= windows.MAX_SPAN for a, b in pieces)
    assert all(nxt[0] - cur[1] == dt.timedelta(seconds=1) for cur, nxt in itertools.pairwise(pieces))


def test_marketo_datetimes_parse_in_every_form() -> None:
    expected = dt.datetime(2015, 5, 21, 22, 45, 13, tzinfo=dt.UTC)
    for text in ("2015-05-21T22:45:13Z", "2015-05-21T22:45:13Z+0000", "2015-05-21T22:45:13+0000",
                 "2015-05-21T15:45:13-07:00"):
        assert windows.parse(text) == expected, text
    assert windows.parse("not a date") is None
