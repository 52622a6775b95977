"""Slack's error bodies -> VendorError / ConnectorError codes (api.py), without a network."""

from __future__ import annotations

import httpx
import pytest

from sluice.connectors.slack.api import classify, envelope, errors, expired, throttled
from sluice.connectors.slack.messages import slack_ts, ts_seconds


def answer(status: int = 200) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", "https://acme.slack.com/api/x"))


@pytest.mark.parametrize(("code", "kind"), [
    ("invalid_auth", "InvalidCredentials"), ("not_authed", "InvalidCredentials"),
    ("token_revoked", "InvalidCredentials"),
    ("missing_scope", "AccessDenied"), ("not_in_channel", "AccessDenied"), ("channel_not_found", "ResourceNotFound"),
    ("invalid_cursor", "InvalidArgument"), ("internal_error", "ServerError"), ("fatal_error", "ServerError"),
])
def test_ok_false_bodies_are_classified_by_slack_code(code: str, kind: str) -> None:
    error = envelope(answer(), {"ok": False, "error": code})
    assert error is not None and error.code == code and classify(error) == kind
    assert code in error.message


def test_ok_bodies_are_not_errors_and_details_are_kept() -> None:
    assert envelope(answer(), {"ok": True, "channels": []}) is None
    scope = envelope(answer(), {"ok": False, "error": "missing_scope", "needed": "groups:read",
                                "provided": "channels:read"})
    assert scope is not None and "needed: groups:read" in scope.message and "channels:read" in scope.message
    args = envelope(answer(), {"ok": False, "error": "invalid_arguments",
                               "response_metadata": {"messages": ["[ERROR] missing required field: channel"]}})
    assert args is not None and "missing required field: channel" in args.message


def test_429_is_throttled_and_token_expired_is_renewable() -> None:
    limited = errors(answer(429), {"ok": False, "error": "ratelimited"})
    assert limited.status == 429 and throttled(limited) and classify(limited) == "ThrottlingError"
    stale = envelope(answer(), {"ok": False, "error": "token_expired"})
    assert stale is not None and expired(stale) and not throttled(stale)
    assert classify(errors(answer(503), None)) == "ServerError"


def test_ts_arguments_keep_microseconds() -> None:
    assert slack_ts(1704067200.0001) == "1704067200.000100"
    assert slack_ts(ts_seconds("1704081654.479436") or 0) == "1704081654.479436"
    assert ts_seconds(None) is None and ts_seconds("x") is None
