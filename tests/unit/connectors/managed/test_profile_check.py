"""Managed connector profiles against their declarations (what AppFlow checks before the connector)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sluice.connectors import managed
from sluice.connectors.base import ConnectorError, ProfileView
from sluice.connectors.managed.profile_check import check_profile, token_url_pattern
from tests.integration.cdk_appflow_stacks import stacks

REPLAYED = [profile for stack in stacks("unit") for profile in stack.profiles]


def view(request: dict[str, Any]) -> ProfileView:
    config = request["connectorProfileConfig"]
    credentials = (config.get("connectorProfileCredentials") or {}).get("CustomConnector") or {}
    return ProfileView(name=request["connectorProfileName"], connector_type="CustomConnector",
                       connector_label=request["connectorLabel"],
                       properties=config["connectorProfileProperties"]["CustomConnector"], credentials=credentials)


def check(request: dict[str, Any]) -> dict[str, Any]:
    declared = managed.declaration(request["connectorLabel"])
    assert declared is not None
    return check_profile(declared, view(request))


def refused(request: dict[str, Any], *words: str) -> None:
    with pytest.raises(ConnectorError) as caught:
        check(request)
    assert caught.value.code == "InvalidArgument"
    for word in words:
        assert word in caught.value.message, caught.value.message


def profile_of(label: str, index: int = 0) -> dict[str, Any]:
    return copy.deepcopy([p for p in REPLAYED if p["connectorLabel"] == label][index])


@pytest.mark.parametrize("request_", REPLAYED, ids=lambda p: p["connectorProfileName"])
def test_every_cdk_appflow_profile_passes(request_: dict[str, Any]) -> None:
    sent = request_["connectorProfileConfig"]["connectorProfileCredentials"]["CustomConnector"]
    assert check(request_) == sent  # stored as given: nothing is exchanged without a data path


def test_an_authentication_type_the_connector_lacks_is_refused() -> None:
    github = profile_of("GitHub")
    github["connectorProfileConfig"]["connectorProfileCredentials"]["CustomConnector"] = {
        "authenticationType": "APIKEY", "apiKey": {"apiKey": "k"}}
    refused(github, "APIKEY", "OAUTH2, CUSTOM")


def test_custom_schemes_and_their_parameters() -> None:
    asana = profile_of("Asana")
    custom = asana["connectorProfileConfig"]["connectorProfileCredentials"]["CustomConnector"]["custom"]
    custom["customAuthenticationType"] = "OAUTH"
    refused(asana, "'OAUTH'", "PAT")
    custom["customAuthenticationType"] = "PAT"
    custom["credentialsMap"] = {"token": "x"}
    refused(asana, "patToken")
    jdbc = profile_of("JDBCsmall")
    jdbc["connectorProfileConfig"]["connectorProfileCredentials"]["CustomConnector"]["custom"]["credentialsMap"][
        "driver"] = "oracle"
    refused(jdbc, "driver", "postgresql, mysql")
    rds = profile_of("AmazonRDSPostgreSQL")
    rds["connectorProfileConfig"]["connectorProfileCredentials"]["CustomConnector"]["custom"]["credentialsMap"][
        "driver"] = "mysql"
    refused(rds, "postgresql")


def test_oauth2_token_url_grant_and_tokens() -> None:
    hubspot = profile_of("HubSpot")
    props = hubspot["connectorProfileConfig"]["connectorProfileProperties"]["CustomConnector"]["oAuth2Properties"]
    props["tokenUrl"] = "https://api.hubapi.com.example.net/oauth/v1/token"
    refused(hubspot, "token URL")
    props["tokenUrl"] = "https://api.hubapi.com/oauth/v1/token"
    props["oAuth2GrantType"] = "CLIENT_CREDENTIALS"
    refused(hubspot, "CLIENT_CREDENTIALS", "AUTHORIZATION_CODE")
    props["oAuth2GrantType"] = "AUTHORIZATION_CODE"
    hubspot["connectorProfileConfig"]["connectorProfileCredentials"]["CustomConnector"]["oauth2"] = {
        "clientId": "c", "clientSecret": "s"}
    refused(hubspot, "refreshToken")
    hubspot["connectorProfileConfig"]["connectorProfileCredentials"]["CustomConnector"]["oauth2"] = {
        "clientId": "c", "clientSecret": "s", "oAuthRequest": {"authCode": "code", "redirectUri": "https://x.test/"}}
    assert check(hubspot)["oauth2"]["oAuthRequest"]["authCode"] == "code"
    del hubspot["connectorProfileConfig"]["connectorProfileProperties"]["CustomConnector"]["oAuth2Properties"]
    refused(hubspot, "oAuth2Properties")


def test_client_credentials_need_the_client_secret() -> None:
    sfmc = profile_of("SalesforceMarketingCloud")
    del sfmc["connectorProfileConfig"]["connectorProfileCredentials"]["CustomConnector"]["oauth2"]["clientSecret"]
    refused(sfmc, "clientSecret")


def test_required_profile_properties() -> None:
    dynamics = profile_of("MicrosoftDynamics365")
    dynamics["connectorProfileConfig"]["connectorProfileProperties"]["CustomConnector"]["profileProperties"] = {
        "instanceUrl": " "}
    refused(dynamics, "instanceUrl")


def test_without_credentials_only_properties_are_checked() -> None:
    mailchimp = profile_of("Mailchimp")
    del mailchimp["connectorProfileConfig"]["connectorProfileCredentials"]
    assert check(mailchimp) == {}


@pytest.mark.parametrize(("template", "url", "matches"), [
    ("https://login.microsoftonline.com/{{tenant}}/oauth2/v2.0/token",
     "https://login.microsoftonline.com/common/oauth2/v2.0/token", True),
    ("https://login.microsoftonline.com/{{tenant}}/oauth2/v2.0/token",
     "https://login.microsoftonline.com/a/b/oauth2/v2.0/token", False),
    ("https://{{subdomain}}.auth.marketingcloudapis.com/v2/token",
     "https://mc123.auth.marketingcloudapis.com/v2/token", True),
    ("https://{{subdomain}}.auth.marketingcloudapis.com/v2/token",
     "https://evil.test/x.auth.marketingcloudapis.com/v2/token", False),
    ("https://api.hubapi.com/oauth/v1/token", "https://api.hubapi.com/oauth/v1/token?x=1", False),
])
def test_token_url_templates_stand_for_one_segment(template: str, url: str, matches: bool) -> None:
    assert (token_url_pattern(template).fullmatch(url) is not None) is matches


def test_rds_for_postgresql_may_leave_the_driver_out() -> None:
    rds = profile_of("AmazonRDSPostgreSQL")
    del rds["connectorProfileConfig"]["connectorProfileCredentials"]["CustomConnector"]["custom"]["credentialsMap"][
        "driver"]
    assert check(rds)["custom"]["credentialsMap"]["hostname"] == "db.example.com"
    jdbc = profile_of("JDBCsmall")
    del jdbc["connectorProfileConfig"]["connectorProfileCredentials"]["CustomConnector"]["custom"]["credentialsMap"][
        "driver"]
    refused(jdbc, "driver")


def _guide_profile(label: str, credentials: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    """A profile as the label's user-guide page describes its connection (no public CDK stack exists)."""
    return {"connectorProfileName": f"{label.lower()}-guide", "connectorLabel": label,
            "connectorProfileConfig": {"connectorProfileCredentials": {"CustomConnector": credentials},
                                       "connectorProfileProperties": {"CustomConnector": properties}}}


