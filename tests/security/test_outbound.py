"""Outbound calls are safe by default: vendor URLs a caller supplies must be https, public and (for
Salesforce) Salesforce's own; anything else is a ValidationException before Sluice sends a byte.

The `capture` listener stands in for the internal service an attacker would aim at: every refused
URL points at it (or at a metadata, private or loopback address), and it must see nothing. A
refusal must read the same whether the port it names is open or closed, so a caller cannot use
CreateConnectorProfile as a port scanner.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.integration.builders import unique
from tests.security.conftest import Capture, Tenant
from tests.support.salesforce import profile_request
from tests.support.server import TEST_LAMBDA_ARNS, SluiceServer, free_port

MOTO_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def refused_urls(capture: Capture) -> list[str]:
    """instanceUrl values a caller could use to reach inside the server's network."""
    port = capture.port
    return [
        capture.url,  # http
        capture.https_url,  # loopback
        f"https://[::1]:{port}",
        f"https://[::ffff:127.0.0.1]:{port}",
        f"https://localhost:{port}",
        f"https://2130706433:{port}",  # 127.0.0.1 as one number
        "https://10.0.0.1",
        "https://192.168.1.20",
        "https://100.64.0.1",
        "https://169.254.169.254/latest/meta-data",
        "https://metadata.google.internal",
        "https://0.0.0.0",
        "https://example.com",  # public, but not Salesforce's
        "https://acme.my.salesforce.com.example.com",
    ]


def assert_untouched(capture: Capture) -> None:
    """The capture listener received nothing from Sluice.

    It answers connections one at a time, in order: once our own marker request is recorded,
    anything Sluice sent before it would have been recorded too.
    """
    httpx.get(f"{capture.url}/marker", timeout=5)
    deadline = time.monotonic() + 10
    while not capture.requests and time.monotonic() < deadline:
        time.sleep(0.01)  # waiting for the marker to be recorded, not for something not to happen
    assert capture.requests and all(b"/marker" in r for r in capture.requests), capture.requests
    capture.clear()


def validation_message(call: Callable[[], Any], client: Any) -> str:
    with pytest.raises(client.exceptions.ValidationException) as caught:
        call()
    return str(caught.value.response["Error"]["Message"])


def salesforce(name: str, instance_url: str, credentials: dict[str, Any] | None = None) -> dict[str, Any]:
    request = profile_request(name, instance_url, credentials or {})
    if credentials is None:
        del request["connectorProfileConfig"]["connectorProfileCredentials"]
    return request


# -- Salesforce instanceUrl ----------------------------------------------------------------------


@pytest.mark.parametrize("with_credentials", [True, False], ids=["credentials", "properties-only"])
def test_salesforce_instance_urls_inside_the_network_are_refused(
    tenant_a: Tenant, capture: Capture, with_credentials: bool
) -> None:
    appflow = tenant_a.client()
    for url in refused_urls(capture):
        creds = {"accessToken": "00Dtoken", "refreshToken": "5Aep-refresh"} if with_credentials else None
        message = validation_message(
            lambda url=url, creds=creds: appflow.create_connector_profile(**salesforce(unique("sf"), url, creds)),
            appflow)
        assert "instanceUrl" in message and "refused" in message, (url, message)
    assert_untouched(capture)
    names = [p["connectorProfileName"] for p in appflow.describe_connector_profiles()["connectorProfileDetails"]]
    assert not [n for n in names if n.startswith("sf-")], names


def test_a_refusal_reads_the_same_for_open_and_closed_ports(tenant_a: Tenant, capture: Capture) -> None:
    appflow = tenant_a.client()
    closed = free_port()
    for template in ("https://127.0.0.1:{}", "http://127.0.0.1:{}", "https://localhost:{}"):
        open_message, closed_message = (
            validation_message(lambda port=port, template=template: appflow.create_connector_profile(
                **salesforce(unique("sf"), template.format(port), {"accessToken": "00Dtoken"})), appflow)
            for port in (capture.port, closed)
        )
        assert open_message == closed_message
        assert str(capture.port) not in open_message and str(closed) not in closed_message
    assert_untouched(capture)


def test_update_cannot_move_a_profile_inside_the_network(tenant_a: Tenant, capture: Capture) -> None:
    appflow = tenant_a.client()
    name = unique("sf")
    # No credentials: nothing is called, so a real Salesforce host is fine offline.
    appflow.create_connector_profile(**salesforce(name, "https://acme.my.salesforce.com"))
    update = salesforce(name, capture.https_url)
    update.pop("connectorType")
    message = validation_message(lambda: appflow.update_connector_profile(**update), appflow)
    assert "instanceUrl" in message
    detail = appflow.describe_connector_profiles(connectorProfileNames=[name])["connectorProfileDetails"][0]
    assert detail["connectorProfileProperties"]["Salesforce"]["instanceUrl"] == "https://acme.my.salesforce.com"
    assert_untouched(capture)


