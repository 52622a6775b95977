"""The console's sign-in: keys checked like SigV4's, a signed session cookie, CSRF on every form,
and no page, fragment or flow of another account without the right session."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.builders import create_account, s3_flow, unique
from tests.support.browser import screenshot, sign_in
from tests.support.server import ACCESS_KEY, SECRET_KEY


def test_sign_in_lands_on_the_flows_list_with_a_strict_httponly_cookie(page, console_server):
    sign_in(page, console_server)
    assert page.url.endswith("/console/flows")
    assert page.get_by_role("heading", name="Flows").is_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "sluice_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    screenshot(page, "signed-in")


def test_a_wrong_secret_cannot_sign_in(page, console_server):
    sign_in(page, console_server, secret_key=SECRET_KEY[:-1] + "x")
    assert page.url.endswith("/console/signin")
    assert page.get_by_role("alert").inner_text().startswith("That access key id and secret access key")
    page.goto(f"{console_server.url}/console/flows")
    assert "/console/signin" in page.url


def test_an_unknown_key_cannot_sign_in(page, console_server):
    sign_in(page, console_server, access_key="AKIDNOSUCHKEY0000000")
    assert page.url.endswith("/console/signin")
    assert page.get_by_role("alert").is_visible()


def test_sign_out_ends_the_session(signed_in_page, console_server):
    page = signed_in_page
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/signin")
    page.goto(f"{console_server.url}/console/flows")
    assert "/console/signin" in page.url


def test_pages_redirect_and_fragments_answer_401_without_a_session(console_server):
    with httpx.Client(base_url=console_server.url) as anonymous:
        page = anonymous.get("/console/flows/anything")
        assert page.status_code == 303 and page.headers["location"].startswith("/console/signin?next=")
        fragment = anonymous.get("/console/flows/_rows")
        assert fragment.status_code == 401 and fragment.headers["hx-redirect"] == "/console/signin"
        history = anonymous.get("/console/flows/anything/_history")
        assert history.status_code == 401


def test_a_form_posted_without_the_csrf_token_is_refused(signed_in_page, console_server):
    page = signed_in_page
    name = unique("csrf")
    console_server.client().create_flow(**s3_flow(name))
    # The browser's own cookie, a same-origin POST, but no token: refused, and the flow did not run.
    answer = page.request.post(f"{console_server.url}/console/flows/{name}/start", form={"x": "1"},
                               max_redirects=0)
    assert answer.status == 403
    wrong = page.request.post(f"{console_server.url}/console/flows/{name}/start", form={"csrf_token": "forged"},
                              max_redirects=0)
    assert wrong.status == 403
    records = console_server.client().describe_flow_execution_records(flowName=name)["flowExecutions"]
    assert records == []


def test_a_tampered_cookie_is_no_session(page, console_server):
    sign_in(page, console_server)
    cookie = next(c for c in page.context.cookies() if c["name"] == "sluice_console")
    payload, signature = cookie["value"].split(".")
    page.context.add_cookies([{**cookie, "value": payload + "." + signature[::-1]}])
    page.goto(f"{console_server.url}/console/flows")
    assert "/console/signin" in page.url


@pytest.fixture(scope="module")
def other_account(console_server):
    """A second account with a flow of its own."""
    keys = create_account(console_server)
    name = unique("theirs")
    client = console_server.client(keys["access_key_id"], keys["secret_access_key"])
    for bucket in ("sluice-source", "sluice-destination"):
        done = console_server.cli("buckets", "grant", bucket, keys["name"])
        assert done.returncode == 0, done.stderr
    client.create_flow(**s3_flow(name))
    return {**keys, "flow": name}


def test_one_accounts_session_cannot_open_anothers_flow(signed_in_page, console_server, other_account):
    page = signed_in_page
    assert other_account["access_key_id"] != ACCESS_KEY
    flow = other_account["flow"]
    token = _csrf(page)
    response = page.goto(f"{console_server.url}/console/flows/{flow}")
    assert response.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    assert page.goto(f"{console_server.url}/console/flows/{flow}/_history").status == 404
    start = page.request.post(f"{console_server.url}/console/flows/{flow}/start", max_redirects=0,
                              headers={"X-CSRF-Token": token})
    assert start.status == 404
    assert flow not in page.goto(f"{console_server.url}/console/flows").text()
    # The owner sees it.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/signin")
    sign_in(page, console_server, other_account["access_key_id"], other_account["secret_access_key"])
    assert page.goto(f"{console_server.url}/console/flows/{flow}").status == 200


def _csrf(page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def test_sign_in_with_the_keyboard_alone_returns_to_the_page_asked_for(page, console_server):
    name = unique("kbd")
    console_server.client().create_flow(**s3_flow(name))
    page.goto(f"{console_server.url}/console/flows/{name}")
    assert "/console/signin?next=" in page.url
    # The key id field has the focus; Tab walks the form in order and Enter submits it.
    page.keyboard.type(ACCESS_KEY)
    page.keyboard.press("Tab")
    page.keyboard.type(SECRET_KEY)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "region"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/console/flows/{name}")
    assert page.get_by_role("heading", name=name).is_visible()


def test_a_next_address_outside_the_console_is_not_followed(page, console_server):
    page.goto(f"{console_server.url}/console/signin?next=//example.com/")
    sign_in_form_keeps_next = page.locator("input[name=next]").get_attribute("value")
    assert sign_in_form_keeps_next == "//example.com/"
    page.get_by_label("Access key id").fill(ACCESS_KEY)
    page.get_by_label("Secret access key").fill(SECRET_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{console_server.url}/console/flows")


def test_the_region_picker_shows_that_regions_flows(signed_in_page, console_server):
    page = signed_in_page
    name = unique("regional")
    console_server.client().create_flow(**s3_flow(name))
    page.reload()
    assert page.locator(f"tr[data-flow='{name}']").count() == 1
    page.get_by_label("Region", exact=True).select_option("eu-west-1")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_load_state()
    assert page.get_by_label("Region", exact=True).input_value() == "eu-west-1"
    assert page.locator(f"tr[data-flow='{name}']").count() == 0
    assert page.goto(f"{console_server.url}/console/flows/{name}").status == 404
    page.goto(f"{console_server.url}/console/flows")
    page.get_by_label("Region", exact=True).select_option("us-east-1")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_load_state()
    assert page.locator(f"tr[data-flow='{name}']").count() == 1
