"""Mailchimp's base URL, its two auth schemes and its problem-document errors."""

from __future__ import annotations

import base64

import httpx
import pytest

from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.mailchimp import api
from sluice.connectors.mailchimp.connector import CONNECTOR
from tests.fakes.mailchimp.server import FakeMailchimp
from tests.unit.connectors.mailchimp.conftest import api_key_profile


def test_the_base_url_is_the_instance_url_with_the_api_version() -> None:
    assert api.base_url(api_key_profile("https://us21.api.mailchimp.com", "k")) == "https://us21.api.mailchimp.com/3.0"
    assert api.base_url(api_key_profile("https://us21.api.mailchimp.com/3.0/", "k")) == (
        "https://us21.api.mailchimp.com/3.0")
    with pytest.raises(ConnectorError, match="instanceUrl"):
        api.base_url(ProfileView(name="p", connector_type="CustomConnector", properties={"profileProperties": {}}))


def test_an_api_key_is_basic_auth_with_any_user_name() -> None:
    request = httpx.Request("GET", "https://us21.api.mailchimp.com/3.0/")
    profile = api_key_profile("https://us21.api.mailchimp.com", "abc123-us21")
    api.auth_for(profile).apply(profile.credentials, request)
    scheme, _, value = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic" and base64.b64decode(value).decode() == "anystring:abc123-us21"


def test_an_oauth_token_is_a_bearer_token_that_is_not_renewed() -> None:
    credentials = {"authenticationType": "OAUTH2", "oauth2": {"accessToken": "tok-1", "clientId": "c"}}
    profile = ProfileView(name="p", connector_type="CustomConnector", credentials=credentials)
    auth = api.auth_for(profile)
    request = httpx.Request("GET", "https://us21.api.mailchimp.com/3.0/")
    auth.apply(credentials, request)
    assert request.headers["Authorization"] == "Bearer tok-1"
    assert not auth.renewable  # Mailchimp's tokens do not expire and come without refresh tokens


def test_problem_documents_give_title_and_detail() -> None:
    response = httpx.Response(404)
    body = {"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": "Resource Not Found",
            "status": 404, "detail": "The requested resource could not be found.", "instance": "x"}
    error = api.problem(response, body)
    assert (error.code, error.message) == ("Resource Not Found", "The requested resource could not be found.")
    assert api.problem(httpx.Response(502), "Bad Gateway").message == "Bad Gateway"


def test_a_wrong_key_is_refused_in_mailchimps_words(fake: FakeMailchimp) -> None:
    with pytest.raises(ConnectorError) as refused:
        CONNECTOR.check_profile(api_key_profile(fake.url, "0000-us21"))
    assert refused.value.code == "InvalidCredentials"
    assert "API Key Invalid: Your API key may be invalid" in refused.value.message
    assert "0000-us21" not in refused.value.message
    assert CONNECTOR.check_profile(api_key_profile(fake.url, fake.state.api_key))["custom"]["credentialsMap"]
