"""GitHub's wire rules: error bodies, primary and secondary rate limits, auth schemes, token URL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.github import api
from sluice.connectors.rest.auth import Basic, Bearer

URL = "https://api.github.com/user"


def response(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers, request=httpx.Request("GET", URL))


def test_bad_credentials_keep_githubs_message() -> None:
    error = api.github_error(response(401, {"message": "Bad credentials",
                                            "documentation_url": "https://docs.github.com/rest"}),
                             {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
    assert (error.code, error.message, error.status) == ("HTTP_401", "Bad credentials", 401)
    assert api.classify(error) == "InvalidCredentials" and not api.throttled(error)


def test_validation_errors_fold_their_details() -> None:
    body = {"message": "Validation Failed", "errors": [{"resource": "Issue", "field": "state", "code": "invalid"}]}
    error = api.github_error(response(422, body), body)
    assert error.message == "Validation Failed (Issue state invalid)"
    assert api.classify(error) == "InvalidArgument"


def test_a_missing_permission_is_not_a_rate_limit() -> None:
    body = {"message": "Resource not accessible by integration"}
    error = api.github_error(response(403, body, **{"x-ratelimit-remaining": "4999"}), body)
    assert api.classify(error) == "AccessDenied" and not api.throttled(error)


def test_primary_limit_waits_until_the_reset() -> None:
    body = {"message": "API rate limit exceeded for user ID 1."}
    limited = response(403, body, **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000030"})
    assert api.rate_limit_wait(limited, body["message"], now=1_000_000) == (api.PRIMARY, 30.0)
    error = api.github_error(limited, body)
    assert api.throttled(error) and api.classify(error) == "ThrottlingError"
    past = response(429, body, **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": "10"})
    assert api.rate_limit_wait(past, body["message"], now=1_000_000) == (api.PRIMARY, 0.0)


def test_secondary_limit_waits_retry_after_or_a_minute() -> None:
    body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}
    assert api.rate_limit_wait(response(403, body, **{"retry-after": "7"}), body["message"]) == (api.SECONDARY, 7.0)
    assert api.rate_limit_wait(response(403, body), body["message"]) == (api.SECONDARY, api.SECONDARY_WAIT)
    assert api.rate_limit_wait(response(429, {}), "") == (api.SECONDARY, api.SECONDARY_WAIT)
    error = api.github_error(response(403, body, **{"retry-after": "7"}), body)
    assert error.retry_after == 7.0 and api.throttled(error)


def view(credentials: dict[str, Any], properties: dict[str, Any] | None = None) -> ProfileView:
    return ProfileView(name="p", connector_type="CustomConnector", connector_label="GitHub",
                       properties=properties or {}, credentials=credentials)


def test_personal_access_tokens_go_as_http_basic() -> None:
    profile = view({"authenticationType": "CUSTOM", "custom": {
        "customAuthenticationType": "BasicAuthPersonalAccessToken",
        "credentialsMap": {"username": "octocat", "personalAccessToken": "ghp_x"}}})
    auth = api.auth_for(profile)
    assert isinstance(auth, Basic)
    request = httpx.Request("GET", URL)
    auth.apply(profile.credentials, request)
    assert request.headers["Authorization"] == "Basic b2N0b2NhdDpnaHBfeA=="  # octocat:ghp_x


def test_oauth_app_tokens_never_renew_but_app_user_tokens_refresh() -> None:
    fixed = api.auth_for(view({"authenticationType": "OAUTH2", "oauth2": {"accessToken": "gho_x"}}))
    assert isinstance(fixed, Bearer) and not fixed.renewable
    request = httpx.Request("GET", URL)
    fixed.apply({"oauth2": {"accessToken": "gho_x"}}, request)
    assert request.headers["Authorization"] == "Bearer gho_x"
    renewing = api.auth_for(view({"authenticationType": "OAUTH2", "oauth2": {"accessToken": "ghu_x",
                                                                             "refreshToken": "ghr_y"}}))
    assert isinstance(renewing, Bearer) and renewing.renewable


def test_refresh_goes_to_the_token_url_or_the_override_host(monkeypatch: pytest.MonkeyPatch) -> None:
    profile = view({}, {"oAuth2Properties": {"tokenUrl": "https://github.com/login/oauth/access_token"}})
    monkeypatch.delenv("SLUICE_ENDPOINT_URL_GITHUB", raising=False)
    assert api.token_url(profile) == "https://github.com/login/oauth/access_token"
    monkeypatch.setenv("SLUICE_ENDPOINT_URL_GITHUB", "https://127.0.0.1:9445/")
    assert api.token_url(profile) == "https://127.0.0.1:9445/login/oauth/access_token"


def test_other_authentication_types_are_refused() -> None:
    with pytest.raises(ConnectorError) as refused:
        api.auth_for(view({"authenticationType": "APIKEY"}))
    assert refused.value.code == "InvalidArgument"