def test_client_credentials_secret_is_not_read_for_a_foreign_host(
    start_server: Callable[..., SluiceServer], capture: Capture
) -> None:
    # Secrets Manager is the capture listener too: refusing the host must come before reading the
    # secret, so the secret is neither fetched nor posted anywhere.
    server = start_server(SLUICE_ALLOW_PRIVATE_ENDPOINTS="false", AWS_ENDPOINT_URL_SECRETSMANAGER=capture.url,
                          **MOTO_KEYS)
    appflow = server.client()
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:salesforce-app-AbCdEf"
    for url in ("https://example.com", capture.https_url, "https://login.salesforce.com.attacker.example"):
        message = validation_message(lambda url=url: appflow.create_connector_profile(**salesforce(
            unique("sf-cc"), url, {"oAuth2GrantType": "CLIENT_CREDENTIALS", "clientCredentialsArn": arn})), appflow)
        assert "instanceUrl" in message
    assert_untouched(capture)


def test_private_endpoints_when_the_operator_allows_them(
    start_server: Callable[..., SluiceServer], capture: Capture
) -> None:
    server = start_server(SLUICE_ALLOW_PRIVATE_ENDPOINTS="true")
    appflow = server.client()
    # Metadata addresses and public hosts that are not Salesforce's stay refused.
    for url in ("https://169.254.169.254", "http://169.254.169.254", "https://metadata.google.internal",
                "https://example.com"):
        validation_message(lambda url=url: appflow.create_connector_profile(
            **salesforce(unique("sf"), url, {"accessToken": "00Dtoken"})), appflow)
    assert_untouched(capture)
    # A fake on loopback is reached (the listener answers every call `200 {}`, which a token check accepts).
    appflow.create_connector_profile(**salesforce(unique("sf"), capture.url, {"accessToken": "00Dtoken"}))
    assert any(b"/services/data/" in r for r in capture.requests), capture.requests


# -- custom connector tokenUrl -------------------------------------------------------------------


@pytest.fixture(scope="module")
def custom_label(tenant_a: Tenant) -> str:
    label = unique("outbound")
    tenant_a.client().register_connector(connectorLabel=label, connectorProvisioningType="LAMBDA",
                                         connectorProvisioningConfig={"lambda": {"lambdaArn": TEST_LAMBDA_ARNS[0]}})
    return label


def custom_profile(name: str, label: str, token_url: str, credentials: bool = True) -> dict[str, Any]:
    config: dict[str, Any] = {"connectorProfileProperties": {"CustomConnector": {"oAuth2Properties": {
        "tokenUrl": token_url, "oAuth2GrantType": "CLIENT_CREDENTIALS"}}}}
    if credentials:
        config["connectorProfileCredentials"] = {"CustomConnector": {"authenticationType": "OAUTH2", "oauth2": {
            "clientId": "app", "clientSecret": "app-secret-value"}}}
    return {"connectorProfileName": name, "connectorType": "CustomConnector", "connectorLabel": label,
            "connectionMode": "Public", "connectorProfileConfig": config}


@pytest.mark.parametrize("with_credentials", [True, False], ids=["credentials", "properties-only"])
def test_custom_connector_token_urls_inside_the_network_are_refused(
    tenant_a: Tenant, custom_label: str, capture: Capture, with_credentials: bool
) -> None:
    appflow = tenant_a.client()
    # Custom connectors have no known hosts; the model's tokenUrl pattern already refuses [IPv6] literals.
    urls = [u for u in refused_urls(capture) if "example.com" not in u and "[" not in u]
    for url in [*urls, f"{capture.https_url}/oauth/token", f"https://localhost.:{capture.port}/token"]:
        message = validation_message(lambda url=url: appflow.create_connector_profile(
            **custom_profile(unique("cc"), custom_label, url, with_credentials)), appflow)
        assert "oAuth2Properties.tokenUrl" in message and "refused" in message, (url, message)
        assert "app-secret-value" not in message
    assert_untouched(capture)


def test_custom_connector_refusal_reads_the_same_for_open_and_closed_ports(
    tenant_a: Tenant, custom_label: str, capture: Capture
) -> None:
    appflow = tenant_a.client()
    messages = {
        validation_message(lambda port=port: appflow.create_connector_profile(
            **custom_profile(unique("cc"), custom_label, f"https://127.0.0.1:{port}/token")), appflow)
        for port in (capture.port, free_port())
    }
    assert len(messages) == 1, messages
    assert "oAuth2Properties.tokenUrl" in messages.pop()
    assert_untouched(capture)
