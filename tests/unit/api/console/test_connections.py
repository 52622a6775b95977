"""A custom connector's profile form from its ConnectorConfiguration, and the OAuth start's pieces."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from sluice.api.console.connections import custom_form, profile_types
from sluice.api.console.model_forms import profile_form, to_config
from sluice.api.console.oauth import VENDORS, PendingCookie, authorize_url, csrf_binding

CONFIGURATION = {
    "authenticationConfig": {
        "isBasicAuthSupported": False, "isApiKeyAuthSupported": True, "isOAuth2Supported": False,
        "isCustomAuthSupported": True,
        "customAuthConfigs": [{"customAuthenticationType": "tenantToken", "authParameters": [
            {"key": "tenant", "isRequired": True, "label": "Tenant", "description": "the tenant id",
             "isSensitiveField": False},
            {"key": "token", "isRequired": True, "label": "Token", "isSensitiveField": True}]}],
    },
    "connectorRuntimeSettings": [
        {"key": "region", "dataType": "String", "isRequired": True, "label": "Region", "scope": "CONNECTOR_PROFILE",
         "connectorSuppliedValueOptions": ["eu", "us"]},
        {"key": "batch", "dataType": "Long", "isRequired": False, "label": "Batch", "scope": "SOURCE"}],
}


def test_a_custom_connectors_form_offers_only_its_auth_types_and_declared_keys():
    form = custom_form(profile_form("CustomConnector"), CONFIGURATION)
    assert form.credentials is not None and form.properties is not None
    assert [a.key for a in form.credentials.alternatives] == ["apiKey", "custom"]
    custom = next(a for a in form.credentials.alternatives if a.key == "custom")
    kind = next(m for m in custom.members if m.key == "customAuthenticationType")
    assert kind.enum == ("tenantToken",)
    credentials_map = next(m for m in custom.members if m.key == "credentialsMap")
    assert [(e.key, e.sensitive) for e in credentials_map.entries] == [("tenant", False), ("token", True)]
    settings = next(m for m in form.properties.members if m.key == "profileProperties")
    assert [(e.key, e.enum) for e in settings.entries] == [("region", ("eu", "us"))]  # SOURCE-scoped left out
    assert form.properties.alternatives == ()  # no OAuth 2.0: no oAuth2Properties
    posted = {
        "choose:credentials.CustomConnector": ["custom"],
        "credentials.CustomConnector.custom.customAuthenticationType": ["tenantToken"],
        "credentials.CustomConnector.custom.credentialsMap[tenant]": ["acme"],
        "credentials.CustomConnector.custom.credentialsMap[token]": ["t0k"],
        "properties.CustomConnector.profileProperties[region]": ["eu"],
    }
    assert to_config(posted, form) == {
        "connectorProfileProperties": {"CustomConnector": {"profileProperties": {"region": "eu"}}},
        "connectorProfileCredentials": {"CustomConnector": {"authenticationType": "CUSTOM", "custom": {
            "customAuthenticationType": "tenantToken", "credentialsMap": {"tenant": "acme", "token": "t0k"}}}}}


def test_profile_types_are_the_models():
    types = profile_types()
    assert {"Salesforce", "Servicenow", "Zendesk", "CustomConnector", "SAPOData"} <= set(types)
    assert "S3" not in types and "EventBridge" not in types  # no connector profile


def test_the_authorize_url_carries_the_code_request():
    url = authorize_url(VENDORS["Zendesk"], "https://acme.zendesk.com/", "sluice",
                        "https://sluice.example/console/connections/oauth/callback", "st", ["read", "write"])
    parts = urlsplit(url)
    assert parts.netloc == "acme.zendesk.com" and parts.path == "/oauth/authorizations/new"
    assert parse_qs(parts.query) == {"response_type": ["code"], "client_id": ["sluice"], "state": ["st"],
                                     "redirect_uri": ["https://sluice.example/console/connections/oauth/callback"],
                                     "scope": ["read write"]}
    slack = authorize_url(VENDORS["Slack"], "https://acme.slack.com", "c", "https://x/cb", "s", ["a:read", "b"])
    assert parse_qs(urlsplit(slack).query)["scope"] == ["a:read,b"]


def test_the_pending_cookie_is_sealed_and_expires():
    cookies = PendingCookie(b"k" * 32)
    value = cookies.dumps({"state": "s", "csrf": csrf_binding("token"), "expires": time.time() + 60,
                           "params": {"clientSecret": "hidden"}})
    assert "hidden" not in value and "token" not in value
    assert cookies.loads(value)["state"] == "s"
    assert cookies.loads(value[:-2] + "AA") is None
    assert PendingCookie(b"x" * 32).loads(value) is None
    assert cookies.loads(cookies.dumps({"state": "s", "expires": time.time() - 1})) is None
    assert "SameSite=Lax" in cookies.header(value, True) and "HttpOnly" in cookies.header(value, False)
