"""Google's shared conventions: error bodies, the token endpoint and its override, the OAuth credential keys."""

from __future__ import annotations

import httpx
import pytest

from sluice.connectors.rest import google


def test_googles_error_body_gives_the_status_word_and_message() -> None:
    body = {"error": {"code": 403, "message": "User does not have sufficient permissions for this property.",
                      "status": "PERMISSION_DENIED"}}
    error = google.errors(httpx.Response(403, json=body), body)
    assert (error.code, error.message, error.status) == (
        "PERMISSION_DENIED", "User does not have sufficient permissions for this property.", 403)
    plain = google.errors(httpx.Response(502, text="Bad Gateway"), "Bad Gateway")
    assert plain.message == "Bad Gateway"


def test_the_token_url_moves_to_the_endpoint_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLUICE_ENDPOINT_URL_GOOGLEANALYTICS4", raising=False)
    assert google.token_url("GoogleAnalytics4") == "https://oauth2.googleapis.com/token"
    monkeypatch.setenv("SLUICE_ENDPOINT_URL_GOOGLEANALYTICS4", "https://127.0.0.1:8443/")
    assert google.token_url("GoogleAnalytics4", "https://oauth2.googleapis.com/token") == "https://127.0.0.1:8443/token"
    assert google.host("GoogleAnalytics4", "https://analyticsdata.googleapis.com") == "https://127.0.0.1:8443"


def test_bearer_reads_tokens_under_the_named_member() -> None:
    auth = google.bearer(lambda: "https://oauth2.googleapis.com/token", under="oauth2")
    assert auth.token_key == "oauth2.accessToken" and auth.refresh_token_key == "oauth2.refreshToken"
    assert auth.grant is not None and auth.grant.client_id_key == "oauth2.clientId"
    request = httpx.Request("GET", "https://analyticsdata.googleapis.com/")
    auth.apply({"oauth2": {"accessToken": "ya29.token"}}, request)
    assert request.headers["Authorization"] == "Bearer ya29.token"
    assert google.bearer(lambda: "x").token_key == "accessToken"