def _auth_code(token_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return ({"authenticationType": "OAUTH2", "oauth2": {"clientId": "c", "clientSecret": "s", "accessToken": "a"}},
            {"oAuth2Properties": {"tokenUrl": token_url, "oAuth2GrantType": "AUTHORIZATION_CODE"}})


@pytest.mark.parametrize(("label", "token_url", "instance_url"), [
    ("Intercom", "https://api.eu.intercom.io/auth/eagle/token", "https://api.eu.intercom.io"),
    ("Intercom", "https://api.au.intercom.io/auth/eagle/token", "https://api.au.intercom.io"),
    ("Smartsheet", "https://api.smartsheet.eu/2.0/token", "https://api.smartsheet.eu"),
    ("ZohoCRM", "https://accounts.zoho.eu/oauth/v2/token", "https://www.zohoapis.eu"),
    ("QuickBooksOnline", "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
     "https://sandbox-quickbooks.api.intuit.com"),
])
def test_user_guide_regions_and_instance_urls(label: str, token_url: str, instance_url: str) -> None:
    credentials, properties = _auth_code(token_url)
    check(_guide_profile(label, credentials, {**properties, "profileProperties": {"instanceUrl": instance_url}}))
    # The console asks for the instance URL alongside the client credentials: without it AppFlow has no host.
    refused(_guide_profile(label, credentials, {**properties, "profileProperties": {}}), "instanceUrl")


def test_zendesk_sunshine_takes_its_subdomain_from_the_token_url() -> None:
    credentials, properties = _auth_code("https://acme.zendesk.com/oauth/tokens")
    check(_guide_profile("ZendeskSunshine", credentials, properties))


@pytest.mark.parametrize(("label", "scheme", "key"), [
    ("Typeform", "PAT", "patToken"), ("GitLab", "PersonalAccessToken", "personalAccessToken"),
    ("Okta", "Okta_API_Token", "oktaApiToken"),
])
def test_token_schemes_the_console_offers(label: str, scheme: str, key: str) -> None:
    properties = {"profileProperties": {"instanceUrl": "https://acme.okta.com"}} if label == "Okta" else {}
    custom = {"authenticationType": "CUSTOM", "custom": {"customAuthenticationType": scheme,
                                                         "credentialsMap": {key: "t0ken"}}}
    check(_guide_profile(label, custom, properties))
    other = copy.deepcopy(custom)
    other["custom"]["customAuthenticationType"] = "ApiToken"
    refused(_guide_profile(label, other, properties), "does not declare", scheme)


def test_typeform_has_no_api_key_scheme() -> None:
    refused(_guide_profile("Typeform", {"authenticationType": "APIKEY", "apiKey": {"apiKey": "k"}}, {}),
            "APIKEY", "OAUTH2, CUSTOM")
