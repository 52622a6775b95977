"""The console's Connections and Connectors pages in Chromium against a real server and vendor fakes.

A ServiceNow profile made through the model-derived form (the vendor check passes; a wrong
password shows ServiceNow's refusal), credentials never in any page afterwards, edit and delete,
the Zendesk authorization-code flow through the fake's authorize page and back, a custom
connector registered and used, the catalog and a type's capabilities, and another account's
session refused this account's profile.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sluice.connectors import managed
from sluice.protocol.model import service_model
from tests.fakes.servicenow.server import FakeServiceNow
from tests.fakes.zendesk.server import FakeZendesk
from tests.integration.builders import LAMBDA_ARN, create_account, unique
from tests.support.browser import NARROW, WIDE, screenshot, sign_in
from tests.support.flows import saas_server
from tests.support.server import SluiceServer

WRONG_PASSWORD = "Not-the-password-9"
ZENDESK_SECRET = "sluice-secret"


@pytest.fixture(scope="module")
def servicenow() -> Iterator[FakeServiceNow]:
    with FakeServiceNow({"sys_user": 5, "incident": 5}) as fake:
        yield fake


@pytest.fixture(scope="module")
def zendesk() -> Iterator[FakeZendesk]:
    with FakeZendesk(tickets=5, users=5, organizations=2) as fake:
        yield fake


@pytest.fixture(scope="module")
def console_server(servicenow: FakeServiceNow, zendesk: FakeZendesk,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[SluiceServer]:
    """One server for the module (it overrides the shared fixture), allowed to reach both fakes."""
    # On exit: no traceback in the server's log, and no credential either.
    with saas_server(tmp_path_factory.mktemp("console-connections"),
                     secrets=(FakeServiceNow.PASSWORD, WRONG_PASSWORD, ZENDESK_SECRET),
                     SLUICE_ENDPOINT_URL_ZENDESK=zendesk.url) as server:
        yield server


def fill_servicenow(page: Any, server: SluiceServer, fake: FakeServiceNow, name: str, password: str) -> None:
    page.goto(f"{server.url}/console/connections/new")
    page.get_by_role("link", name="Servicenow", exact=True).click()
    page.get_by_label("connectorProfileName").fill(name)
    page.get_by_label("instanceUrl").fill(fake.url)
    page.get_by_label("username").first.fill(fake.USER)
    page.get_by_label("password", exact=False).first.fill(password)


def all_pages_html(page: Any, server: SluiceServer, name: str) -> str:
    """The HTML of every page that shows the profile."""
    html = ""
    for path in ("/console/connections", f"/console/connections/profile/{name}",
                 f"/console/connections/edit/{name}", "/console/connections?type=Servicenow"):
        response = page.goto(server.url + path)
        assert response.status == 200, path
        html += page.content()
    return html


def test_a_servicenow_profile_from_the_model_form_passes_the_vendor_check(signed_in_page, console_server,
                                                                         servicenow):
    page, name = signed_in_page, unique("sn")
    fill_servicenow(page, console_server, servicenow, name, servicenow.PASSWORD)
    # Inputs come from the model: help text from its documentation, a password input for a sensitive member.
    assert page.locator("input[name='credentials.ServiceNow.password']").get_attribute("type") == "password"
    help_text = page.locator("#f-properties-ServiceNow-instanceUrl-help").inner_text()
    assert help_text.startswith("The location of the ServiceNow resource.")  # the model's documentation
    assert page.get_by_role("radio", name="oAuth2Credentials").is_visible()
    screenshot(page, "connection-form")
    page.set_viewport_size(NARROW)  # readable at 375 px: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    page.get_by_role("radio", name="oAuth2Credentials").check()  # the other alternative's inputs appear
    assert page.get_by_label("clientSecret").is_visible()
    page.get_by_role("radio", name="only the fields above").check()
    assert not page.get_by_label("clientSecret").is_visible()
    page.set_viewport_size(WIDE)
    page.get_by_role("button", name="Create and check").click()
    page.wait_for_url(f"**/console/connections/profile/{name}?checked=created")
    assert "the vendor accepted the credentials" in page.get_by_role("status").inner_text()
    described = console_server.client().describe_connector_profiles(connectorProfileNames=[name])
    detail = described["connectorProfileDetails"][0]
    assert detail["connectorType"] == "Servicenow"
    assert detail["connectorProfileProperties"]["ServiceNow"]["instanceUrl"] == servicenow.url
    assert servicenow.PASSWORD not in all_pages_html(page, console_server, name)
    page.goto(f"{console_server.url}/console/connections")
    assert page.get_by_role("link", name=name).is_visible()
    screenshot(page, "connections-list")


def test_a_wrong_password_shows_servicenows_refusal_next_to_the_form(signed_in_page, console_server, servicenow):
    page, name = signed_in_page, unique("sn-bad")
    fill_servicenow(page, console_server, servicenow, name, WRONG_PASSWORD)
    page.get_by_role("button", name="Create and check").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text().startswith("ConnectorAuthenticationException")
    assert "ServiceNow" in alert.inner_text()
    # The form is back with what was typed, except the credentials (write-only).
    assert page.get_by_label("instanceUrl").input_value() == servicenow.url
    assert WRONG_PASSWORD not in page.content()
    names = [p["connectorProfileName"] for p in
             console_server.client().describe_connector_profiles()["connectorProfileDetails"]]
    assert name not in names


def test_edit_and_delete(signed_in_page, console_server, servicenow):
    page, name = signed_in_page, unique("sn-edit")
    fill_servicenow(page, console_server, servicenow, name, servicenow.PASSWORD)
    page.get_by_role("button", name="Create and check").click()
    page.wait_for_url("**?checked=created")
    page.get_by_role("link", name="Edit").click()
    # New credentials are checked again: a wrong one is refused and nothing changes.
    page.get_by_label("username").first.fill(servicenow.USER)
    page.get_by_label("password").first.fill(WRONG_PASSWORD)
    page.get_by_role("button", name="Save and check").click()
    assert page.get_by_role("alert").inner_text().startswith("ConnectorAuthenticationException")
    # Blank credentials keep the stored ones; the mode changes.
    page.get_by_label("connectionMode").select_option("Private")
    page.get_by_role("button", name="Save and check").click()
    page.wait_for_url(f"**/console/connections/profile/{name}?checked=saved")
    client = console_server.client()
    detail = client.describe_connector_profiles(connectorProfileNames=[name])["connectorProfileDetails"][0]
    assert detail["connectionMode"] == "Private"
    html = all_pages_html(page, console_server, name)
    assert servicenow.PASSWORD not in html and WRONG_PASSWORD not in html
    page.goto(f"{console_server.url}/console/connections/profile/{name}")
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/console/connections")
    assert client.describe_connector_profiles(connectorProfileNames=[name])["connectorProfileDetails"] == []
    assert page.goto(f"{console_server.url}/console/connections/profile/{name}").status == 404


@pytest.fixture
def https_tolerant_page(browser: Any, console_server: SluiceServer) -> Iterator[Any]:
    """A signed-in page whose context accepts the fake's test certificate (for its authorize page)."""
    context = browser.new_context(viewport=WIDE, ignore_https_errors=True)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        sign_in(page, console_server)
        yield page
    finally:
        context.close()


