"""SalesforceClient: bearer auth, one refresh on 401, retries with backoff, limits, error mapping."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.salesforce.client import SalesforceApiError, SalesforceClient, error_code

INSTANCE = "https://acme.my.salesforce.com"
LOGIN = "https://login.example.test"
TOKEN = "00Dsecret!AQ0token"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_SALESFORCE_LOGIN_URL", LOGIN)
    monkeypatch.setenv("SLUICE_SALESFORCE_CLIENT_ID", "cid")
    monkeypatch.setenv("SLUICE_SALESFORCE_CLIENT_SECRET", "csecret")
    monkeypatch.setenv("SLUICE_SALESFORCE_MAX_ATTEMPTS", "3")


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=[{"errorCode": code, "message": message}], headers=headers)


def make(handler: Callable[[httpx.Request], httpx.Response], creds: dict[str, Any] | None = None,
         saved: list[Any] | None = None, wrapped: bool = False) -> tuple[SalesforceClient, list[float]]:
    creds = creds or {"accessToken": TOKEN, "refreshToken": "refresh-1"}
    props: dict[str, Any] = {"instanceUrl": INSTANCE}
    if wrapped:
        creds, props = {"Salesforce": creds}, {"Salesforce": props}
    profile = ProfileView("p", "Salesforce", properties=props, credentials=creds,
                          save_credentials=saved.append if saved is not None else None)
    sleeps: list[float] = []
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return SalesforceClient(profile, http=http, sleep=sleeps.append), sleeps


def test_sends_bearer_token_and_reads_api_usage(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True}, headers={"Sforce-Limit-Info": "api-usage=95/100"})

    client, _ = make(handler)
    with caplog.at_level(logging.WARNING):
        response = client.request("GET", client.data_path("limits"), params={"a": "b"})
    assert response.json() == {"ok": True}
    assert str(seen[0].url) == f"{INSTANCE}/services/data/v59.0/limits?a=b"
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert client.api_usage == (95, 100)
    assert "95 of its 100" in caplog.text
    assert TOKEN not in caplog.text


def test_full_urls_are_used_as_given() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(204)

    client, _ = make(handler)
    client.request("DELETE", "https://other.example/x")
    assert seen == ["https://other.example/x"]


def test_refreshes_once_on_401_and_stores_the_new_token() -> None:
    calls: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append((request.method, str(request.url)))
        if request.url.path == "/services/oauth2/token":
            form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
            assert form["grant_type"] == "refresh_token"
            assert form["refresh_token"] == "refresh-1"
            assert form["client_id"] == "cid"
            return httpx.Response(200, json={"access_token": "new-token", "instance_url": INSTANCE})
        if request.headers["Authorization"] == f"Bearer {TOKEN}":
            return error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return httpx.Response(200, json={"records": []})

    saved: list[Any] = []
    client, _ = make(handler, saved=saved, wrapped=True)
    assert client.request("GET", "/services/data/v59.0/query").json() == {"records": []}
    assert client.access_token == "new-token"
    assert calls[1] == ("POST", f"{LOGIN}/services/oauth2/token")
    assert len(calls) == 3
    # Saved in the shape the profile holds them (wrapped in the connector's member), refresh token kept.
    assert saved == [{"Salesforce": {"accessToken": "new-token", "refreshToken": "refresh-1",
                                     "instanceUrl": INSTANCE, "oAuth2GrantType": "AUTHORIZATION_CODE"}}]


def test_a_second_401_is_invalid_credentials_without_the_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/services/oauth2/token":
            return httpx.Response(200, json={"access_token": "new-token", "instance_url": INSTANCE})
        return error(401, "INVALID_SESSION_ID", "Session expired or invalid")

    client, _ = make(handler)
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/services/data/v59.0/sobjects")
    assert caught.value.code == "InvalidCredentials"
    assert "INVALID_SESSION_ID" in caught.value.message
    assert "new-token" not in caught.value.message and TOKEN not in caught.value.message


def test_401_without_refresh_token_asks_for_new_credentials() -> None:
    client, _ = make(lambda r: error(401, "INVALID_SESSION_ID", "expired"), creds={"accessToken": TOKEN})
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/x")
    assert caught.value.code == "InvalidCredentials"
    assert "no refresh token" in caught.value.message


def test_refused_refresh_is_invalid_credentials_with_salesforce_reason() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/services/oauth2/token":
            body = {"error": "invalid_grant", "error_description": "expired access/refresh token"}
            return httpx.Response(400, json=body)
        return error(401, "INVALID_SESSION_ID", "expired")

    client, _ = make(handler)
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/x")
    assert (caught.value.code, caught.value.message) == ("InvalidCredentials", "expired access/refresh token")


@pytest.mark.parametrize("response", [
    error(429, "REQUEST_LIMIT_EXCEEDED", "slow down", {"Retry-After": "7"}),
    error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", {"Retry-After": "7"}),
    httpx.Response(503, text="unavailable", headers={"Retry-After": "7"}),
])
def test_throttling_is_retried_honouring_retry_after(response: httpx.Response) -> None:
    answers = [response, httpx.Response(200, json={"done": True})]
    client, sleeps = make(lambda r: answers.pop(0))
    assert client.request("GET", "/x").json() == {"done": True}
    assert sleeps == [7.0]


def test_throttling_gives_up_after_max_attempts_with_an_actionable_message() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")

    client, sleeps = make(handler)
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/x")
    assert len(calls) == 3 and len(sleeps) == 2
    assert sleeps[0] < sleeps[1] <= 8.0 * 1.1  # exponential backoff, capped
    assert caught.value.code == "ThrottlingError"
    message = caught.value.message
    assert "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded." in message
    assert "after 3 attempts" in message and "API limit to reset" in message


@pytest.mark.parametrize(("status", "code", "expected"), [
    (400, "MALFORMED_QUERY", "InvalidArgument"),
    (400, "INVALID_FIELD", "InvalidArgument"),
    (400, "INVALID_TYPE", "InvalidArgument"),
    (404, "NOT_FOUND", "ResourceNotFound"),
    (400, "DUPLICATE_VALUE", "ServerError"),
    (500, "UNKNOWN_EXCEPTION", "ServerError"),
])
def test_errors_are_mapped_and_not_retried(status: int, code: str, expected: str) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return error(status, code, "Salesforce says no")

    client, _ = make(handler)
    with pytest.raises(SalesforceApiError) as caught:
        client.request("POST", "/x", json={})
    assert len(calls) == 1
    assert caught.value.code == expected
    assert caught.value.message == f"{code}: Salesforce says no"
    assert (caught.value.status, caught.value.sf_code) == (status, code)


def test_error_code_table() -> None:
    assert error_code(401, "INVALID_SESSION_ID") == "InvalidCredentials"
    assert error_code(403, "REQUEST_LIMIT_EXCEEDED") == "ThrottlingError"
    assert error_code(403, "INSUFFICIENT_ACCESS") == "AccessDenied"


def test_connection_errors_are_retried_then_reported() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("refused", request=request)

    client, sleeps = make(handler)
    with pytest.raises(ConnectorError) as caught:
        client.request("POST", "/x", json={})
    assert len(calls) == 3 and len(sleeps) == 2
    assert caught.value.code == "ServerError"
    assert "could not be reached" in caught.value.message


def test_a_read_timeout_on_post_is_not_resent() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    client, _ = make(handler)
    with pytest.raises(ConnectorError) as caught:
        client.request("POST", "/composite/sobjects", json={})
    assert len(calls) == 1
    assert "timed out" in caught.value.message


def test_a_read_timeout_on_get_is_retried() -> None:
    answers: list[Any] = [httpx.ReadTimeout("slow"), httpx.Response(200, json={})]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client, sleeps = make(handler)
    assert client.request("GET", "/x").status_code == 200
    assert len(sleeps) == 1


def test_stream_yields_the_unread_body() -> None:
    body = b"Id,Name\n001,Acme\n" * 1000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Sforce-Locator": "null"})

    client, _ = make(handler)
    with client.stream("GET", "/results") as response:
        assert response.headers["Sforce-Locator"] == "null"
        assert b"".join(response.iter_bytes()) == body


def test_stream_errors_are_mapped() -> None:
    client, _ = make(lambda r: error(400, "INVALIDJOBSTATE", "not complete"))
    with pytest.raises(SalesforceApiError) as caught, client.stream("GET", "/results"):
        pass
    assert caught.value.message == "INVALIDJOBSTATE: not complete"


def test_a_profile_without_instance_url_is_refused() -> None:
    with pytest.raises(ConnectorError) as caught:
        SalesforceClient(ProfileView("p", "Salesforce", credentials={"accessToken": TOKEN}))
    assert caught.value.code == "InvalidArgument"


def test_client_credentials_profile_gets_a_token_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    from sluice.connectors.salesforce import auth

    monkeypatch.setattr(auth, "read_client_secret", lambda arn, aws=None: ("id-1", "secret-1"))
    forms: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/services/oauth2/token":
            forms.append(request.content.decode())
            return httpx.Response(200, json={"access_token": "cc-token", "instance_url": INSTANCE})
        assert request.headers["Authorization"] == "Bearer cc-token"
        return httpx.Response(200, json=[])

    saved: list[Any] = []
    client, _ = make(handler, creds={"oAuth2GrantType": "CLIENT_CREDENTIALS",
                                     "clientCredentialsArn": "arn:aws:secretsmanager:us-east-1:1:secret:x"},
                     saved=saved)
    assert client.request("GET", "/x").json() == []
    assert forms == ["grant_type=client_credentials&client_id=id-1&client_secret=secret-1"]
    assert json.dumps(saved).count("cc-token") == 1
