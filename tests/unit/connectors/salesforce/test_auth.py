"""Salesforce OAuth grants: what is posted where, what is stored, and how refusals read."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import boto3
import httpx
import pytest
from moto import mock_aws

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.salesforce import auth

INSTANCE = "https://acme.my.salesforce.com"
LOGIN = "https://login.example.test"
SANDBOX = "https://test.example.test"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_SALESFORCE_LOGIN_URL", LOGIN)
    monkeypatch.setenv("SLUICE_SALESFORCE_SANDBOX_LOGIN_URL", SANDBOX)
    monkeypatch.setenv("SLUICE_SALESFORCE_CLIENT_ID", "cid")
    monkeypatch.setenv("SLUICE_SALESFORCE_CLIENT_SECRET", "csecret")


class FakeOrg:
    """Records token posts; answers every REST call 200 unless the token is `expired`."""

    def __init__(self, token_answer: httpx.Response | None = None) -> None:
        self.posts: list[tuple[str, dict[str, str]]] = []
        self.token_answer = token_answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/services/oauth2/token":
            self.posts.append((f"{request.url.scheme}://{request.url.host}", dict(parse_qsl(request.content.decode()))))
            return self.token_answer or httpx.Response(
                200, json={"access_token": "fresh", "refresh_token": "r-2", "instance_url": INSTANCE,
                           "token_type": "Bearer"})
        if request.headers.get("Authorization") == "Bearer expired":
            return httpx.Response(401, json=[{"errorCode": "INVALID_SESSION_ID", "message": "expired"}])
        return httpx.Response(200, json={})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def profile(creds: dict[str, Any], **props: Any) -> ProfileView:
    return ProfileView("p", "Salesforce", properties={"instanceUrl": INSTANCE, **props}, credentials=creds)


def test_authorization_code_is_exchanged_with_the_app_client() -> None:
    org = FakeOrg()
    stored = auth.check_profile(
        profile({"oAuthRequest": {"authCode": "code-1", "redirectUri": "https://app/cb"}}), org.client()
    )
    assert org.posts == [(LOGIN, {"grant_type": "authorization_code", "code": "code-1", "client_id": "cid",
                                  "redirect_uri": "https://app/cb", "client_secret": "csecret"})]
    assert stored == {"accessToken": "fresh", "refreshToken": "r-2", "instanceUrl": INSTANCE,
                      "oAuth2GrantType": "AUTHORIZATION_CODE"}


def test_sandbox_profiles_use_the_sandbox_login_host_and_keep_their_shape() -> None:
    org = FakeOrg()
    creds = {"Salesforce": {"oAuthRequest": {"authCode": "c"}}}
    props = {"Salesforce": {"instanceUrl": INSTANCE, "isSandboxEnvironment": True}}
    stored = auth.obtain_tokens(ProfileView("p", "Salesforce", properties=props, credentials=creds), org.client())
    assert org.posts[0][0] == SANDBOX
    assert stored["Salesforce"]["accessToken"] == "fresh"


def test_jwt_bearer_posts_the_assertion_to_the_login_host() -> None:
    org = FakeOrg()
    stored = auth.obtain_tokens(profile({"oAuth2GrantType": "JWT_BEARER", "jwtToken": "eyJ.x.y"}), org.client())
    assert org.posts == [(LOGIN, {"grant_type": auth.JWT_GRANT, "assertion": "eyJ.x.y"})]
    assert stored["jwtToken"] == "eyJ.x.y" and stored["oAuth2GrantType"] == "JWT_BEARER"


@pytest.mark.parametrize("secret", [
    {"clientId": "sm-id", "clientSecret": "sm-secret"},
    {"client_id": "sm-id", "client_secret": "sm-secret"},
])
def test_client_credentials_come_from_secrets_manager(secret: dict[str, str]) -> None:
    org = FakeOrg()
    with mock_aws():
        arn = boto3.client("secretsmanager", region_name="eu-west-1").create_secret(
            Name="sf-app", SecretString=json.dumps(secret))["ARN"]
        stored = auth.check_profile(profile({"oAuth2GrantType": "CLIENT_CREDENTIALS",
                                             "clientCredentialsArn": arn}), org.client())
    # The client-credentials grant goes to the org's own (My Domain) host.
    assert org.posts == [("https://acme.my.salesforce.com",
                          {"grant_type": "client_credentials", "client_id": "sm-id", "client_secret": "sm-secret"})]
    assert stored["clientCredentialsArn"] == arn and stored["accessToken"] == "fresh"


def test_a_missing_secret_is_invalid_credentials() -> None:
    with mock_aws(), pytest.raises(ConnectorError) as caught:
        arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope"
        auth.obtain_tokens(profile({"oAuth2GrantType": "CLIENT_CREDENTIALS", "clientCredentialsArn": arn}),
                           FakeOrg().client())
    assert caught.value.code == "InvalidCredentials"
    assert "ResourceNotFoundException" in caught.value.message


def test_a_given_access_token_is_checked_and_refreshed_when_expired() -> None:
    org = FakeOrg()
    stored = auth.check_profile(profile({"accessToken": "expired", "refreshToken": "r-1"}), org.client())
    assert org.posts == [(LOGIN, {"grant_type": "refresh_token", "refresh_token": "r-1", "client_id": "cid",
                                  "client_secret": "csecret"})]
    assert stored["accessToken"] == "fresh" and stored["refreshToken"] == "r-2"


def test_a_valid_access_token_is_kept() -> None:
    org = FakeOrg()
    stored = auth.check_profile(profile({"accessToken": "good"}), org.client())
    assert org.posts == []
    assert stored == {"accessToken": "good", "instanceUrl": INSTANCE}


def test_an_expired_token_without_refresh_token_is_refused() -> None:
    with pytest.raises(ConnectorError) as caught:
        auth.check_profile(profile({"accessToken": "expired"}), FakeOrg().client())
    assert caught.value.code == "InvalidCredentials"
    assert "no refresh token" in caught.value.message


def test_a_refused_grant_reports_salesforce_reason() -> None:
    org = FakeOrg(httpx.Response(400, json={"error": "invalid_grant", "error_description": "authentication failure"}))
    with pytest.raises(ConnectorError) as caught:
        auth.check_profile(profile({"oAuthRequest": {"authCode": "bad"}}), org.client())
    assert (caught.value.code, caught.value.message) == ("InvalidCredentials", "authentication failure")


def test_an_unreachable_salesforce_is_a_server_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ConnectorError) as caught:
        auth.check_profile(profile({"oAuthRequest": {"authCode": "c"}}),
                           httpx.Client(transport=httpx.MockTransport(handler)))
    assert caught.value.code == "ServerError"
    assert "login.example.test" in caught.value.message


def test_credentials_without_a_grant_are_invalid() -> None:
    with pytest.raises(ConnectorError) as caught:
        auth.obtain_tokens(profile({}), FakeOrg().client())
    assert caught.value.code == "InvalidArgument"


def test_authorization_code_needs_the_app_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLUICE_SALESFORCE_CLIENT_ID")
    with pytest.raises(ConnectorError) as caught:
        auth.obtain_tokens(profile({"oAuthRequest": {"authCode": "c"}}), FakeOrg().client())
    assert "SLUICE_SALESFORCE_CLIENT_ID" in caught.value.message
    assert caught.value.code == "ServerError"  # the operator's configuration, not the caller's request


def test_a_token_given_with_the_code_is_used_without_an_exchange(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLUICE_SALESFORCE_CLIENT_ID")
    org = FakeOrg()
    stored = auth.obtain_tokens(profile({"accessToken": "given", "refreshToken": "r-1",
                                         "oAuthRequest": {"authCode": "spent", "redirectUri": "https://app/cb"}}),
                                org.client())
    assert org.posts == []
    assert stored == {"accessToken": "given", "refreshToken": "r-1", "instanceUrl": INSTANCE}


def test_grants_against_the_fake_org(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fakes.salesforce.server import FakeSalesforce

    with FakeSalesforce(seed_counts={"Account": 1, "Contact": 1, "Opportunity": 1}) as fake:
        monkeypatch.setenv("SLUICE_SALESFORCE_LOGIN_URL", fake.url)
        monkeypatch.setenv("SLUICE_SALESFORCE_CLIENT_ID", "sluice-client")
        monkeypatch.setenv("SLUICE_SALESFORCE_CLIENT_SECRET", "sluice-secret")
        fake.org.auth.add_auth_code("code-1", "https://app/cb")
        props = {"instanceUrl": fake.url}
        stored = auth.check_profile(ProfileView("p", "Salesforce", properties=props, credentials={
            "oAuthRequest": {"authCode": "code-1", "redirectUri": "https://app/cb"}}))
        assert stored["instanceUrl"] == fake.url and stored["refreshToken"]
        # The code is single-use: Salesforce's refusal is reported in its own words.
        with pytest.raises(ConnectorError) as caught:
            auth.check_profile(ProfileView("p", "Salesforce", properties=props, credentials={
                "oAuthRequest": {"authCode": "code-1", "redirectUri": "https://app/cb"}}))
        assert caught.value.code == "InvalidCredentials"
        # An expired access token is refreshed with the stored refresh token.
        fake.org.auth.expire_all_tokens()
        renewed = auth.check_profile(ProfileView("p", "Salesforce", properties=props, credentials=stored))
        assert renewed["accessToken"] != stored["accessToken"]
        assert renewed["refreshToken"] == stored["refreshToken"]


@pytest.mark.parametrize("instance", ["https://evil.example", "https://acme.my.salesforce.com.evil.example",
                                      "https://169.254.169.254"])
def test_client_credentials_are_read_only_for_salesforce_hosts(instance: str, monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    monkeypatch.setattr(auth, "read_client_secret", lambda arn: read.append(arn) or ("id", "secret"))
    org = FakeOrg()
    with pytest.raises(ConnectorError) as caught:
        auth.obtain_tokens(ProfileView("p", "Salesforce", properties={"instanceUrl": instance}, credentials={
            "oAuth2GrantType": "CLIENT_CREDENTIALS", "clientCredentialsArn": "arn:aws:secretsmanager:x"}), org.client())
    assert caught.value.code == "InvalidArgument" and "instanceUrl" in caught.value.message
    assert read == [] and org.posts == []


def test_the_endpoint_override_is_the_login_host_and_a_known_host(monkeypatch: pytest.MonkeyPatch) -> None:
    from sluice.connectors.salesforce import settings

    monkeypatch.delenv("SLUICE_SALESFORCE_LOGIN_URL")
    monkeypatch.delenv("SLUICE_SALESFORCE_SANDBOX_LOGIN_URL")
    assert settings.login_url(False) == "https://login.salesforce.com"
    monkeypatch.setenv("SLUICE_ENDPOINT_URL_SALESFORCE", "https://sf-gateway.corp.example/")
    assert settings.login_url(False) == settings.login_url(True) == "https://sf-gateway.corp.example"
    assert "sf-gateway.corp.example" in settings.vendor_hosts()