def test_connect_with_zendesk_runs_the_authorization_code_flow(https_tolerant_page, console_server, zendesk):
    page, name = https_tolerant_page, unique("zd")
    zendesk.state.log.clear()
    page.goto(f"{console_server.url}/console/connections/new/Zendesk")
    page.get_by_label("connectorProfileName").fill(name)
    page.get_by_label("instanceUrl").fill(zendesk.url)
    page.get_by_label("clientId").fill("sluice")
    page.get_by_label("clientSecret").fill(ZENDESK_SECRET)
    page.get_by_role("button", name="Connect with Zendesk").click()
    # The vendor's own page, at its documented path, asked for the connector's scopes.
    page.wait_for_url(f"{zendesk.url}/oauth/authorizations/new?**")
    assert "sluice wants to access" in page.content()
    asked = zendesk.state.log.matching("/oauth/authorizations/new")[0]["query"]
    assert asked["client_id"] == "sluice" and asked["scope"] == "read write" and asked["response_type"] == "code"
    assert asked["redirect_uri"] == f"{console_server.url}/console/connections/oauth/callback"
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/oauth/callback" in r.url else None)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"**/console/connections/profile/{name}?checked=created")
    # Back from https to http is cross-site: the Strict session cookie stays out of the vendor's
    # redirect, so the callback reloads itself from the console before it acts.
    assert [("bounced=1" in url) for url in callbacks] == [False, True], callbacks
    assert "the vendor accepted" in page.get_by_role("status").inner_text()
    # The code was exchanged at the token endpoint (authorization_code), the profile holds the result.
    assert zendesk.state.log.matching("/oauth/tokens")
    detail = console_server.client().describe_connector_profiles(
        connectorProfileNames=[name])["connectorProfileDetails"][0]
    assert detail["connectorProfileProperties"]["Zendesk"]["instanceUrl"] == zendesk.url
    assert ZENDESK_SECRET not in page.content()
    # The authorization is used once: a second answer is refused.
    replay = page.goto(f"{console_server.url}/console/connections/oauth/callback?code=x&state=y")
    assert replay.status == 400


def test_a_forged_callback_is_refused(signed_in_page, console_server):
    answer = signed_in_page.goto(f"{console_server.url}/console/connections/oauth/callback?code=abc&state=forged")
    assert answer.status == 400
    assert signed_in_page.get_by_role("heading", name="Authorization not recognised").is_visible()


def test_register_a_custom_connector_and_make_a_profile_with_its_auth(signed_in_page, console_server):
    page, label, name = signed_in_page, unique("conn"), unique("custom")
    page.goto(f"{console_server.url}/console/connections")
    page.get_by_role("link", name="Register custom connector").first.click()
    page.get_by_label("connectorLabel").fill(label)
    page.get_by_label("description").fill("registered in the console")
    page.get_by_label("lambdaArn").fill(LAMBDA_ARN)
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(f"**/console/connectors/CustomConnector?label={label}")
    assert page.get_by_role("heading", name=label).is_visible()
    connectors = console_server.client().list_connectors()["connectors"]
    assert label in {c["connectorLabel"] for c in connectors}
    page.get_by_role("link", name="Create connection").click()
    page.get_by_label("connectorProfileName").fill(name)
    page.get_by_role("radio", name="apiKey").check()
    page.locator("input[name='credentials.CustomConnector.apiKey.apiKey']").fill("custom-api-key-0000")
    page.get_by_role("button", name="Create and check").click()
    page.wait_for_url(f"**/console/connections/profile/{name}?checked=created")
    detail = console_server.client().describe_connector_profiles(
        connectorProfileNames=[name])["connectorProfileDetails"][0]
    assert detail["connectorLabel"] == label
    assert "custom-api-key-0000" not in page.content()
    # Unregister (it is in use by the profile: only with "even if in use").
    page.goto(f"{console_server.url}/console/connections")
    row = page.get_by_role("row").filter(has_text=label)
    row.get_by_role("button", name=f"Unregister {label}").click()
    assert page.get_by_role("heading", name="ConflictException").is_visible()
    page.goto(f"{console_server.url}/console/connections")
    row = page.get_by_role("row").filter(has_text=label)
    row.get_by_label("even if in use").check()
    row.get_by_role("button", name=f"Unregister {label}").click()
    page.wait_for_url("**/console/connections")
    assert label not in {c["connectorLabel"] for c in console_server.client().list_connectors()["connectors"]}


def test_the_catalog_lists_every_type_and_a_type_page_shows_its_capabilities(signed_in_page, console_server):
    page = signed_in_page
    page.get_by_role("link", name="Connectors").click()
    page.wait_for_url("**/console/connectors")
    shown = set(page.locator("tr[data-connector-type]").evaluate_all("rows => rows.map(r => r.dataset.connectorType)"))
    listed = set(console_server.client().describe_connectors()["connectorConfigurations"])
    assert shown == listed == set(service_model().shape_for("ConnectorType").enum)
    # The AWS-managed labels have their own list (they are not registrations).
    managed_labels = page.locator("section[aria-labelledby=managed] li a").all_inner_texts()
    assert managed_labels == list(managed.LABELS)
    screenshot(page, "connectors-catalog")
    for connector_type in shown:  # every type has a page (CustomConnector's without a label too)
        assert page.request.get(f"{console_server.url}/console/connectors/{connector_type}").status == 200
    page.get_by_role("link", name="Salesforce", exact=True).click()
    page.wait_for_url("**/console/connectors/Salesforce")
    config = console_server.client().describe_connector(connectorType="Salesforce")["connectorConfiguration"]
    triggers = page.locator("[data-capability=triggers]").inner_text()
    assert all(t in triggers for t in config["supportedTriggerTypes"]) and "Event" in triggers
    writes = page.locator("[data-capability=writes]").inner_text()
    assert all(w in writes for w in config["supportedWriteOperations"])
    operators = page.locator("[data-capability=operators]").inner_text()
    assert all(o in operators for o in config["supportedOperators"])
    assert "OAuth 2.0" in page.locator("[data-capability=auth]").inner_text()
    assert page.locator("[data-capability=source]").inner_text() == "yes"
    frequencies = page.locator("[data-capability=frequencies]").inner_text()
    assert all(f in frequencies for f in config["supportedSchedulingFrequencies"])
    screenshot(page, "connector-type")


def test_another_accounts_session_cannot_open_this_accounts_profile(page, console_server, servicenow):
    name = unique("sn-mine")
    console_server.client().create_connector_profile(
        connectorProfileName=name, connectorType="Servicenow", connectionMode="Public",
        connectorProfileConfig={
            "connectorProfileProperties": {"ServiceNow": {"instanceUrl": servicenow.url}},
            "connectorProfileCredentials": {"ServiceNow": {"username": servicenow.USER,
                                                           "password": servicenow.PASSWORD}}})
    keys = create_account(console_server)
    sign_in(page, console_server, keys["access_key_id"], keys["secret_access_key"])
    assert page.url.endswith("/console/flows")
    for path in (f"/console/connections/profile/{name}", f"/console/connections/edit/{name}"):
        assert page.goto(console_server.url + path).status == 404
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    deleted = page.request.post(f"{console_server.url}/console/connections/delete/{name}",
                                form={"csrf_token": token}, max_redirects=0)
    assert deleted.status == 404
    assert name not in page.goto(f"{console_server.url}/console/connections").text()
    assert console_server.client().describe_connector_profiles(connectorProfileNames=[name])["connectorProfileDetails"]
